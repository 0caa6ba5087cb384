"""Writes of the community's resources and 地域づくり records.

Every writer is keyword-only and runs in one transaction; it checks what the database cannot
(a schedule that never occurs, a location of another city) and runs `full_clean()`, so bad
input gives a Japanese message per field and writes nothing. Edits keep their history
(`core.history.changed_by`). A create form sent twice writes once through the project's one
mechanism, the one-time form token (`core.once.submit_once`, in the views).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils import timezone

from tsunagu.access.models import AccessLog
from tsunagu.access.services import access_log
from tsunagu.accounts.access import user_municipality
from tsunagu.accounts.models import User
from tsunagu.core.history import changed_by, refuse_stale
from tsunagu.core.text import clean_text
from tsunagu.organizations.models import Area, Municipality, Organization
from tsunagu.resources.categories import CATEGORIES, category_uuid
from tsunagu.resources.models import (
    CITY_EDITOR_ROLES,
    LATITUDE_RANGE,
    LONGITUDE_RANGE,
    Activity,
    AttendanceCount,
    Audience,
    Category,
    CommunityConsultation,
    CommunityResource,
    CommunityWorker,
    Contact,
    Location,
    Matching,
    Party,
    Provider,
    PublicInterestInitiative,
    ResourceLocation,
    Schedule,
)
from tsunagu.resources.recurrence import WEEKDAYS, occurrences
from tsunagu.resources.search import search_text

WEB = "web"
# how far ahead a schedule without an end must occur at least once
SCHEDULE_HORIZON_DAYS = 366


def _save(record: models.Model, *, user: User, channel: str) -> None:
    """Validate a record, name who saves it and through which channel (its history), save it."""
    record.full_clean()
    changed_by(record, user=user, channel=channel)
    record.save()


def _write[M: models.Model](
    record: M,
    fill: Callable[[M], None],
    *,
    user: User,
    channel: str,
    after: Callable[[M], None] | None = None,
) -> M:
    """The one path of every create and update here: `fill` checks the data and sets the
    fields, `_save` validates and saves with its history, `after` writes what needs the saved
    row (relations). All in one transaction."""
    with transaction.atomic():
        fill(record)
        _save(record, user=user, channel=channel)
        if after is not None:
            after(record)
        return record


def _versioned[M: models.Model](
    fill: Callable[[M], None], expected_version: int | None
) -> Callable[[M], None]:
    """An update's `fill` for a versioned record: with `expected_version` (the version the edit
    form was made from), a save over someone else's newer save is refused naming what they
    changed (`core.history.refuse_stale`); every update counts a version, so a form opened
    before an import or another edit is refused too."""

    def run(record: M) -> None:
        if expected_version is not None:
            refuse_stale(record, expected_version)
        fill(record)
        record.version += 1  # type: ignore[attr-defined]

    return run


def _raise(errors: dict[str, list[str]]) -> None:
    if errors:
        raise ValidationError(errors)


def category_vocabulary_ensure() -> None:
    """Write the shared categories (`categories.CATEGORIES`) where missing. Migration 0002 does
    this on install; tests that flush the database (browser tests) and the demo call it."""
    for order, (code, name, description) in enumerate(CATEGORIES):
        Category.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "description": description,
                "sort_order": order,
                "hsds_id": category_uuid(code),
            },
        )


# --- providers (HSDS organization) ----------------------------------------------------------


@dataclass(frozen=True)
class ProviderData:
    name: str
    name_kana: str = ""
    description: str = ""
    url: str = ""
    email: str = ""
    phone: str = ""
    organization: Organization | None = None


def _provider_apply(provider: Provider, data: ProviderData, municipality: Municipality) -> None:
    if data.organization is not None and data.organization.municipality_id != municipality.pk:
        raise ValidationError({"organization": ["他の市の機関は選べません"]})
    name = data.name.strip()
    duplicate = (
        Provider.objects.filter(municipality=municipality, name=name).exclude(pk=provider.pk)
    ).exists()
    if duplicate:
        raise ValidationError({"name": ["同じ名前の運営団体が既に登録されています"]})
    provider.name = name
    provider.name_kana = data.name_kana.strip()
    provider.description = data.description.strip()
    provider.url = data.url.strip()
    provider.email = data.email.strip()
    provider.phone = data.phone.strip()
    provider.organization = data.organization


def provider_create(*, user: User, data: ProviderData, channel: str = WEB) -> Provider:
    municipality = user_municipality(user)
    return _write(
        Provider(municipality=municipality),
        lambda p: _provider_apply(p, data, municipality),
        user=user,
        channel=channel,
    )


def provider_update(
    *,
    user: User,
    provider: Provider,
    data: ProviderData,
    channel: str = WEB,
    expected_version: int | None = None,
) -> Provider:
    return _write(
        provider,
        _versioned(lambda p: _provider_apply(p, data, p.municipality), expected_version),
        user=user,
        channel=channel,
        after=lambda p: _resources_reindex(p.resources.all()),
    )


# --- locations (HSDS location) --------------------------------------------------------------


@dataclass(frozen=True)
class LocationData:
    name: str
    kind: str = Location.Kind.PHYSICAL
    postal_code: str = ""
    address: str = ""
    url: str = ""
    area: Area | None = None
    latitude: Decimal | None = None
    longitude: Decimal | None = None
    transportation: str = ""
    accessibility: str = ""


def location_data_check(data: LocationData, municipality: Municipality) -> None:
    """The rules of a place, as Japanese messages per field."""
    errors: dict[str, list[str]] = {}
    if data.kind not in Location.Kind.values:
        errors["kind"] = ["種別を選んでください"]
    if (data.latitude is None) != (data.longitude is None):
        errors["latitude"] = ["緯度と経度は両方とも入力するか、両方とも空欄にしてください"]
    elif data.latitude is not None and data.longitude is not None:
        if not LATITUDE_RANGE[0] <= data.latitude <= LATITUDE_RANGE[1]:
            errors["latitude"] = ["緯度が日本の範囲（北緯20〜46度）にありません"]
        if not LONGITUDE_RANGE[0] <= data.longitude <= LONGITUDE_RANGE[1]:
            errors["longitude"] = ["経度が日本の範囲（東経122〜154度）にありません"]
    if data.kind == Location.Kind.VIRTUAL:
        if data.address.strip() or data.latitude is not None:
            errors["address"] = ["オンラインの場所には住所・緯度経度を入れません"]
        if not data.url.strip():
            errors["url"] = ["オンラインの場所には URL を入力してください"]
    if data.area is not None and data.area.municipality_id != municipality.pk:
        errors["area"] = ["他の市の地区は選べません"]
    _raise(errors)


def _location_apply(location: Location, data: LocationData) -> None:
    location_data_check(data, location.municipality)
    location.kind = data.kind
    location.name = data.name.strip()
    location.postal_code = data.postal_code.strip()
    location.address = data.address.strip()
    location.url = data.url.strip()
    location.area = data.area
    location.latitude = data.latitude
    location.longitude = data.longitude
    location.transportation = data.transportation.strip()
    location.accessibility = data.accessibility.strip()


def location_create(*, user: User, data: LocationData, channel: str = WEB) -> Location:
    return _write(
        Location(municipality=user_municipality(user)),
        lambda loc: _location_apply(loc, data),
        user=user,
        channel=channel,
    )


def location_update(
    *,
    user: User,
    location: Location,
    data: LocationData,
    channel: str = WEB,
    expected_version: int | None = None,
) -> Location:
    return _write(
        location,
        _versioned(lambda loc: _location_apply(loc, data), expected_version),
        user=user,
        channel=channel,
    )


# --- resources (HSDS service) ---------------------------------------------------------------


@dataclass(frozen=True)
class ResourceData:
    provider: Provider
    name: str
    description: str
    categories: Sequence[Category]
    name_kana: str = ""
    status: str = CommunityResource.Status.ACTIVE
    audiences: Sequence[str] = ()
    eligibility_description: str = ""
    minimum_age: int | None = None
    maximum_age: int | None = None
    fees_description: str = ""
    application_process: str = ""
    url: str = ""
    email: str = ""
    phone: str = ""
    locations: Sequence[Location] = ()
    is_public: bool = False
    is_host: bool = False
    host_note: str = ""
    last_verified_on: dt.date | None = None


def _resource_check(data: ResourceData, municipality: Municipality, user: User | None) -> None:
    errors: dict[str, list[str]] = {}
    if data.provider.municipality_id != municipality.pk:
        errors["provider"] = ["他の市の運営団体は選べません"]
    if not data.categories:
        errors["categories"] = ["分類を1つ以上選んでください"]
    unknown = [a for a in data.audiences if a not in Audience.values]
    if unknown:
        errors["audiences"] = [f"対象のコードが正しくありません: {', '.join(unknown)}"]
    if any(loc.municipality_id != municipality.pk for loc in data.locations):
        errors["locations"] = ["他の市の場所は選べません"]
    if (
        data.minimum_age is not None
        and data.maximum_age is not None
        and data.maximum_age < data.minimum_age
    ):
        errors["maximum_age"] = ["対象年齢の上限が下限より小さくなっています"]
    if data.is_host and not data.host_note.strip():
        errors["host_note"] = ["受け入れ先にするときは、受け入れの内容・条件を書いてください"]
    if data.last_verified_on is not None and data.last_verified_on > timezone.localdate():
        errors["last_verified_on"] = ["最終確認日に未来の日付は入れられません"]
    if data.status not in CommunityResource.Status.values:
        errors["status"] = ["状況を選んでください"]
    _raise(errors)


def _resource_apply(resource: CommunityResource, data: ResourceData) -> None:
    _resource_check(data, resource.municipality, None)
    _unique_name_error(resource.municipality, data, resource.pk)
    resource.provider = data.provider
    resource.name = data.name.strip()
    resource.name_kana = data.name_kana.strip()
    resource.description = data.description.strip()
    resource.status = data.status
    resource.audiences = [a for a in Audience.values if a in set(data.audiences)]
    resource.eligibility_description = data.eligibility_description.strip()
    resource.minimum_age = data.minimum_age
    resource.maximum_age = data.maximum_age
    resource.fees_description = data.fees_description.strip()
    resource.application_process = data.application_process.strip()
    resource.url = data.url.strip()
    resource.email = data.email.strip()
    resource.phone = data.phone.strip()
    resource.is_public = data.is_public
    resource.is_host = data.is_host
    resource.host_note = data.host_note.strip()
    resource.last_verified_on = data.last_verified_on
    resource.search_text = search_text(
        resource.name, resource.name_kana, data.provider.name, resource.description
    )


def _resource_relations(resource: CommunityResource, data: ResourceData) -> None:
    resource.categories.set(data.categories)
    wanted = {loc.pk for loc in data.locations}
    kept = set(resource.resource_locations.values_list("location_id", flat=True))
    used = set(
        resource.schedules.filter(location__isnull=False).values_list("location_id", flat=True)
    )
    if used - wanted:
        raise ValidationError(
            {
                "locations": [
                    "開催日時に使われている場所は外せません。先に開催日時を削除してください"
                ]
            }
        )
    resource.resource_locations.exclude(location_id__in=wanted).delete()
    ResourceLocation.objects.bulk_create(
        [ResourceLocation(resource=resource, location_id=pk) for pk in sorted(wanted - kept)]
    )


def _unique_name_error(municipality: Municipality, data: ResourceData, exclude: int | None) -> None:
    clash = CommunityResource.objects.filter(
        municipality=municipality, provider=data.provider, name=data.name.strip()
    )
    if exclude is not None:
        clash = clash.exclude(pk=exclude)
    if clash.exists():
        raise ValidationError({"name": ["この運営団体に同じ名前の社会資源が既にあります"]})


def resource_create(*, user: User, data: ResourceData, channel: str = WEB) -> CommunityResource:
    return _write(
        CommunityResource(municipality=user_municipality(user)),
        lambda r: _resource_apply(r, data),
        user=user,
        channel=channel,
        after=lambda r: _resource_relations(r, data),
    )


def resource_update(
    *,
    user: User,
    resource: CommunityResource,
    data: ResourceData,
    channel: str = WEB,
    expected_version: int | None = None,
) -> CommunityResource:
    """With `expected_version` (the version the edit form was made from), a save over someone
    else's newer save is refused, naming what they changed."""

    return _write(
        resource,
        _versioned(lambda r: _resource_apply(r, data), expected_version),
        user=user,
        channel=channel,
        after=lambda r: _resource_relations(r, data),
    )


