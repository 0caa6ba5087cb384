"""Open Referral HSDS 3.0: the city's published directory out (services with everything
nested, as `schema/compiled/service.json` describes one), and another system's services in.

Out: only published resources that are running or on a break, and only contacts marked
public — the same as the public map. Ids are the records' `hsds_id`; nested objects that have no
row of their own (a phone number, an address, an attribute) get ids derived from their
parent's (uuid5), so an export is the same every time.

In: each service is validated against the official schemas (`hsds_schema/`, unchanged), then
written through the services: organizations → providers, locations → places, taxonomy terms →
categories (by id or code; an unknown term is reported and the service gets その他), schedules
(WEEKLY / MONTHLY with BYDAY, and single dates). A service already known by its id is updated,
so importing the same file twice changes nothing.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from tsunagu.accounts.access import user_municipality
from tsunagu.accounts.models import User
from tsunagu.organizations.models import Municipality
from tsunagu.resources.categories import TAXONOMY_NAME, TAXONOMY_NAMESPACE
from tsunagu.resources.models import (
    Audience,
    Category,
    CommunityResource,
    Location,
    Provider,
    ResourceLocation,
    Schedule,
)
from tsunagu.resources.recurrence import WEEKDAYS, describe
from tsunagu.resources.services import (
    ContactData,
    LocationData,
    ProviderData,
    ResourceData,
    ScheduleData,
    contact_add,
    location_create,
    location_update,
    provider_create,
    provider_update,
    resource_create,
    resource_update,
    schedule_add,
)

SCHEMA_DIR = Path(__file__).parent / "hsds_schema"
HSDS_VERSION = "3.0"
HSDS_PROFILE = "https://docs.openreferral.org/en/3.0/"
AUDIENCE_TAXONOMY = "tsunagu-audience"
AUDIENCE_NAMESPACE = uuid.UUID("6f1d7b1a-2d43-5c2e-8a57-0f3e9b6c4d21")
COUNTRY = "JP"

_STATUS_OUT = {
    CommunityResource.Status.ACTIVE: "active",
    CommunityResource.Status.TEMPORARILY_CLOSED: "temporarily closed",
    CommunityResource.Status.INACTIVE: "inactive",
    CommunityResource.Status.DEFUNCT: "defunct",
}
_STATUS_IN = {v: k for k, v in _STATUS_OUT.items()}


def derived_id(parent: uuid.UUID, name: str) -> str:
    return str(uuid.uuid5(parent, name))


def audience_term_id(code: str) -> str:
    return str(uuid.uuid5(AUDIENCE_NAMESPACE, code))


# --- out ------------------------------------------------------------------------------------


def taxonomy_id(name: str) -> str:
    """The id of a taxonomy (`/taxonomies`): derived from its name."""
    return str(uuid.uuid5(TAXONOMY_NAMESPACE, f"taxonomy:{name}"))


def taxonomy_term_document(category: Category) -> dict[str, Any]:
    doc = {
        "id": str(category.hsds_id),
        "code": category.code,
        "name": category.name,
        "description": category.description,
        "taxonomy": TAXONOMY_NAME,
        "taxonomy_id": taxonomy_id(TAXONOMY_NAME),
        "language": "ja",
    }
    if category.parent is not None:
        doc["parent_id"] = str(category.parent.hsds_id)
    return doc


def _audience_term(code: str, label: str) -> dict[str, Any]:
    return {
        "id": audience_term_id(code),
        "code": code,
        "name": label,
        "description": f"対象: {label}",
        "taxonomy": AUDIENCE_TAXONOMY,
        "taxonomy_id": taxonomy_id(AUDIENCE_TAXONOMY),
        "language": "ja",
    }


def _phones(parent: uuid.UUID, number: str, key: str = "phone") -> list[dict[str, Any]]:
    return [{"id": derived_id(parent, key), "number": number}] if number else []


def organization_document(provider: Provider) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "id": str(provider.hsds_id),
        "name": provider.name,
        "description": provider.description,
        "phones": _phones(provider.hsds_id, provider.phone),
    }
    if provider.name_kana:
        doc["alternate_name"] = provider.name_kana
    if provider.email:
        doc["email"] = provider.email
    if provider.url:
        doc["website"] = provider.url
    return doc


def location_document(location: Location, municipality: Municipality) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "id": str(location.hsds_id),
        "location_type": location.kind,
        "name": location.name,
        "addresses": [],
        "accessibility": [],
    }
    if location.has_position:
        doc["latitude"] = float(location.latitude)  # type: ignore[arg-type]
        doc["longitude"] = float(location.longitude)  # type: ignore[arg-type]
    if location.url:
        doc["url"] = location.url
    if location.transportation:
        doc["transportation"] = location.transportation
    if location.address:
        doc["addresses"].append(
            {
                "id": derived_id(location.hsds_id, "address"),
                "location_id": str(location.hsds_id),
                "address_1": location.address,
                "city": municipality.name,
                "region": location.area.name if location.area else "",
                "state_province": municipality.prefecture,
                "postal_code": location.postal_code,
                "country": COUNTRY,
                "address_type": "physical",
            }
        )
    if location.accessibility:
        doc["accessibility"].append(
            {
                "id": derived_id(location.hsds_id, "accessibility"),
                "location_id": str(location.hsds_id),
                "description": location.accessibility,
            }
        )
    return doc


def _time(value: dt.time | None) -> str | None:
    return value.strftime("%H:%M") if value else None


def schedule_documents(
    schedule: Schedule, service_id: str, sal_ids: Mapping[int, str]
) -> list[dict[str, Any]]:
    """One HSDS schedule for a weekly or monthly rule; one per date for listed dates (HSDS
    has no RDATE)."""
    base: dict[str, Any] = {"service_id": service_id}
    if schedule.location_id is not None and schedule.location_id in sal_ids:
        base["service_at_location_id"] = sal_ids[schedule.location_id]
    for key, value in (
        ("opens_at", _time(schedule.opens_at)),
        ("closes_at", _time(schedule.closes_at)),
    ):
        if value:
            base[key] = value
    if schedule.note:
        base["notes"] = schedule.note
    codes = schedule.weekday_codes()
    dates = [dt.date.fromisoformat(d) for d in schedule.dates]
    base["description"] = describe(
        kind=schedule.kind, weekdays=codes, week_of_month=schedule.week_of_month, dates=dates
    )
    if schedule.kind in ("weekly", "monthly"):
        doc = {**base, "id": str(schedule.hsds_id), "freq": schedule.kind.upper(), "wkst": "MO"}
        if schedule.kind == "weekly":
            doc["byday"] = ",".join(codes)
        else:
            doc["byday"] = ",".join(f"{schedule.week_of_month}{c}" for c in codes)
        if schedule.valid_from:
            doc["valid_from"] = doc["dtstart"] = schedule.valid_from.isoformat()
        if schedule.valid_to:
            doc["valid_to"] = doc["until"] = schedule.valid_to.isoformat()
        return [doc]
    out = []
    for day in dates:
        iso = day.isoformat()
        out.append(
            {
                **base,
                "id": derived_id(schedule.hsds_id, iso),
                "dtstart": iso,
                "valid_from": iso,
                "valid_to": iso,
                "count": 1,
            }
        )
    return out


def service_status(resource: CommunityResource) -> str:
    return _STATUS_OUT[CommunityResource.Status(resource.status)]


def service_document(resource: CommunityResource) -> dict[str, Any]:
    """One published resource as an HSDS 3.0 service with everything nested. Expects the
    relations prefetched (see `selectors.resource_search`) and `contacts`."""
    municipality = resource.municipality
    service_id = str(resource.hsds_id)
    doc: dict[str, Any] = {
        "id": service_id,
        "organization_id": str(resource.provider.hsds_id),
        "name": resource.name,
        "description": resource.description,
        "status": _STATUS_OUT[CommunityResource.Status(resource.status)],
        "last_modified": resource.updated_at.isoformat(),
        "phones": _phones(resource.hsds_id, resource.phone),
        "organization": organization_document(resource.provider),
    }
    optional = {
        "alternate_name": resource.name_kana,
        "url": resource.url,
        "email": resource.email,
        "eligibility_description": resource.eligibility_description,
        "fees_description": resource.fees_description,
        "application_process": resource.application_process,
        "assured_date": resource.last_verified_on.isoformat() if resource.last_verified_on else "",
    }
    doc.update({k: v for k, v in optional.items() if v})
    if resource.minimum_age is not None:
        doc["minimum_age"] = resource.minimum_age
    if resource.maximum_age is not None:
        doc["maximum_age"] = resource.maximum_age
    sal_ids: dict[int, str] = {}
    doc["service_at_locations"] = []
    for link in resource.resource_locations.all():
        sal_ids[link.location_id] = str(link.hsds_id)
        sal: dict[str, Any] = {
            "id": str(link.hsds_id),
            "service_id": service_id,
            "location_id": str(link.location.hsds_id),
            "location": location_document(link.location, municipality),
        }
        if link.description:
            sal["description"] = link.description
        doc["service_at_locations"].append(sal)
    doc["schedules"] = [
        s
        for schedule in resource.schedules.all()
        for s in schedule_documents(schedule, service_id, sal_ids)
    ]
    doc["contacts"] = [
        {
            "id": str(c.hsds_id),
            "service_id": service_id,
            "name": c.name,
            "title": c.title,
            "department": c.department,
            **({"email": c.email} if c.email else {}),
            "phones": _phones(c.hsds_id, c.phone),
        }
        for c in resource.contacts.all()
        if c.is_public
    ]
    attributes = [
        {
            "id": derived_id(resource.hsds_id, f"category:{c.code}"),
            "link_id": service_id,
            "link_entity": "service",
            "link_type": "service_type",
            "taxonomy_term_id": str(c.hsds_id),
            "taxonomy_term": taxonomy_term_document(c),
        }
        for c in resource.categories.all()
    ]
    labels = dict(Audience.choices)
    attributes += [
        {
            "id": derived_id(resource.hsds_id, f"audience:{a}"),
            "link_id": service_id,
            "link_entity": "service",
            "link_type": "audience",
            "taxonomy_term_id": audience_term_id(a),
            "taxonomy_term": _audience_term(a, labels[a]),
        }
        for a in resource.audiences
        if a in labels
    ]
    doc["attributes"] = attributes
    return doc


def taxonomy_term_documents() -> list[dict[str, Any]]:
    categories = Category.objects.select_related("parent").order_by("sort_order")
    terms = [taxonomy_term_document(c) for c in categories]
    terms += [_audience_term(code, label) for code, label in Audience.choices]
    return terms


def taxonomy_documents() -> list[dict[str, Any]]:
    """The two vocabularies the terms belong to (HSDS taxonomy): the kinds of resource and the
    audiences. Their ids derive from their names, the same in every installation."""
    return [
        {
            "id": taxonomy_id(TAXONOMY_NAME),
            "name": TAXONOMY_NAME,
            "description": "社会資源の種類（通いの場、サロン、子育て支援拠点 など）",
            "version": HSDS_VERSION,
        },
        {
            "id": taxonomy_id(AUDIENCE_TAXONOMY),
            "name": AUDIENCE_TAXONOMY,
            "description": "社会資源が迎える人（どなたでも、高齢の方、子ども など）",
            "version": HSDS_VERSION,
        },
    ]


def service_at_location_document(link: ResourceLocation, *, full: bool) -> dict[str, Any]:
    """A resource at one of its places (HSDS service_at_location). Brief: its own fields;
    `full`: with the service, the location and the schedules that apply at this place.
    Expects the service's relations prefetched as for `service_document`."""
    resource = link.resource
    service_id = str(resource.hsds_id)
    doc: dict[str, Any] = {
        "id": str(link.hsds_id),
        "service_id": service_id,
        "location_id": str(link.location.hsds_id),
    }
    if link.description:
        doc["description"] = link.description
    if not full:
        return doc
    service = service_document(resource)
    service.pop("service_at_locations", None)
    doc["service"] = service
    doc["location"] = location_document(link.location, resource.municipality)
    doc["schedules"] = [
        s
        for schedule in resource.schedules.all()
        if schedule.location_id in (None, link.location_id)
        for s in schedule_documents(schedule, service_id, {link.location_id: str(link.hsds_id)})
    ]
    doc["contacts"] = service["contacts"]
    doc["phones"] = []
    doc["attributes"] = []
    return doc


