"""Writes of persons, households and identity links.

`PersonData` is the one shape of a person's fields that the form, the API and the CSV import
all fill; `person_data_validate` is the one set of rules they all get.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import CharField
from django.utils import timezone

from tsunagu.access.models import AccessLog
from tsunagu.access.scoping import user_organization
from tsunagu.access.services import LogEntry, access_log, access_log_many
from tsunagu.accounts.models import User
from tsunagu.core.bulk import rows_insert
from tsunagu.core.history import bulk_create_with_history, changed_by, refuse_stale
from tsunagu.core.text import clean_text, is_reading, nfkc
from tsunagu.core.validation import ItemInvalid, fields_validate, too_long
from tsunagu.organizations.models import Organization
from tsunagu.people import matching
from tsunagu.people.models import (
    ContactMethod,
    Household,
    HouseholdMember,
    Person,
    PersonKey,
    PersonLink,
    Relationship,
    Sex,
)

PHONE = re.compile(r"^\+?[0-9\-()\s]{0,20}$")
POSTAL = re.compile(r"^(\d{3})-?(\d{4})$")


@dataclass
class PersonData:
    family_name: str = ""
    given_name: str = ""
    family_name_kana: str = ""
    given_name_kana: str = ""
    birth_date: dt.date | None = None
    sex: str = Sex.UNKNOWN
    postal_code: str = ""
    address: str = ""
    phone: str = ""
    contact_method: str = ""
    contact_note: str = ""
    address_protected: bool = False
    address_protection_until: dt.date | None = None
    former_family_names: list[str] = field(default_factory=list)
    external_id: str = ""


_PERSON_DATA_FIELDS = tuple(f.name for f in fields(PersonData))

# the codes of each choice, worked out once (Django works them out again on every use)
_SEXES = frozenset(Sex.values)
_CONTACT_METHODS = frozenset(ContactMethod.values)
# each text field's length in the table: checked here with the other rules, so that a record
# passing them needs no model validation of its own (`person_create_many` writes thousands)
_MAX_LENGTHS = {
    f.name: f.max_length or 0
    for f in (Person._meta.get_field(name) for name in _PERSON_DATA_FIELDS)
    if isinstance(f, CharField)
}


def person_data_validate(data: PersonData) -> PersonData:
    """Check and tidy a person's fields; raise ValidationError({field: [message]}) in Japanese."""
    errors: dict[str, str] = {}
    cleaned = replace(data, former_family_names=list(data.former_family_names))
    for name in (
        "family_name",
        "given_name",
        "family_name_kana",
        "given_name_kana",
        "address",
        "contact_note",
        "external_id",
    ):
        setattr(cleaned, name, clean_text(getattr(data, name)))
    cleaned.former_family_names = [clean_text(n) for n in data.former_family_names if n.strip()]
    if not any(
        (cleaned.family_name, cleaned.given_name, cleaned.family_name_kana, cleaned.given_name_kana)
    ):
        errors["family_name"] = "氏名かふりがなのどれかを入力してください"
    for name in ("family_name_kana", "given_name_kana"):
        if not is_reading(getattr(cleaned, name)):
            errors[name] = "ふりがなはひらがなかカタカナで入力してください"
    if cleaned.birth_date is not None:
        if cleaned.birth_date > timezone.localdate():
            errors["birth_date"] = "生年月日が未来の日付です"
        elif cleaned.birth_date < dt.date(1890, 1, 1):
            errors["birth_date"] = "生年月日が古すぎます"
    postal = nfkc(data.postal_code).replace("〒", "")
    if postal:
        m = POSTAL.match(postal.replace("ー", "-").replace("−", "-"))
        if m is None:
            errors["postal_code"] = "郵便番号は 123-4567 の形で入力してください"
        else:
            cleaned.postal_code = f"{m.group(1)}-{m.group(2)}"
    phone = nfkc(data.phone)
    if phone and not PHONE.match(phone):
        errors["phone"] = "電話番号は数字とハイフンで入力してください"
    cleaned.phone = phone
    if cleaned.sex not in _SEXES:
        errors["sex"] = "性別の値が不正です"
    if cleaned.contact_method and cleaned.contact_method not in _CONTACT_METHODS:
        errors["contact_method"] = "連絡方法の値が不正です"
    if cleaned.address_protection_until and not cleaned.address_protected:
        errors["address_protection_until"] = "住所秘匿の期限は住所秘匿のときだけ入力します"
    if len(cleaned.external_id) > _MAX_LENGTHS["external_id"]:
        errors["external_id"] = f"IDが長すぎます（{_MAX_LENGTHS['external_id']}文字まで）"
    for name, limit in _MAX_LENGTHS.items():
        length = len(getattr(cleaned, name))
        if length > limit and name not in errors:
            errors[name] = too_long(limit, length)
    if errors:
        raise ValidationError({k: [v] for k, v in errors.items()})
    return cleaned


