"""The public resource map (/map/<city>/): residents find the community's places and activities
without signing in.

Only published resources (and their public contacts, public events) ever appear; anything else
answers exactly like an id that does not exist. Pages are addressed by the resource's random
UUID, so nothing can be found by counting. Responses are cached briefly and each client address
is rate-limited. The map draws tiles from `settings.MAP_TILE_URL`; without it (or when no tile
loads, as on a closed network) the list is the page and works on its own.
"""

from __future__ import annotations

import uuid
from typing import cast
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.cache import cache_page
from django.views.decorators.http import require_GET

from tsunagu.access.throttle import count_in_window
from tsunagu.organizations.models import Municipality
from tsunagu.resources import selectors
from tsunagu.resources.forms import SearchForm
from tsunagu.resources.hsds import service_document
from tsunagu.resources.search import MAX_QUERY_LENGTH

PUBLIC_CACHE_SECONDS = 60
PAGE_SIZE = 30


class _Throttled(Exception):
    pass


def _throttle(request: HttpRequest) -> None:
    """Count one request of this client address; refuse past the per-minute limit."""
    limit: int = settings.PUBLIC_MAP_RATE_PER_MINUTE
    count, _ = count_in_window(f"public-map:{request.META.get('REMOTE_ADDR', '')}")
    if count > limit:
        raise _Throttled


def _too_many(request: HttpRequest) -> HttpResponse:
    response = render(request, "public_resources/throttled.html", status=429)
    response["Retry-After"] = "60"
    return response


def _city(slug: str) -> Municipality:
    return get_object_or_404(Municipality, slug=slug)


@login_not_required
@require_GET
def cities(request: HttpRequest) -> HttpResponse:
    """The cities whose resource maps are published here."""
    try:
        _throttle(request)
    except _Throttled:
        return _too_many(request)
    rows = (
        Municipality.objects.filter(community_resources__is_public=True).distinct().order_by("code")
    )
    return render(request, "public_resources/cities.html", {"cities": rows})


@login_not_required
@require_GET
@cache_page(PUBLIC_CACHE_SECONDS)
def index(request: HttpRequest, city: str) -> HttpResponse:
    """社会資源マップ: search by keyword, category, area and day; the map and the list."""
    try:
        _throttle(request)
    except _Throttled:
        return _too_many(request)
    municipality = _city(city)
    published = selectors.public_resources(municipality=municipality)
    form = SearchForm(
        request.GET or None,
        categories=selectors.categories_in_use(resources=published),
        areas=selectors.areas_of(municipality=municipality),
    )
    text = form.value("q")
    query = selectors.ResourceQuery(
        text=text,
        category=form.value("category"),
        area=form.value("area"),
        weekday=form.value("day"),
    )
    results = selectors.resource_search(resources=published, query=query)
    page = Paginator(results, PAGE_SIZE).get_page(request.GET.get("page"))
    markers = [
        {
            "name": r.name,
            "url": f"{request.path}{r.hsds_id}/",
            "lat": position[0],
            "lng": position[1],
            "place": link.location.name,
        }
        for r in page.object_list
        for link in r.resource_locations.all()
        if (position := link.location.position()) is not None
    ]
    return _with_tiles(
        render(
            request,
            "public_resources/index.html",
            {
                "municipality": municipality,
                "form": form,
                "page": page,
                "markers": markers,
                "tile_url": settings.MAP_TILE_URL,
                "tile_attribution": settings.MAP_TILE_ATTRIBUTION,
                "query_cut": len(text) > MAX_QUERY_LENGTH,
                "searched": any(v for v in request.GET.values()),
                "events": selectors.public_activities_upcoming(municipality=municipality),
            },
        )
    )


@login_not_required
@require_GET
@cache_page(PUBLIC_CACHE_SECONDS)
def detail(request: HttpRequest, city: str, resource_id: uuid.UUID) -> HttpResponse:
    try:
        _throttle(request)
    except _Throttled:
        return _too_many(request)
    municipality = _city(city)
    resource = selectors.public_resource_get(municipality=municipality, hsds_id=resource_id)
    if resource is None:
        raise Http404("見つかりません")
    markers = [
        {
            "name": link.location.name,
            "url": "",
            "lat": position[0],
            "lng": position[1],
            "place": link.location.address,
        }
        for link in resource.resource_locations.all()
        if (position := link.location.position()) is not None
    ]
    return _with_tiles(
        render(
            request,
            "public_resources/detail.html",
            {
                "municipality": municipality,
                "resource": resource,
                "contacts": [c for c in resource.contacts.all() if c.is_public],
                "markers": markers,
                "tile_url": settings.MAP_TILE_URL,
                "tile_attribution": settings.MAP_TILE_ATTRIBUTION,
                "events": [
                    a
                    for a in selectors.public_activities_upcoming(
                        municipality=municipality, limit=50
                    )
                    if a.resource_id == resource.pk
                ],
            },
        )
    )


@login_not_required
@require_GET
@cache_page(PUBLIC_CACHE_SECONDS)
def hsds_services(request: HttpRequest, city: str) -> HttpResponse:
    """The city's published directory as open data: HSDS 3.0 services, fully nested."""
    try:
        _throttle(request)
    except _Throttled:
        return _too_many(request)
    municipality = _city(city)
    resources = selectors.resource_search(
        resources=selectors.public_resources(municipality=municipality),
        query=selectors.ResourceQuery(),
    ).prefetch_related("contacts")
    return JsonResponse(
        [service_document(r) for r in resources],
        safe=False,
        json_dumps_params={"ensure_ascii": False},
    )


def _with_tiles(response: HttpResponse) -> HttpResponse:
    """The map's pages may load images from the configured tile server, and nothing else does:
    its origin is added to this response's Content-Security-Policy only."""
    parts = urlsplit(settings.MAP_TILE_URL)
    if parts.scheme and parts.netloc:
        base = cast("dict[str, list[str]]", settings.SECURE_CSP)
        policy = {key: list(sources) for key, sources in base.items()}
        policy["img-src"] = [*policy.get("img-src", []), f"{parts.scheme}://{parts.netloc}"]
        response._csp_config = policy  # type: ignore[attr-defined]  # Django's CSP middleware
    return response