@transaction.atomic
def resource_verify(
    *, user: User, resource: CommunityResource, on: dt.date | None = None, channel: str = WEB
) -> CommunityResource:
    """Record that the entry was checked with its provider (the yearly 加除)."""
    resource.last_verified_on = on or timezone.localdate()
    # a check is a change too: an edit form opened before it is told (the row locked meanwhile)
    locked = CommunityResource.objects.select_for_update().filter(pk=resource.pk)
    resource.version = locked.values_list("version", flat=True).get() + 1
    changed_by(resource, user=user, channel=channel)
    resource.save(update_fields=["last_verified_on", "version", "updated_at"])
    return resource


def _resources_reindex(resources: models.QuerySet[CommunityResource]) -> None:
    for resource in resources.select_related("provider"):
        text = search_text(
            resource.name, resource.name_kana, resource.provider.name, resource.description
        )
        if text != resource.search_text:
            CommunityResource.objects.filter(pk=resource.pk).update(search_text=text)


# --- schedules ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScheduleData:
    kind: str
    weekdays: Sequence[str] = ()
    week_of_month: int | None = None
    dates: Sequence[dt.date] = ()
    opens_at: dt.time | None = None
    closes_at: dt.time | None = None
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None
    location: Location | None = None
    note: str = ""