def person_facts(person: Person) -> matching.PersonFacts:
    return matching.PersonFacts(
        family_name=person.family_name,
        given_name=person.given_name,
        family_name_kana=person.family_name_kana,
        given_name_kana=person.given_name_kana,
        birth_date=person.birth_date,
        phone=person.phone,
        postal_code=person.postal_code,
        address=person.address,
        former_family_names=tuple(person.former_family_names),
    )


def person_keys_refresh(*, person: Person) -> None:
    """Rewrite the blocking keys identity matching looks records up by."""
    keys = matching.match_keys(person_facts(person))
    # unscoped: the keys of one record its service is writing; never shown
    PersonKey.dangerously_unscoped.filter(person=person).exclude(key__in=keys).delete()
    existing = set(
        PersonKey.dangerously_unscoped.filter(person=person).values_list("key", flat=True)
    )
    PersonKey.objects.bulk_create(PersonKey(person=person, key=k) for k in sorted(keys - existing))


def _apply(person: Person, data: PersonData) -> None:
    for name in _PERSON_DATA_FIELDS:
        value = getattr(data, name)
        setattr(person, name, list(value) if isinstance(value, list) else value)


_EXTERNAL_ID_TAKEN = "このIDの本人は既に登録されています"


def _save(person: Person) -> None:
    fields_validate(person)
    try:
        with transaction.atomic():
            person.save()
    except IntegrityError as exc:  # the external_id is taken (a concurrent insert)
        raise ValidationError({"external_id": [_EXTERNAL_ID_TAKEN]}) from exc


def _refuse_taken_external_ids(organization: Organization, persons: Sequence[Person]) -> None:
    """Raise ItemInvalid for the first new person whose external_id its organization already
    holds, or that an earlier person of the same batch has."""
    ids = [p.external_id for p in persons if p.external_id]
    # unscoped: the organization's own ids, checked for a clash; nothing is shown
    taken = set(
        Person.dangerously_unscoped.filter(organization=organization, external_id__in=ids)
        # the unique index's own condition: PostgreSQL then uses the index instead of reading
        # every record of a large organization (0.1 s a batch of an import)
        .exclude(external_id="")
        .values_list("external_id", flat=True)
    )
    for index, person in enumerate(persons):
        if person.external_id in taken:
            raise ItemInvalid(index, ValidationError({"external_id": [_EXTERNAL_ID_TAKEN]}))
        if person.external_id:
            taken.add(person.external_id)


def person_create(
    *,
    user: User,
    data: PersonData,
    channel: AccessLog.Channel = AccessLog.Channel.WEB,
    action: AccessLog.Action = AccessLog.Action.CREATE,
) -> Person:
    """Register a person for the user's organization."""
    try:
        return person_create_many(user=user, datas=[data], channel=channel, action=action)[0]
    except ItemInvalid as exc:
        raise exc.error from None


def _by_key(row: tuple[int, str]) -> tuple[str, int]:
    return row[1], row[0]


@transaction.atomic
def person_create_many(
    *,
    user: User,
    datas: Sequence[PersonData],
    channel: AccessLog.Channel = AccessLog.Channel.WEB,
    action: AccessLog.Action = AccessLog.Action.CREATE,
    known_keys: Mapping[matching.PersonFacts, Collection[str]] | None = None,
) -> list[Person]:
    """Register persons for the user's organization, with their matching keys and one access-log
    row each, in a few queries per batch (imports). `action` is `import` for imports.
    `known_keys`: the `matching.match_keys` the caller already worked out, by facts (a record
    whose facts are not there has its keys worked out here).

    Raises ItemInvalid naming the first refused item; then nothing is written.
    """
    organization = user_organization(user)
    persons: list[Person] = []
    for index, data in enumerate(datas):
        person = Person(organization=organization, created_by=user)
        try:
            # every rule of the record's own fields, its lengths and choices included: the
            # model's validation would repeat them (a tenth of a large import's write)
            _apply(person, person_data_validate(data))
        except ValidationError as exc:
            raise ItemInvalid(index, exc) from exc
        persons.append(person)
    _refuse_taken_external_ids(organization, persons)
    try:
        with transaction.atomic():
            bulk_create_with_history(
                persons,
                Person,
                batch_size=500,
                default_user=user,
                custom_historical_attrs={"history_channel": channel},
            )
    except IntegrityError as exc:  # an external_id taken by a concurrent insert: say which
        _refuse_taken_external_ids(organization, persons)
        raise ValidationError({"external_id": [_EXTERNAL_ID_TAKEN]}) from exc
    known_keys = known_keys or {}

    def keys_of(person: Person) -> Collection[str]:
        facts = person_facts(person)
        keys = known_keys.get(facts)
        return matching.match_keys(facts) if keys is None else keys

    # about 30 keys a person: plain rows, no model instances, in key order (the lookup index
    # is by key: sorted, neighbouring keys go to the same index pages one after another)
    rows: list[tuple[int, str]] = [(p.pk, key) for p in persons for key in keys_of(p)]
    rows.sort(key=_by_key)
    rows_insert(PersonKey, ["person", "key"], rows, batch_size=5000)
    access_log_many(
        user=user,
        action=action,
        entries=(LogEntry(obj=p, person=p, via=AccessLog.Via.OWN) for p in persons),
        channel=channel,
    )
    return persons


