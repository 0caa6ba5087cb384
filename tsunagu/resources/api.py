"""HSDS 3.0 API of the user's city (/api/v1/hsds/), as the HSDS API reference describes it:
`/`, `/services` (paged; `search`, `taxonomy_term_id`, `organization_id`, `modified_after`),
`/services/{id}`, `/organizations` (`search`, `full`, `full_service`) and `/taxonomy_terms`
(`search`, `taxonomy_id`, `top_only`, `parent_id`) (and `/{id}`), `/taxonomies` (and `/{id}`),
`/service_at_locations` (paged; the same filters, `taxonomy_id` and `full`) and `/{id}`.

It serves what the public map shows (published resources, public contacts), to another
system holding a staff token; the same JSON is open data at /map/<city>/hsds/services.json.
"""

from __future__ import annotations

import datetime as dt
import math
import uuid
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.utils import timezone
from ninja import Query, Router
from pydantic import BaseModel, Field

from tsunagu.accounts.access import user_municipality
from tsunagu.accounts.tokens import request_user
from tsunagu.resources import selectors
from tsunagu.resources.categories import TAXONOMY_NAME
from tsunagu.resources.hsds import (
    AUDIENCE_TAXONOMY,
    HSDS_PROFILE,
    HSDS_VERSION,
    organization_document,
    service_at_location_document,
    service_document,
    service_status,
    taxonomy_documents,
    taxonomy_id,
    taxonomy_term_documents,
)
from tsunagu.resources.models import CommunityResource, Provider, ResourceLocation
from tsunagu.resources.search import query_terms, search_text

router = Router(tags=["hsds"])

MAX_PER_PAGE = 200


class ApiInfo(BaseModel):
    version: str
    profile: str
    openapi_url: str


class Page(BaseModel):
    total_items: int
    total_pages: int
    page_number: int
    size: int
    first_page: bool
    last_page: bool
    empty: bool
    contents: list[dict[str, Any]]


class PageParams(BaseModel):
    page: int = Field(1, ge=1, le=100_000, description="ページ番号（1から）")
    per_page: int = Field(50, ge=1, le=MAX_PER_PAGE, description="1ページの件数")


class ServiceFilters(PageParams):
    search: str = Field(
        "", max_length=200, description="キーワード（よみ・全角半角・異体字を区別しない）"
    )
    taxonomy_term_id: uuid.UUID | None = Field(None, description="分類（taxonomy_term）の ID")
    organization_id: uuid.UUID | None = Field(None, description="運営団体（organization）の ID")
    modified_after: str | None = Field(
        None,
        max_length=40,
        description="この日時以降に変更されたもの（2026-04-01T00:00:00+09:00 の形）",
        json_schema_extra={"format": "date-time"},
    )


class ServiceAtLocationFilters(ServiceFilters):
    taxonomy_id: uuid.UUID | None = Field(None, description="分類体系（taxonomy）の ID")
    full: bool = Field(False, description="true: 社会資源・場所・開催日時を入れ子で返す")


class TaxonomyFilters(PageParams):
    search: str = Field("", max_length=200, description="名前・説明の一部")


class OrganizationFilters(PageParams):
    search: str = Field(
        "",
        max_length=200,
        description="団体名・よみ・紹介のキーワード（よみ・全角半角・異体字を区別しない）",
    )
    full_service: bool = Field(
        False, description="true: 各団体に社会資源（service）を完全な形で入れ子にする"
    )
    full: bool = Field(
        False,
        description="true: 各団体に社会資源（service）の概要（ID・名前・説明・状態）を入れ子にする",
    )


class TaxonomyTermFilters(PageParams):
    search: str = Field("", max_length=200, description="名前・説明・コードの一部")
    taxonomy_id: uuid.UUID | None = Field(None, description="この分類体系（taxonomy）の分類だけ")
    top_only: bool = Field(False, description="true: 親の分類を持たない（最上位の）分類だけ")
    parent_id: uuid.UUID | None = Field(None, description="この分類を親に持つ分類だけ")


def _modified_after(value: str | None) -> dt.datetime | None:
    """An ISO 8601 date-time (without a zone: Japan time); anything else is a 422."""
    if value is None:
        return None
    try:
        when = dt.datetime.fromisoformat(value) if "T" in value.upper() else None
    except ValueError:
        when = None
    if when is None:
        raise ValidationError(
            {"modified_after": ["日時は 2026-04-01T00:00:00+09:00 の形で指定してください"]}
        )
    aware = when if timezone.is_aware(when) else timezone.make_aware(when)
    try:  # compared in UTC: PostgreSQL refuses offsets beyond ±15:59 that Python accepts
        return aware.astimezone(dt.UTC)
    except OverflowError as exc:
        raise ValidationError({"modified_after": ["日時が範囲外です"]}) from exc