def schedule_data_check(
    data: ScheduleData, resource: CommunityResource, today: dt.date | None = None
) -> None:
    """The rules of a schedule, in Japanese; a schedule that never occurs is refused."""
    errors: dict[str, list[str]] = {}
    if data.kind not in Schedule.Kind.values:
        errors["kind"] = ["くり返しを選んでください"]
    if any(w not in WEEKDAYS for w in data.weekdays):
        errors["weekdays"] = ["曜日が正しくありません"]
    if data.kind in ("weekly", "monthly") and not data.weekdays:
        errors["weekdays"] = ["曜日を1つ以上選んでください"]
    if data.kind == "monthly" and data.week_of_month not in (1, 2, 3, 4, 5, -1):
        errors["week_of_month"] = ["第何週かを選んでください"]
    if data.kind == "dates" and not data.dates:
        errors["dates"] = ["日付を1つ以上入力してください"]
    if data.opens_at and data.closes_at and data.closes_at <= data.opens_at:
        errors["closes_at"] = ["終了時刻は開始時刻より後にしてください"]
    if data.valid_from and data.valid_to and data.valid_to < data.valid_from:
        errors["valid_to"] = ["有効期間の終了が開始より前です"]
    if (
        data.location is not None
        and not resource.resource_locations.filter(location=data.location).exists()
    ):
        errors["location"] = ["この社会資源の実施場所から選んでください"]
    if not errors:
        start = data.valid_from or min(data.dates, default=today or timezone.localdate())
        if data.kind != "dates" and data.valid_from is None:
            start = today or timezone.localdate()
        end = data.valid_to or start + dt.timedelta(days=SCHEDULE_HORIZON_DAYS)
        if not occurrences(
            kind=data.kind,
            weekdays=data.weekdays,
            week_of_month=data.week_of_month if data.kind == "monthly" else None,
            dates=data.dates,
            start=start,
            end=end,
        ):
            errors["__all__"] = [
                "この予定は一度も開催日になりません。曜日・第◯週・日付と有効期間を見直してください"
            ]
    _raise(errors)