# --- validation -----------------------------------------------------------------------------


@cache
def _validator(name: str) -> Any:
    from jsonschema import Draft202012Validator
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    resources = [
        (p.name, Resource.from_contents(json.loads(p.read_text("utf-8")), DRAFT202012))
        for p in SCHEMA_DIR.glob("*.json")
    ]
    registry: Registry[Any] = Registry().with_resources(resources)
    schema = json.loads((SCHEMA_DIR / f"{name}.json").read_text("utf-8"))
    return Draft202012Validator(schema, registry=registry)


def hsds_errors(document: Any, kind: str = "service") -> list[str]:
    """What is wrong with a document against the official HSDS 3.0 schema of `kind`."""
    validator = _validator(kind)
    return [
        f"{'/'.join(str(p) for p in e.absolute_path) or '(全体)'}: {e.message}"
        for e in sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
    ]


# --- in -------------------------------------------------------------------------------------


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    warnings: list[str] = field(default_factory=list)


class HsdsInvalid(Exception):
    """A document that is not an HSDS 3.0 service; nothing of the import was written."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("\n".join(errors))
        self.errors = errors


def _uuid(value: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def _text(doc: Mapping[str, Any], key: str, limit: int) -> str:
    value = doc.get(key)
    return str(value)[:limit] if value is not None else ""


def _first_phone(doc: Mapping[str, Any]) -> str:
    phones = doc.get("phones") or []
    return str(phones[0].get("number", ""))[:40] if phones else ""


def _decimal(value: Any) -> Decimal | None:
    if value is None:
        return None
    try:
        return Decimal(str(value)).quantize(Decimal("0.000001"))
    except InvalidOperation:
        return None


def _parse_time(value: Any) -> dt.time | None:
    if not value:
        return None
    text = str(value)[:8]
    try:
        return dt.time.fromisoformat(
            text if len(text) > 5 else text + ":00" if len(text) == 5 else text
        )
    except ValueError:
        return None


def _parse_date(value: Any) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def _byday(text: str) -> tuple[list[str], int | None]:
    """'MO,TH' -> (['MO','TH'], None); '2TU' -> (['TU'], 2); '-1FR' -> (['FR'], -1)."""
    codes, nths = [], set()
    for part in [p.strip().upper() for p in text.split(",") if p.strip()]:
        code, prefix = part[-2:], part[:-2]
        if code not in WEEKDAYS:
            raise ValueError(f"BYDAY を読めません: {text}")
        codes.append(code)
        if prefix:
            nths.add(int(prefix))
    if len(nths) > 1:
        raise ValueError(f"第◯週の異なる BYDAY は1つの予定にできません: {text}")
    return codes, (nths.pop() if nths else None)


def _adopt(record: Provider | Location | CommunityResource, hsds_id: uuid.UUID | None) -> None:
    """Keep the other system's id for a new record, so a second import updates it; unless
    another city's record already has it (the same export loaded into two cities)."""
    model = type(record)
    if hsds_id is None or model.objects.filter(hsds_id=hsds_id).exists():
        return
    model.objects.filter(pk=record.pk).update(hsds_id=hsds_id)
    record.hsds_id = hsds_id


