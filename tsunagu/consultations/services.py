"""Writes of consultations: intake at any window (断らない相談) and quick follow-ups."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from tsunagu.access.models import AccessLog
from tsunagu.access.selectors import person_accesses, user_organization
from tsunagu.access.services import access_log
from tsunagu.accounts.models import User
from tsunagu.consultations.models import (
    Channel,
    Consultation,
    ConsultationTopic,
    Requester,
    Response,
    Topic,
)
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


def consultation_data_validate(
    data: ConsultationData, *, person: Person | None
) -> ConsultationData:
    errors: dict[str, str] = {}
    topics = list(dict.fromkeys(data.topics))  # keep order, drop repeats
    unknown = [t for t in [*topics, data.main_topic] if t not in Topic.values]
    if unknown:
        errors["topics"] = f"不明な相談の内容です: {', '.join(unknown)}"
    elif data.main_topic not in topics:
        topics.insert(0, data.main_topic)
    if data.channel not in Channel.values:
        errors["channel"] = "相談方法の値が不正です"
    if data.requester not in Requester.values:
        errors["requester"] = "相談者の値が不正です"
    if data.response not in Response.values:
        errors["response"] = "対応の値が不正です"
    if timezone.is_naive(data.received_at):
        errors["received_at"] = "受付日時にタイムゾーンがありません"
    elif data.received_at > timezone.now() + dt.timedelta(minutes=5):
        errors["received_at"] = "受付日時が未来です"
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
    )


@transaction.atomic
def consultation_create(
    *,
    user: User,
    person: Person | None,
    data: ConsultationData,
    follows: Consultation | None = None,
    channel: str = "web",
    action: str = AccessLog.Action.CREATE,
) -> Consultation:
    """Record a consultation taken by the user's organization.

    The person may be the organization's own record or one shared with it by a grant.
    """
    organization = user_organization(user)
    person_via: str = AccessLog.Via.OWN
    grant = None
    if person is not None:
        access = person_accesses(user=user, persons=[person]).get(person.pk)
        if access is None:
            raise ValidationError({"person": ["この本人の記録は参照できません"]})
        person_via, grant = access.via, access.grant
    if follows is not None and follows.organization_id != organization.pk:
        raise ValidationError({"follows": ["他の機関の相談には続けられません"]})
    data = consultation_data_validate(data, person=person)
    consultation = Consultation(
        organization=organization,
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
    consultation.full_clean(validate_unique=False, validate_constraints=False)  # the DB's job
    consultation.save()
    ConsultationTopic.objects.bulk_create(
        ConsultationTopic(consultation=consultation, topic=t) for t in data.topics
    )
    access_log(
        user=user,
        action=action,
        obj=consultation,
        person=person,
        via=person_via,
        grant=grant,
        channel=channel,
    )
    return consultation


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