def schedule_add(
    *,
    user: User,
    resource: CommunityResource,
    data: ScheduleData,
    channel: str = WEB,
) -> Schedule:
    def create() -> Schedule:
        schedule_data_check(data, resource)
        schedule = Schedule(
            resource=resource,
            location=data.location,
            kind=data.kind,
            weekdays=",".join(w for w in WEEKDAYS if w in set(data.weekdays))
            if data.kind != "dates"
            else "",
            week_of_month=data.week_of_month if data.kind == "monthly" else None,
            dates=sorted({d.isoformat() for d in data.dates}) if data.kind == "dates" else [],
            opens_at=data.opens_at,
            closes_at=data.closes_at,
            valid_from=data.valid_from,
            valid_to=data.valid_to,
            note=data.note.strip(),
        )
        schedule.full_clean()
        schedule.save()
        _touch(resource, user=user, channel=channel)
        return schedule

    with transaction.atomic():
        return create()


@transaction.atomic
def schedule_remove(*, user: User, schedule: Schedule, channel: str = WEB) -> None:
    resource = schedule.resource
    schedule.delete()
    _touch(resource, user=user, channel=channel)


def _touch(resource: CommunityResource, *, user: User, channel: str) -> None:
    """A change to a resource's schedules or contacts is a change of the resource: it moves
    `updated_at` (HSDS last_modified) and leaves a line in its history."""
    changed_by(resource, user=user, channel=channel)
    resource.save(update_fields=["updated_at"])


