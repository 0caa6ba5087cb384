"""Writes of consultations: intake at any window (断らない相談) and quick follow-ups."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from tsunagu.access.models import AccessLog
from tsunagu.access.scoping import user_organization
from tsunagu.access.services import LogEntry, access_log, access_log_many
from tsunagu.accounts.models import User
from tsunagu.consultations.models import (
    Channel,
    Consultation,
    ConsultationTopic,
    Requester,
    Response,
    Topic,
)
from tsunagu.core.bulk import rows_insert
from tsunagu.core.history import bulk_create_with_history, changed_by, refuse_stale
from tsunagu.core.validation import ItemInvalid, fields_validate
from tsunagu.organizations.models import Site
from tsunagu.people.access import person_accesses
from tsunagu.people.models import Person

MAX_CONTENT = 20000


@dataclass
class ConsultationData:
    received_at: dt.datetime
    channel: str
    requester: str
    main_topic: str
    content: str
    response: str
    topics: list[str] = field(default_factory=list)
    requester_detail: str = ""
    is_new: bool = True
    anonymous_label: str = ""
    external_id: str = ""
    site_id: int | None = None  # one of the organization's sites (拠点・出張所)


# the codes of each choice, worked out once (Django works them out again on every use)
_TOPICS = frozenset(Topic.values)
_CHANNELS = frozenset(Channel.values)
_REQUESTERS = frozenset(Requester.values)
_RESPONSES = frozenset(Response.values)


def consultation_data_validate(
    data: ConsultationData, *, person: Person | None
) -> ConsultationData:
    errors: dict[str, str] = {}
    topics = list(dict.fromkeys(data.topics))  # keep order, drop repeats
    unknown = [t for t in [*topics, data.main_topic] if t not in _TOPICS]
    if unknown:
        errors["topics"] = f"不明な相談の内容です: {', '.join(unknown)}"
    elif data.main_topic not in topics:
        topics.insert(0, data.main_topic)
    if data.channel not in _CHANNELS:
        errors["channel"] = "相談方法の値が不正です"
    if data.requester not in _REQUESTERS:
        errors["requester"] = "相談者の値が不正です"
    if data.response not in _RESPONSES:
        errors["response"] = "対応の値が不正です"
    if timezone.is_naive(data.received_at):
        errors["received_at"] = "受付日時にタイムゾーンがありません"
    elif data.received_at > timezone.now() + dt.timedelta(minutes=5):
        errors["received_at"] = "受付日時が未来です（今より後の日時は記録できません）"
    elif data.received_at.year < 2000:
        errors["received_at"] = "受付日時が古すぎます"
    content = data.content.strip()
    if not content:
        errors["content"] = "相談内容を入力してください"
    elif len(content) > MAX_CONTENT:
        errors["content"] = f"相談内容が長すぎます（{MAX_CONTENT}文字まで）"
    label = data.anonymous_label.strip()
    if person is None and not label:
        errors["anonymous_label"] = "本人を選ぶか、匿名・未特定の呼び名を入力してください"
    if errors:
        raise ValidationError({k: [v] for k, v in errors.items()})
    return ConsultationData(
        received_at=data.received_at,
        channel=data.channel,
        requester=data.requester,
        main_topic=data.main_topic,
        content=content,
        response=data.response,
        topics=topics,
        requester_detail=data.requester_detail.strip(),
        is_new=data.is_new,
        anonymous_label=label if person is None else "",
        external_id=data.external_id.strip(),
        site_id=data.site_id,
    )


@dataclass(frozen=True)
class NewConsultation:
    """One consultation to record: about `person` (None: anonymous or not yet identified)."""

    person: Person | None
    data: ConsultationData
    follows: Consultation | None = None


def consultation_create(
    *,
    user: User,
    person: Person | None,
    data: ConsultationData,
    follows: Consultation | None = None,
    channel: AccessLog.Channel = AccessLog.Channel.WEB,
    action: AccessLog.Action = AccessLog.Action.CREATE,
) -> Consultation:
    """Record a consultation taken by the user's organization.

    The person may be the organization's own record or one shared with it by a grant.
    """
    item = NewConsultation(person=person, data=data, follows=follows)
    try:
        return consultation_create_many(user=user, items=[item], channel=channel, action=action)[0]
    except ItemInvalid as exc:
        raise exc.error from None


@transaction.atomic
def consultation_create_many(
    *,
    user: User,
    items: Sequence[NewConsultation],
    channel: AccessLog.Channel = AccessLog.Channel.WEB,
    action: AccessLog.Action = AccessLog.Action.CREATE,
) -> list[Consultation]:
    """Record consultations taken by the user's organization, with their topics and one
    access-log row each, in a few queries per batch (imports).

    Raises ItemInvalid naming the first refused item; then nothing is written.
    """
    organization = user_organization(user)
    persons = list({i.person.pk: i.person for i in items if i.person is not None}.values())
    accesses = person_accesses(user=user, persons=persons)
    consultations: list[Consultation] = []
    entries: list[LogEntry] = []
    topics: list[list[str]] = []
    sites = set(
        Site.objects.filter(organization=organization, is_active=True).values_list("pk", flat=True)
    )
    for index, item in enumerate(items):
        person, follows = item.person, item.follows
        try:
            via = AccessLog.Via.OWN
            grant = None
            if person is not None:
                access = accesses.get(person.pk)
                if access is None:
                    raise ValidationError({"person": ["この本人の記録は参照できません"]})
                via, grant = access.via, access.grant
            if follows is not None and follows.organization_id != organization.pk:
                raise ValidationError({"follows": ["他の機関の相談には続けられません"]})
            data = consultation_data_validate(item.data, person=person)
            if data.site_id is not None and data.site_id not in sites:
                raise ValidationError({"site": ["この機関の拠点ではありません"]})
            if follows is not None and data.received_at < follows.received_at.replace(
                second=0, microsecond=0
            ):  # the forms give minutes: the same minute as the first contact is not before
                raise ValidationError(
                    {
                        "received_at": [
                            "継続の相談の日時が、元の相談の受付日時"
                            f"（{timezone.localtime(follows.received_at):%Y-%m-%d %H:%M}）"
                            "より前です"
                        ]
                    }
                )
            consultation = Consultation(
                organization=organization,
                site_id=data.site_id,
                person=person,
                anonymous_label=data.anonymous_label,
                follows=follows,
                received_at=data.received_at,
                received_by=user,
                channel=data.channel,
                requester=data.requester,
                requester_detail=data.requester_detail,
                main_topic=data.main_topic,
                content=data.content,
                response=data.response,
                is_new=data.is_new,
                external_id=data.external_id,
            )
            fields_validate(consultation)
        except ValidationError as exc:
            raise ItemInvalid(index, exc) from exc
        consultations.append(consultation)
        entries.append(LogEntry(obj=consultation, person=person, via=via, grant=grant))
        topics.append(data.topics)
    bulk_create_with_history(
        consultations,
        Consultation,
        batch_size=500,
        default_user=user,
        custom_historical_attrs={"history_channel": channel},
    )
    rows_insert(
        ConsultationTopic,
        ["consultation", "topic"],
        ((c.pk, t) for c, codes in zip(consultations, topics, strict=True) for t in codes),
    )
    access_log_many(user=user, action=action, entries=entries, channel=channel)
    return consultations


def consultation_follow_up(
    *,
    user: User,
    follows: Consultation,
    received_at: dt.datetime,
    channel: str,
    content: str,
    response: str,
) -> Consultation:
    """Quick entry of a further contact (延べ): person, requester and topics carry over."""
    data = ConsultationData(
        received_at=received_at,
        channel=channel,
        requester=follows.requester,
        requester_detail=follows.requester_detail,
        main_topic=follows.main_topic,
        topics=[t.topic for t in follows.topics.all()],
        content=content,
        response=response,
        is_new=False,
        anonymous_label=follows.anonymous_label,
    )
    return consultation_create(user=user, person=follows.person, data=data, follows=follows)


@transaction.atomic
def consultation_update(
    *,
    user: User,
    consultation: Consultation,
    data: ConsultationData,
    expected_version: int | None = None,
    channel: AccessLog.Channel = AccessLog.Channel.WEB,
) -> Consultation:
    """Correct a consultation: only the window that took it. Every field is replaced (the person
    and what it follows stay; an empty import key keeps the record's). With `expected_version`
    (the version the edit form was made from), a save over someone else's newer save is refused,
    naming what they changed."""
    organization = user_organization(user)
    if consultation.organization_id != organization.pk:
        raise ValidationError("他の機関の相談は変更できません")
    data = consultation_data_validate(data, person=consultation.person)
    if (
        data.site_id is not None
        and not Site.objects.filter(
            pk=data.site_id, organization=organization, is_active=True
        ).exists()
    ):
        raise ValidationError({"site": ["この機関の拠点ではありません"]})
    if expected_version is not None:
        refuse_stale(consultation, expected_version)
    for name in (
        "received_at",
        "channel",
        "requester",
        "requester_detail",
        "main_topic",
        "content",
        "response",
        "is_new",
        "anonymous_label",
        "site_id",
    ):
        setattr(consultation, name, getattr(data, name))
    consultation.external_id = data.external_id or consultation.external_id
    consultation.version += 1
    fields_validate(consultation)
    changed_by(consultation, user=user, channel=channel)
    consultation.save()
    # unscoped: the holder's own consultation's topics, replaced
    ConsultationTopic.dangerously_unscoped.filter(consultation=consultation).delete()
    ConsultationTopic.objects.bulk_create(
        ConsultationTopic(consultation=consultation, topic=t) for t in data.topics
    )
    access_log(
        user=user,
        action=AccessLog.Action.UPDATE,
        obj=consultation,
        person=consultation.person,
        via=AccessLog.Via.OWN,
        channel=channel,
    )
    return consultation


@transaction.atomic
def consultation_link_person(
    *, user: User, consultation: Consultation, person: Person
) -> Consultation:
    """Attach a person to an anonymous or unidentified consultation, once they are known."""
    organization = user_organization(user)
    if consultation.organization_id != organization.pk:
        raise ValidationError("他の機関の相談は変更できません")
    if consultation.person_id is not None:
        raise ValidationError("この相談には既に本人が登録されています")
    access = person_accesses(user=user, persons=[person]).get(person.pk)
    if access is None:
        raise ValidationError({"person": ["この本人の記録は参照できません"]})
    consultation.person = person
    changed_by(consultation, user=user, channel=AccessLog.Channel.WEB)
    consultation.save(update_fields=["person", "updated_at"])
    access_log(
        user=user,
        action=AccessLog.Action.UPDATE,
        obj=consultation,
        person=person,
        via=access.via,
        grant=access.grant,
    )
    return consultation