@transaction.atomic
def person_update(
    *,
    user: User,
    person: Person,
    data: PersonData,
    channel: AccessLog.Channel = AccessLog.Channel.WEB,
    action: AccessLog.Action = AccessLog.Action.UPDATE,
    expected_version: int | None = None,
) -> Person:
    """Only the organization holding the record changes it. Every field is replaced: callers
    with partial data start from the record's own values (an empty import key keeps the
    record's). With `expected_version` (the version the user's form was made from), a save over
    someone else's newer save is refused, naming what they changed."""
    if person.organization_id != user_organization(user).pk:
        raise ValidationError("他の機関の記録は変更できません")
    data = person_data_validate(data)
    if expected_version is not None:
        refuse_stale(person, expected_version)
    if not data.external_id:
        data = replace(data, external_id=person.external_id)  # an edit never clears the import key
    _apply(person, data)
    person.version += 1
    changed_by(person, user=user, channel=channel)
    _save(person)
    person_keys_refresh(person=person)
    access_log(
        user=user, action=action, obj=person, person=person, via=AccessLog.Via.OWN, channel=channel
    )
    return person


@transaction.atomic
def household_member_add(
    *,
    user: User,
    person: Person,
    relationship: str,
    household: Household | None = None,
    household_name: str = "",
) -> HouseholdMember:
    """Put a person of the user's organization into a household (a new one when none is given)."""
    organization = user_organization(user)
    if person.organization_id != organization.pk:
        raise ValidationError("他の機関の記録は世帯に加えられません")
    if relationship not in Relationship.values:
        raise ValidationError({"relationship": ["続柄の値が不正です"]})
    if household is None:
        # an unnamed household is named after its first member (山田さん世帯), not a number
        household = Household(
            organization=organization,
            name=household_name.strip() or household_name_for(person),
            created_by=user,
        )
        changed_by(household, user=user, channel=AccessLog.Channel.WEB)
        household.save()
    elif household.organization_id != organization.pk:
        raise ValidationError("他の機関の世帯には加えられません")
    else:
        # members join one at a time per household (the one-head rule holds under a race),
        # and the household's version moves: a change of the household, in its history
        # unscoped: the holder's own household, locked for the change
        household = Household.dangerously_unscoped.select_for_update().get(pk=household.pk)
        household.version += 1
        changed_by(household, user=user, channel=AccessLog.Channel.WEB)
        household.save(update_fields=["version"])
    # unscoped: whether the holder's own record already has a household
    if HouseholdMember.dangerously_unscoped.filter(person=person).exists():
        raise ValidationError("この本人は既に世帯に登録されています")
    if (
        relationship == Relationship.HEAD
        and household.members.filter(relationship=Relationship.HEAD).exists()
    ):
        raise ValidationError({"relationship": ["世帯主は既に登録されています"]})
    member = HouseholdMember(household=household, person=person, relationship=relationship)
    member.full_clean()
    member.save()
    access_log(
        user=user, action=AccessLog.Action.UPDATE, obj=member, person=person, via=AccessLog.Via.OWN
    )
    return member


@dataclass(frozen=True)
class HouseholdData:
    """The household's own fields, as its edit form gives them."""

    name: str
    address_protected: bool = False
    address_protection_until: dt.date | None = None