# --- contacts -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ContactData:
    name: str
    title: str = ""
    department: str = ""
    phone: str = ""
    email: str = ""
    is_public: bool = False


def contact_add(
    *,
    user: User,
    resource: CommunityResource,
    data: ContactData,
    channel: str = WEB,
) -> Contact:
    def create() -> Contact:
        if not data.phone.strip() and not data.email.strip():
            raise ValidationError({"phone": ["電話番号かメールのどちらかを入力してください"]})
        contact = Contact(
            resource=resource,
            name=data.name.strip(),
            title=data.title.strip(),
            department=data.department.strip(),
            phone=data.phone.strip(),
            email=data.email.strip(),
            is_public=data.is_public,
        )
        contact.full_clean()
        contact.save()
        _touch(resource, user=user, channel=channel)
        return contact

    with transaction.atomic():
        return create()


@transaction.atomic
def contact_remove(*, user: User, contact: Contact, channel: str = WEB) -> None:
    resource = contact.resource
    contact.delete()
    _touch(resource, user=user, channel=channel)


# --- activities and counts ------------------------------------------------------------------


@dataclass(frozen=True)
class ActivityData:
    kind: str
    title: str
    held_on: dt.date
    starts_at: dt.time | None = None
    ends_at: dt.time | None = None
    place: str = ""
    description: str = ""
    resource: CommunityResource | None = None
    category: Category | None = None
    organizer: Organization | None = None
    is_public: bool = False
    participants: int | None = None


def _activity_apply(activity: Activity, data: ActivityData) -> None:
    errors: dict[str, list[str]] = {}
    city = activity.municipality_id
    if data.starts_at and data.ends_at and data.ends_at <= data.starts_at:
        errors["ends_at"] = ["終了時刻は開始時刻より後にしてください"]
    if data.resource is not None and data.resource.municipality_id != city:
        errors["resource"] = ["他の市の社会資源は選べません"]
    if data.organizer is not None and data.organizer.municipality_id != city:
        errors["organizer"] = ["他の市の機関は選べません"]
    if data.participants is not None and data.participants < 0:
        errors["participants"] = ["参加者数は0以上にしてください"]
    _raise(errors)
    activity.kind = data.kind
    activity.title = data.title.strip()
    activity.held_on = data.held_on
    activity.starts_at = data.starts_at
    activity.ends_at = data.ends_at
    activity.place = data.place.strip()
    activity.description = data.description.strip()
    activity.resource = data.resource
    activity.category = data.category
    activity.organizer = data.organizer
    activity.is_public = data.is_public
    activity.participants = data.participants


def activity_create(*, user: User, data: ActivityData, channel: str = WEB) -> Activity:
    return _write(
        Activity(municipality=user_municipality(user)),
        lambda a: _activity_apply(a, data),
        user=user,
        channel=channel,
    )


def activity_update(
    *,
    user: User,
    activity: Activity,
    data: ActivityData,
    channel: str = WEB,
    expected_version: int | None = None,
) -> Activity:
    return _write(
        activity,
        _versioned(lambda a: _activity_apply(a, data), expected_version),
        user=user,
        channel=channel,
    )