def _provider(user: User, municipality: Municipality, doc: Mapping[str, Any]) -> Provider:
    org = doc.get("organization") or {"id": doc.get("organization_id"), "name": "（運営団体不明）"}
    org_id = _uuid(org.get("id"))
    providers = Provider.objects.filter(municipality=municipality)
    provider = providers.filter(hsds_id=org_id).first() if org_id else None
    name = _text(org, "name", 200) or "（運営団体不明）"
    if provider is None:
        provider = Provider.objects.filter(municipality=municipality, name=name).first()
    data = ProviderData(
        name=name,
        name_kana=_text(org, "alternate_name", 200),
        description=_text(org, "description", 5000),
        url=_text(org, "website", 200),
        email=_text(org, "email", 254),
        phone=_first_phone(org),
        organization=provider.organization if provider else None,
    )
    if provider is None:
        provider = provider_create(user=user, data=data, channel="cli")
        _adopt(provider, org_id)
        return provider
    return provider_update(user=user, provider=provider, data=data, channel="cli")


def _location(user: User, municipality: Municipality, doc: Mapping[str, Any]) -> Location:
    loc_id = _uuid(doc.get("id"))
    locations = Location.objects.filter(municipality=municipality)
    location = locations.filter(hsds_id=loc_id).first() if loc_id else None
    if location is None and doc.get("name"):
        location = locations.filter(name=_text(doc, "name", 200)).first()
    addresses = doc.get("addresses") or []
    address = addresses[0] if addresses else {}
    region = str(address.get("region") or "")
    area = municipality.areas.filter(name=region).first() if region else None
    accessibility = "\n".join(
        str(a.get("description") or a.get("details") or "") for a in doc.get("accessibility") or []
    ).strip()
    kind = "virtual" if doc.get("location_type") == "virtual" else "physical"
    data = LocationData(
        name=_text(doc, "name", 200) or _text(address, "address_1", 200) or "（名称なし）",
        kind=kind,
        postal_code=_text(address, "postal_code", 8),
        address=_text(address, "address_1", 300) if kind == "physical" else "",
        url=_text(doc, "url", 200),
        area=area,
        latitude=_decimal(doc.get("latitude")) if kind == "physical" else None,
        longitude=_decimal(doc.get("longitude")) if kind == "physical" else None,
        transportation=_text(doc, "transportation", 300),
        accessibility=accessibility,
    )
    if location is None:
        location = location_create(user=user, data=data, channel="cli")
        _adopt(location, loc_id)
        return location
    return location_update(user=user, location=location, data=data, channel="cli")