def _page(items: list[dict[str, Any]], total: int, params: PageParams) -> Page:
    pages = max(1, math.ceil(total / params.per_page))
    return Page(
        total_items=total,
        total_pages=pages,
        page_number=params.page,
        size=len(items),
        first_page=params.page == 1,
        last_page=params.page >= pages,
        empty=total == 0,
        contents=items,
    )


def _published(request: HttpRequest) -> QuerySet[CommunityResource]:
    return selectors.public_resources(municipality=user_municipality(request_user(request)))


@router.get("/", response=ApiInfo, summary="HSDS API の情報")
def info(request: HttpRequest) -> ApiInfo:
    request_user(request)
    return ApiInfo(version=HSDS_VERSION, profile=HSDS_PROFILE, openapi_url="/api/v1/openapi.json")


@router.get("/services", response=Page, summary="公開中の社会資源（HSDS service）の一覧")
def services(request: HttpRequest, filters: Query[ServiceFilters]) -> Page:
    found = _filtered(_published(request), filters).prefetch_related("contacts")
    total = found.count()
    start = (filters.page - 1) * filters.per_page
    items = [service_document(r) for r in found[start : start + filters.per_page]]
    return _page(items, total, filters)


@router.get("/services/{id}", response=dict[str, Any], summary="社会資源（HSDS service）1件")
def service(request: HttpRequest, id: uuid.UUID) -> dict[str, Any]:
    found = (
        selectors.resource_search(resources=_published(request), query=selectors.ResourceQuery())
        .prefetch_related("contacts")
        .filter(hsds_id=id)
        .first()
    )
    if found is None:
        raise Http404
    return service_document(found)


def _organization_with_services(
    provider: Provider, published: QuerySet[CommunityResource], *, full_service: bool
) -> dict[str, Any]:
    """An organization with its published services: brief (id, name, description, status), or
    whole with `full_service`."""
    own = published.filter(provider=provider)
    doc = organization_document(provider)
    if full_service:
        services = selectors.resource_search(resources=own, query=selectors.ResourceQuery())
        doc["services"] = [service_document(r) for r in services.prefetch_related("contacts")]
    else:
        doc["services"] = [
            {
                "id": str(r.hsds_id),
                "organization_id": str(provider.hsds_id),
                "name": r.name,
                "description": r.description,
                "status": service_status(r),
            }
            for r in own.order_by("name", "pk")
        ]
    return doc


@router.get("/organizations", response=Page, summary="運営団体（HSDS organization）の一覧")
def organizations(request: HttpRequest, params: Query[OrganizationFilters]) -> Page:
    """The organizations with a published resource in the user's city; `search` by name,
    reading or description; `full` adds each one's services in brief, `full_service` whole."""
    published = _published(request)
    providers = list(
        Provider.objects.filter(resources__in=published.values("pk")).distinct().order_by("name")
    )
    terms = query_terms(params.search)
    if terms:
        providers = [
            p
            for p in providers
            if all(t in search_text(p.name, p.name_kana, p.description) for t in terms)
        ]
    start = (params.page - 1) * params.per_page
    shown = providers[start : start + params.per_page]
    if params.full or params.full_service:
        items = [
            _organization_with_services(p, published, full_service=params.full_service)
            for p in shown
        ]
    else:
        items = [organization_document(p) for p in shown]
    return _page(items, len(providers), params)


class OrganizationParams(BaseModel):
    full_service: bool = Field(
        False, description="true: 社会資源（service）を完全な形で入れ子にする"
    )


@router.get(
    "/organizations/{id}",
    response=dict[str, Any],
    summary="運営団体（HSDS organization）1件、社会資源の配列つき",
)
def organization(
    request: HttpRequest, id: uuid.UUID, params: Query[OrganizationParams]
) -> dict[str, Any]:
    """An organization with a published resource in the user's city; its services are the
    published ones only (brief: id, name, description, status; `full_service`: whole)."""
    published = _published(request)
    provider = Provider.objects.filter(resources__in=published.values("pk"), hsds_id=id).first()
    if provider is None:
        raise Http404
    return _organization_with_services(provider, published, full_service=params.full_service)


@router.get("/taxonomy_terms", response=Page, summary="分類（HSDS taxonomy_term）の一覧")
def taxonomy_terms(request: HttpRequest, params: Query[TaxonomyTermFilters]) -> Page:
    """The terms of both taxonomies; `search` in name, description and code, `taxonomy_id`
    one taxonomy's, `top_only` those without a parent, `parent_id` the children of one."""
    request_user(request)
    needle = params.search.strip().casefold()
    terms = [
        t
        for t in taxonomy_term_documents()
        if (
            not needle
            or any(needle in str(t.get(f, "")).casefold() for f in ("name", "description", "code"))
        )
        and (params.taxonomy_id is None or t["taxonomy_id"] == str(params.taxonomy_id))
        and (not params.top_only or "parent_id" not in t)
        and (params.parent_id is None or t.get("parent_id") == str(params.parent_id))
    ]
    start = (params.page - 1) * params.per_page
    return _page(terms[start : start + params.per_page], len(terms), params)