def _party_check(party: str, party_name: str) -> dict[str, list[str]]:
    if party not in Party.values:
        return {"party": ["相手の種別を選んでください"]}
    if party == "resident" and party_name.strip():
        return {"party_name": ["市民のときは名前を記録しません。空欄にしてください"]}
    return {}


def _same_city(
    errors: dict[str, list[str]],
    municipality_id: int,
    *,
    resource: CommunityResource | None = None,
    organization: Organization | None = None,
) -> None:
    if resource is not None and resource.municipality_id != municipality_id:
        errors["resource"] = ["他の市の社会資源は選べません"]
    if organization is not None and organization.municipality_id != municipality_id:
        errors["organization"] = ["他の市の機関は選べません"]


# --- 地域づくり相談 ------------------------------------------------------------------------


@dataclass(frozen=True)
class CommunityConsultationData:
    received_on: dt.date
    party: str
    summary: str
    party_name: str = ""
    resource: CommunityResource | None = None
    status: str = CommunityConsultation.Status.OPEN
    organization: Organization | None = None


def _community_consultation_apply(
    record: CommunityConsultation, data: CommunityConsultationData
) -> None:
    errors = _party_check(data.party, data.party_name)
    _same_city(
        errors, record.municipality_id, resource=data.resource, organization=data.organization
    )
    if data.status not in CommunityConsultation.Status.values:
        errors["status"] = ["状況を選んでください"]
    _raise(errors)
    record.received_on = data.received_on
    record.party = data.party
    record.party_name = data.party_name.strip()
    record.summary = data.summary.strip()
    record.resource = data.resource
    record.status = data.status
    record.organization = data.organization


def community_consultation_create(
    *,
    user: User,
    data: CommunityConsultationData,
    channel: str = WEB,
) -> CommunityConsultation:
    return _write(
        CommunityConsultation(municipality=user_municipality(user)),
        lambda r: _community_consultation_apply(r, data),
        user=user,
        channel=channel,
    )


def community_consultation_update(
    *,
    user: User,
    record: CommunityConsultation,
    data: CommunityConsultationData,
    channel: str = WEB,
    expected_version: int | None = None,
) -> CommunityConsultation:
    return _write(
        record,
        _versioned(lambda r: _community_consultation_apply(r, data), expected_version),
        user=user,
        channel=channel,
    )


def community_consultation_record(*, user: User, **fields: Any) -> CommunityConsultation:
    """A consultation from keyword fields (the demo loader and the tests)."""
    return community_consultation_create(user=user, data=CommunityConsultationData(**fields))


# --- 社会福祉法人の公益的な取組 ------------------------------------------------------------


@dataclass(frozen=True)
class PublicInterestInitiativeData:
    corporation: str
    title: str
    started_on: dt.date
    ended_on: dt.date | None = None
    description: str = ""
    participants: int | None = None
    resource: CommunityResource | None = None
    organization: Organization | None = None


def _public_interest_apply(
    record: PublicInterestInitiative, data: PublicInterestInitiativeData
) -> None:
    errors: dict[str, list[str]] = {}
    corporation = clean_text(data.corporation).strip()
    title = clean_text(data.title).strip()
    if not corporation:
        errors["corporation"] = ["社会福祉法人名を入力してください"]
    if not title:
        errors["title"] = ["取組名を入力してください"]
    if data.ended_on is not None and data.ended_on < data.started_on:
        errors["ended_on"] = ["終了日は開始日より後にしてください"]
    if data.participants is not None and data.participants < 0:
        errors["participants"] = ["参加者・利用者数は0以上にしてください"]
    _same_city(
        errors, record.municipality_id, resource=data.resource, organization=data.organization
    )
    _raise(errors)
    record.corporation = corporation
    record.title = title
    record.description = clean_text(data.description).strip()
    record.started_on = data.started_on
    record.ended_on = data.ended_on
    record.participants = data.participants
    record.resource = data.resource
    record.organization = data.organization


def public_interest_initiative_create(
    *,
    user: User,
    data: PublicInterestInitiativeData,
    channel: str = WEB,
) -> PublicInterestInitiative:
    return _write(
        PublicInterestInitiative(municipality=user_municipality(user)),
        lambda r: _public_interest_apply(r, data),
        user=user,
        channel=channel,
    )