def _categories(doc: Mapping[str, Any], report: ImportReport) -> tuple[list[Category], list[str]]:
    by_id = {str(c.hsds_id): c for c in Category.objects.all()}
    by_code = {c.code: c for c in by_id.values()}
    found: list[Category] = []
    audiences: list[str] = []
    audience_ids = {audience_term_id(a): a for a in Audience.values}
    for attr in doc.get("attributes") or []:
        term = attr.get("taxonomy_term") or {}
        term_id = str(attr.get("taxonomy_term_id") or term.get("id") or "")
        if term_id in audience_ids:
            audiences.append(audience_ids[term_id])
            continue
        category = by_id.get(term_id) or by_code.get(str(term.get("code") or ""))
        if category is not None:
            found.append(category)
        elif term:
            report.warnings.append(
                f"{doc.get('name')}: 分類「{term.get('name', term_id)}」は"
                "対応する分類がないため その他 にしました"
            )
    if not found:
        found.append(by_code["other"])
    return list(dict.fromkeys(found)), audiences


def _service(
    user: User,
    municipality: Municipality,
    doc: Mapping[str, Any],
    publish: bool,
    report: ImportReport,
) -> None:
    service_id = _uuid(doc["id"])
    provider = _provider(user, municipality, doc)
    sal_locations: dict[str, Location] = {}
    for sal in doc.get("service_at_locations") or []:
        if sal.get("location"):
            sal_locations[str(sal.get("id"))] = _location(user, municipality, sal["location"])
    categories, audiences = _categories(doc, report)
    resources = CommunityResource.objects.filter(municipality=municipality)
    resource = resources.filter(hsds_id=service_id).first() if service_id else None
    if resource is None:  # imported before under an id of our own (another city has theirs)
        resource = resources.filter(provider=provider, name=_text(doc, "name", 200)).first()
    status = _STATUS_IN.get(str(doc.get("status")), CommunityResource.Status.ACTIVE)
    data = ResourceData(
        provider=provider,
        name=_text(doc, "name", 200),
        name_kana=_text(doc, "alternate_name", 200),
        description=_text(doc, "description", 10000) or _text(doc, "name", 200),
        categories=categories,
        status=status,
        audiences=audiences,
        eligibility_description=_text(doc, "eligibility_description", 300),
        minimum_age=int(doc["minimum_age"]) if doc.get("minimum_age") is not None else None,
        maximum_age=int(doc["maximum_age"]) if doc.get("maximum_age") is not None else None,
        fees_description=_text(doc, "fees_description", 200),
        application_process=_text(doc, "application_process", 300),
        url=_text(doc, "url", 200),
        email=_text(doc, "email", 254),
        phone=_first_phone(doc),
        locations=list(dict.fromkeys(sal_locations.values())),
        is_public=publish if resource is None else resource.is_public,
        last_verified_on=_parse_date(doc.get("assured_date")),
    )
    if resource is None:
        resource = resource_create(user=user, data=data, channel="cli")
        _adopt(resource, service_id)
        report.created += 1
    else:
        resource.schedules.all().delete()
        resource.contacts.all().delete()
        resource = resource_update(user=user, resource=resource, data=data, channel="cli")
        report.updated += 1
    _schedules(user, resource, doc, sal_locations)
    for contact in doc.get("contacts") or []:
        phone = _first_phone(contact)
        email = _text(contact, "email", 254)
        if not phone and not email:
            continue
        contact_add(
            user=user,
            resource=resource,
            data=ContactData(
                name=_text(contact, "name", 100) or "窓口",
                title=_text(contact, "title", 100),
                department=_text(contact, "department", 100),
                phone=phone,
                email=email,
                is_public=True,  # it was published by the system it came from
            ),
            channel="cli",
        )