@transaction.atomic
def household_update(
    *,
    user: User,
    household: Household,
    data: HouseholdData,
    expected_version: int | None,
    channel: AccessLog.Channel = AccessLog.Channel.WEB,
) -> Household:
    """Change a household's own fields (呼び名, 住所秘匿 and its renewal date). Only its holder
    does; the form's version is required, and a save over someone else's newer change (a
    member joining counts) is refused naming what changed. Logged once per member (the
    household is theirs), and kept in the household's change history."""
    if household.organization_id != user_organization(user).pk:
        raise ValidationError("他の機関の世帯は変更できません")
    errors: dict[str, str] = {}
    name = data.name.strip()
    if not name:
        errors["name"] = "世帯の呼び名を入力してください（例: 山田さん世帯）"
    if data.address_protection_until and not data.address_protected:
        errors["address_protection_until"] = "住所秘匿の期限は住所秘匿のときだけ入力します"
    if errors:
        raise ValidationError(errors)
    if expected_version is None:
        raise ValidationError(
            "どの版を変更するのか分かりません。画面を開き直してから、もう一度保存してください"
        )
    refuse_stale(household, expected_version)
    household.name = name
    household.address_protected = data.address_protected
    household.address_protection_until = data.address_protection_until
    household.version += 1
    household.full_clean()
    changed_by(household, user=user, channel=channel)
    household.save(
        update_fields=["name", "address_protected", "address_protection_until", "version"]
    )
    members = list(
        # unscoped: the members of the holder's own household, to log the change as theirs
        HouseholdMember.dangerously_unscoped.filter(household=household).select_related("person")
    )
    access_log_many(
        user=user,
        action=AccessLog.Action.UPDATE,
        entries=[LogEntry(household, m.person, AccessLog.Via.OWN) for m in members]
        or [LogEntry(household, None, AccessLog.Via.OWN)],
        channel=channel,
    )
    return household


def household_name_for(person: Person) -> str:
    """山田さん世帯: what staff call a household, after the person it was started with."""
    name = person.family_name or person.family_name_kana or person.full_name
    return f"{name}さん世帯" if name else ""


@transaction.atomic
def household_member_register(
    *,
    user: User,
    household: Household,
    data: PersonData,
    relationship: str,
    channel: AccessLog.Channel = AccessLog.Channel.WEB,
) -> HouseholdMember:
    """Register a new person straight into a household (the 50-year-old son of an 8050
    household, from the household's page): the person and the membership in one step, or
    neither."""
    if household.organization_id != user_organization(user).pk:
        raise ValidationError("他の機関の世帯には加えられません")
    if relationship not in Relationship.values:
        raise ValidationError({"relationship": ["続柄の値が不正です"]})
    person = person_create(user=user, data=data, channel=channel)
    return household_member_add(
        user=user, person=person, relationship=relationship, household=household
    )


def _ordered(a: Person, b: Person) -> tuple[Person, Person]:
    return (a, b) if a.pk < b.pk else (b, a)


@transaction.atomic
def person_link(*, user: User, a: Person, b: Person, kind: str, note: str = "") -> PersonLink:
    """Record that two records are (or are not) the same human. Both records stay as they are."""
    if a.pk == b.pk:
        raise ValidationError("同じ記録どうしは名寄せできません")
    if kind not in PersonLink.Kind.values:
        raise ValidationError("判断の値が不正です")
    first, second = _ordered(a, b)
    # unscoped: whether this very pair was decided already
    if PersonLink.dangerously_unscoped.filter(
        person_a=first, person_b=second, undone_at__isnull=True
    ).exists():
        raise ValidationError("この組み合わせは既に判断されています")
    link = PersonLink.objects.create(
        person_a=first, person_b=second, kind=kind, note=note, created_by=user
    )
    for p in (first, second):
        via = (
            AccessLog.Via.OWN
            if p.organization_id == user_organization(user).pk
            else AccessLog.Via.ROLE
        )
        access_log(user=user, action=AccessLog.Action.LINK, obj=link, person=p, via=via)
    return link


@transaction.atomic
def person_link_undo(*, user: User, link: PersonLink) -> PersonLink:
    if link.undone_at is not None:
        raise ValidationError("この判断は既に取り消されています")
    link.undone_at = timezone.now()
    link.undone_by = user
    link.save(update_fields=["undone_at", "undone_by"])
    for p in (link.person_a, link.person_b):
        via = (
            AccessLog.Via.OWN
            if p.organization_id == user_organization(user).pk
            else AccessLog.Via.ROLE
        )
        access_log(user=user, action=AccessLog.Action.LINK, obj=link, person=p, via=via)
    return link