def public_interest_initiative_update(
    *,
    user: User,
    record: PublicInterestInitiative,
    data: PublicInterestInitiativeData,
    channel: str = WEB,
    expected_version: int | None = None,
) -> PublicInterestInitiative:
    return _write(
        record,
        _versioned(lambda r: _public_interest_apply(r, data), expected_version),
        user=user,
        channel=channel,
    )


# --- マッチング ----------------------------------------------------------------------------


@dataclass(frozen=True)
class MatchingData:
    matched_on: dt.date
    party: str
    resource: CommunityResource
    party_name: str = ""
    is_new: bool = True
    note: str = ""
    status: str = Matching.Status.MATCHED
    organization: Organization | None = None


def _matching_apply(record: Matching, data: MatchingData) -> None:
    errors = _party_check(data.party, data.party_name)
    _same_city(
        errors, record.municipality_id, resource=data.resource, organization=data.organization
    )
    if data.status not in Matching.Status.values:
        errors["status"] = ["状況を選んでください"]
    _raise(errors)
    record.matched_on = data.matched_on
    record.party = data.party
    record.party_name = data.party_name.strip()
    record.resource = data.resource
    record.is_new = data.is_new
    record.note = data.note.strip()
    record.status = data.status
    record.organization = data.organization


def matching_create(*, user: User, data: MatchingData, channel: str = WEB) -> Matching:
    return _write(
        Matching(municipality=user_municipality(user)),
        lambda r: _matching_apply(r, data),
        user=user,
        channel=channel,
    )


def matching_update(
    *,
    user: User,
    record: Matching,
    data: MatchingData,
    channel: str = WEB,
    expected_version: int | None = None,
) -> Matching:
    return _write(
        record,
        _versioned(lambda r: _matching_apply(r, data), expected_version),
        user=user,
        channel=channel,
    )


def matching_record(*, user: User, **fields: Any) -> Matching:
    """A matching from keyword fields (the demo loader and the tests)."""
    return matching_create(user=user, data=MatchingData(**fields))


# --- 来所者数 ------------------------------------------------------------------------------


@dataclass(frozen=True)
class AttendanceData:
    resource: CommunityResource
    period_start: dt.date
    period_end: dt.date
    visits: int
    unique_visitors: int | None = None


def _attendance_apply(record: AttendanceCount, data: AttendanceData, city: int) -> None:
    errors: dict[str, list[str]] = {}
    if data.period_end < data.period_start:
        errors["period_end"] = ["期間の終了が開始より前です"]
    if data.visits < 0:
        errors["visits"] = ["延べ人数は0以上にしてください"]
    if data.unique_visitors is not None and not 0 <= data.unique_visitors <= data.visits:
        errors["unique_visitors"] = ["実人数は0以上、延べ人数以下にしてください"]
    _same_city(errors, city, resource=data.resource)
    if not errors:
        clash = AttendanceCount.objects.filter(
            resource=data.resource, period_start=data.period_start
        ).exclude(pk=record.pk)
        if clash.exists():
            errors["period_start"] = [
                "この社会資源のこの期間の来所者数は既に記録されています。一覧から編集してください"
            ]
    _raise(errors)
    record.resource = data.resource
    record.period_start = data.period_start
    record.period_end = data.period_end
    record.visits = data.visits
    record.unique_visitors = data.unique_visitors


def attendance_create(*, user: User, data: AttendanceData, channel: str = WEB) -> AttendanceCount:
    city = user_municipality(user).pk
    return _write(
        AttendanceCount(),
        lambda r: _attendance_apply(r, data, city),
        user=user,
        channel=channel,
    )


def attendance_update(
    *,
    user: User,
    record: AttendanceCount,
    data: AttendanceData,
    channel: str = WEB,
    expected_version: int | None = None,
) -> AttendanceCount:
    city = record.resource.municipality_id
    return _write(
        record,
        _versioned(lambda r: _attendance_apply(r, data, city), expected_version),
        user=user,
        channel=channel,
    )