def _filtered(
    resources: QuerySet[CommunityResource], filters: ServiceFilters
) -> QuerySet[CommunityResource]:
    if filters.taxonomy_term_id is not None:
        resources = resources.filter(categories__hsds_id=filters.taxonomy_term_id)
    if filters.organization_id is not None:
        resources = resources.filter(provider__hsds_id=filters.organization_id)
    modified_after = _modified_after(filters.modified_after)
    if modified_after is not None:
        resources = resources.filter(updated_at__gte=modified_after)
    return selectors.resource_search(
        resources=resources, query=selectors.ResourceQuery(text=filters.search)
    )


def _taxonomy_filter(
    resources: QuerySet[CommunityResource], taxonomy: uuid.UUID | None
) -> QuerySet[CommunityResource]:
    """A resource is in a taxonomy when one of its terms is: every resource has a kind; the
    audience taxonomy holds those with an audience; an unknown taxonomy none."""
    if taxonomy is None:
        return resources
    if str(taxonomy) == taxonomy_id(TAXONOMY_NAME):
        return resources
    if str(taxonomy) == taxonomy_id(AUDIENCE_TAXONOMY):
        return resources.exclude(audiences=[])
    return resources.none()


def _links(resources: QuerySet[CommunityResource]) -> QuerySet[ResourceLocation]:
    return (
        ResourceLocation.objects.filter(resource__in=resources.values("pk"))
        .select_related("location", "location__area", "resource")
        .order_by("resource__name", "location__name", "pk")
    )


def _with_service(links: list[ResourceLocation]) -> None:
    """Give each link's resource the relations `service_document` reads, in a few queries."""
    ids = {link.resource_id for link in links}
    full = {
        r.pk: r
        for r in selectors.resource_search(
            resources=CommunityResource.objects.filter(pk__in=ids),
            query=selectors.ResourceQuery(),
        ).prefetch_related("contacts")
    }
    for link in links:
        link.resource = full[link.resource_id]


@router.get(
    "/service_at_locations",
    response=Page,
    summary="公開中の社会資源の実施場所（HSDS service_at_location）の一覧",
)
def service_at_locations(request: HttpRequest, filters: Query[ServiceAtLocationFilters]) -> Page:
    resources = _taxonomy_filter(_filtered(_published(request), filters), filters.taxonomy_id)
    links = _links(resources)
    total = links.count()
    start = (filters.page - 1) * filters.per_page
    page = list(links[start : start + filters.per_page])
    if filters.full:
        _with_service(page)
    items = [service_at_location_document(link, full=filters.full) for link in page]
    return _page(items, total, filters)


@router.get(
    "/service_at_locations/{id}",
    response=dict[str, Any],
    summary="実施場所（HSDS service_at_location）1件、入れ子つき",
)
def service_at_location(request: HttpRequest, id: uuid.UUID) -> dict[str, Any]:
    link = _links(_published(request)).filter(hsds_id=id).first()
    if link is None:
        raise Http404
    _with_service([link])
    return service_at_location_document(link, full=True)


def _taxonomies(search: str) -> list[dict[str, Any]]:
    needle = search.strip().casefold()
    return [
        t
        for t in taxonomy_documents()
        if not needle or needle in t["name"].casefold() or needle in t["description"].casefold()
    ]


@router.get("/taxonomies", response=Page, summary="分類体系（HSDS taxonomy）の一覧")
def taxonomies(request: HttpRequest, params: Query[TaxonomyFilters]) -> Page:
    request_user(request)
    found = _taxonomies(params.search)
    start = (params.page - 1) * params.per_page
    return _page(found[start : start + params.per_page], len(found), params)


@router.get("/taxonomies/{id}", response=dict[str, Any], summary="分類体系（HSDS taxonomy）1件")
def taxonomy(request: HttpRequest, id: uuid.UUID) -> dict[str, Any]:
    request_user(request)
    for doc in taxonomy_documents():
        if doc["id"] == str(id):
            return doc
    raise Http404


@router.get(
    "/taxonomy_terms/{id}", response=dict[str, Any], summary="分類（HSDS taxonomy_term）1件"
)
def taxonomy_term(request: HttpRequest, id: uuid.UUID) -> dict[str, Any]:
    request_user(request)
    for doc in taxonomy_term_documents():
        if doc["id"] == str(id):
            return doc
    raise Http404