def _schedules(
    user: User,
    resource: CommunityResource,
    doc: Mapping[str, Any],
    sal_locations: Mapping[str, Location],
) -> None:
    singles: dict[tuple[Any, ...], list[dt.date]] = {}
    for s in doc.get("schedules") or []:
        location = sal_locations.get(str(s.get("service_at_location_id")))
        opens, closes = _parse_time(s.get("opens_at")), _parse_time(s.get("closes_at"))
        note = _text(s, "notes", 200)
        freq = s.get("freq")
        if freq in ("WEEKLY", "MONTHLY") and s.get("byday"):
            codes, nth = _byday(str(s["byday"]))
            schedule_add(
                user=user,
                resource=resource,
                data=ScheduleData(
                    kind=freq.lower(),
                    weekdays=codes,
                    week_of_month=nth if freq == "MONTHLY" else None,
                    opens_at=opens,
                    closes_at=closes,
                    valid_from=_parse_date(s.get("valid_from") or s.get("dtstart")),
                    valid_to=_parse_date(s.get("valid_to") or s.get("until")),
                    location=location,
                    note=note,
                ),
                channel="cli",
            )
            continue
        day = _parse_date(s.get("dtstart") or s.get("valid_from"))
        if day is not None:
            key = (location.pk if location else None, opens, closes, note)
            singles.setdefault(key, []).append(day)
    for (location_pk, opens, closes, note), days in singles.items():
        schedule_add(
            user=user,
            resource=resource,
            data=ScheduleData(
                kind="dates",
                dates=days,
                opens_at=opens,
                closes_at=closes,
                location=Location.objects.get(pk=location_pk) if location_pk else None,
                note=note,
            ),
            channel="cli",
        )


def hsds_import(*, user: User, documents: Iterable[Any], publish: bool = False) -> ImportReport:
    """Write HSDS 3.0 services into the user's city, all or nothing. Raises `HsdsInvalid`
    (every problem, named by document and path) when any document does not validate, and
    `ValidationError` (with the service's name) when a service breaks a rule here."""
    documents = list(documents)
    problems = []
    for index, doc in enumerate(documents, start=1):
        for error in hsds_errors(doc):
            problems.append(f"{index}件目: {error}")
    if problems:
        raise HsdsInvalid(problems)
    municipality = user_municipality(user)
    report = ImportReport()
    with transaction.atomic():
        for doc in documents:
            try:
                _service(user, municipality, doc, publish, report)
            except (ValidationError, ValueError) as exc:
                messages = exc.messages if isinstance(exc, ValidationError) else [str(exc)]
                raise ValidationError(f"{doc.get('name')}: {' / '.join(messages)}") from exc
    return report