@transaction.atomic
def attendance_record(
    *,
    user: User,
    resource: CommunityResource,
    period_start: dt.date,
    period_end: dt.date,
    visits: int,
    unique_visitors: int | None = None,
) -> AttendanceCount:
    """The 来所者数 of a period; recording the same period again replaces it (the demo loader
    and imports; the staff form refuses a second count of a period instead)."""
    data = AttendanceData(
        resource=resource,
        period_start=period_start,
        period_end=period_end,
        visits=visits,
        unique_visitors=unique_visitors,
    )
    existing = AttendanceCount.objects.filter(resource=resource, period_start=period_start).first()
    if existing is not None:
        return attendance_update(user=user, record=existing, data=data)
    return attendance_create(user=user, data=data)


# --- 担い手 --------------------------------------------------------------------------------


@dataclass(frozen=True)
class WorkerData:
    kind: str
    name: str
    name_kana: str = ""
    area: Area | None = None
    provider: Provider | None = None
    phone: str = ""
    email: str = ""
    started_on: dt.date | None = None
    ended_on: dt.date | None = None
    trainings: Sequence[Activity] = ()


def _worker_apply(worker: CommunityWorker, data: WorkerData, *, user: User) -> None:
    if not user.has_role(*CITY_EDITOR_ROLES):  # the roster is the city editors' only
        raise PermissionDenied("担い手の名簿は生活支援コーディネーター・管理者だけが扱えます")
    errors: dict[str, list[str]] = {}
    city = worker.municipality_id
    if data.kind not in CommunityWorker.Kind.values:
        errors["kind"] = ["種別を選んでください"]
    if data.area is not None and data.area.municipality_id != city:
        errors["area"] = ["他の市の地区は選べません"]
    if data.provider is not None and data.provider.municipality_id != city:
        errors["provider"] = ["他の市の運営団体は選べません"]
    if any(t.municipality_id != city for t in data.trainings):
        errors["trainings"] = ["他の市の講座・研修は選べません"]
    if data.started_on and data.ended_on and data.ended_on < data.started_on:
        errors["ended_on"] = ["活動終了日が活動開始日より前です"]
    if data.kind == CommunityWorker.Kind.WELFARE_COMMISSIONER_HELPER and data.area is None:
        errors["area"] = ["民生委員協力員は地区ごとに置かれます。地区を選んでください"]
    _raise(errors)
    worker.kind = data.kind
    worker.name = data.name.strip()
    worker.name_kana = data.name_kana.strip()
    worker.area = data.area
    worker.provider = data.provider
    worker.phone = data.phone.strip()
    worker.email = data.email.strip()
    worker.started_on = data.started_on
    worker.ended_on = data.ended_on


def _worker_saved(
    worker: CommunityWorker,
    *,
    user: User,
    action: AccessLog.Action,
    channel: str,
    trainings: Sequence[Activity],
) -> None:
    """What a roster write does once the row is saved: its trainings, and its access-log row
    (a roster row is about no resident: no person; the city editor's role is the basis)."""
    worker.trainings.set(trainings)
    access_log(
        user=user,
        action=action,
        obj=worker,
        person=None,
        via=AccessLog.Via.ROLE,
        channel=AccessLog.Channel(channel),
    )


def worker_create(*, user: User, data: WorkerData, channel: str = WEB) -> CommunityWorker:
    return _write(
        CommunityWorker(municipality=user_municipality(user)),
        lambda w: _worker_apply(w, data, user=user),
        user=user,
        channel=channel,
        after=lambda w: _worker_saved(
            w, user=user, action=AccessLog.Action.CREATE, channel=channel, trainings=data.trainings
        ),
    )


def worker_update(
    *,
    user: User,
    worker: CommunityWorker,
    data: WorkerData,
    channel: str = WEB,
    expected_version: int | None = None,
) -> CommunityWorker:
    return _write(
        worker,
        _versioned(lambda w: _worker_apply(w, data, user=user), expected_version),
        user=user,
        channel=channel,
        after=lambda w: _worker_saved(
            w, user=user, action=AccessLog.Action.UPDATE, channel=channel, trainings=data.trainings
        ),
    )
