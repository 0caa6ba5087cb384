"""Staff pages of 地域づくり (/resources/): the community's resources, their providers and
places, schedules and contacts, activities and the counts per fiscal year.

Every staff member of the city reads them; edits follow `access.py` (生活支援コーディネーター,
managers and administrators everywhere in the city, a provider's own organization its own
resources). Not allowed is the same 404 as not found.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from tsunagu.accounts.access import organizations_visible_to, user_municipality
from tsunagu.accounts.http import AuthenticatedHttpRequest
from tsunagu.core.fiscal import fiscal_year_of
from tsunagu.core.forms import add_service_errors
from tsunagu.core.history import form_version
from tsunagu.organizations.models import Area
from tsunagu.resources import selectors, services
from tsunagu.resources.access import (
    activities_editable_by,
    edits_whole_city,
    locations_editable_by,
    may_edit_any,
    providers_editable_by,
    resource_get_editable,
    resource_get_for,
    resources_editable_by,
    resources_readable_by,
)
from tsunagu.resources.forms import (
    ActivityForm,
    ContactForm,
    LocationForm,
    ProviderForm,
    ResourceForm,
    ScheduleForm,
    SearchForm,
)
from tsunagu.resources.models import (
    Activity,
    Category,
    CommunityResource,
    Location,
    Party,
    Provider,
)

PAGE_SIZE = 50


def index(request: AuthenticatedHttpRequest) -> HttpResponse:
    """社会資源の一覧: search, and the entries to check for the yearly 加除."""
    municipality = user_municipality(request.user)
    readable = resources_readable_by(request.user)
    form = SearchForm(
        request.GET or None,
        categories=list(Category.objects.all()),
        areas=selectors.areas_of(municipality=municipality),
    )
    query = selectors.ResourceQuery(
        text=form.value("q"),
        category=form.value("category"),
        area=form.value("area"),
        weekday=form.value("day"),
        host_only=request.GET.get("host") == "1",
        stale_only=request.GET.get("stale") == "1",
    )
    results = selectors.resource_search(resources=readable, query=query)
    page = Paginator(results, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "resources/index.html",
        {
            "form": form,
            "page": page,
            "query": query,
            "can_edit": may_edit_any(request.user),
            "stale_before": selectors.stale_before(),
        },
    )


def detail(request: AuthenticatedHttpRequest, resource_id: int) -> HttpResponse:
    resource = selectors.resource_detail(resource=resource_get_for(request.user, resource_id))
    editable = resources_editable_by(request.user).filter(pk=resource.pk).exists()
    return render(
        request,
        "resources/detail.html",
        {
            "resource": resource,
            "editable": editable,
            "history": selectors.resource_history(resource=resource) if editable else [],
            "stale": resource.last_verified_on is None
            or resource.last_verified_on < selectors.stale_before(),
        },
    )


def _resource_form(request: AuthenticatedHttpRequest, **kwargs: object) -> ResourceForm:
    return ResourceForm(
        request.POST or None,
        providers=providers_editable_by(request.user).order_by("name_kana", "name"),
        locations=Location.objects.filter(municipality=user_municipality(request.user)),
        **kwargs,
    )


@require_http_methods(["GET", "POST"])
def create(request: AuthenticatedHttpRequest) -> HttpResponse:
    if not may_edit_any(request.user):
        raise Http404
    form = _resource_form(request)
    if request.method == "POST" and form.is_valid():
        try:
            resource = services.resource_create(
                user=request.user, data=form.to_data(), submission=form.submission_id()
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"「{resource.name}」を登録しました")
            return redirect("resources:detail", resource_id=resource.pk)
    return render(request, "resources/form.html", {"form": form, "resource": None})


@require_http_methods(["GET", "POST"])
def edit(request: AuthenticatedHttpRequest, resource_id: int) -> HttpResponse:
    resource = resource_get_editable(request.user, resource_id)
    form = _resource_form(request, initial=ResourceForm.initial_of(resource))
    if request.method == "POST" and form.is_valid():
        try:
            services.resource_update(
                user=request.user,
                resource=resource,
                data=form.to_data(),
                expected_version=form_version(request.POST),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"「{resource.name}」を更新しました")
            return redirect("resources:detail", resource_id=resource.pk)
    return render(request, "resources/form.html", {"form": form, "resource": resource})


@require_POST
def verify(request: AuthenticatedHttpRequest, resource_id: int) -> HttpResponse:
    resource = resource_get_editable(request.user, resource_id)
    services.resource_verify(user=request.user, resource=resource)
    messages.success(request, "本日付けで内容を確認済みにしました")
    return redirect("resources:detail", resource_id=resource.pk)


def _part_add(
    request: AuthenticatedHttpRequest,
    resource: CommunityResource,
    form: Any,
    add: Callable[..., object],
    *,
    title: str,
    done: str,
) -> HttpResponse:
    """Add a schedule or a contact to a resource: the form, the service, back to the resource."""
    if request.method == "POST" and form.is_valid():
        try:
            add(
                user=request.user,
                resource=resource,
                data=form.to_data(),
                submission=form.submission_id(),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, done)
            return redirect("resources:detail", resource_id=resource.pk)
    return render(
        request, "resources/part_form.html", {"form": form, "resource": resource, "title": title}
    )


@require_http_methods(["GET", "POST"])
def schedule_add(request: AuthenticatedHttpRequest, resource_id: int) -> HttpResponse:
    resource = resource_get_editable(request.user, resource_id)
    form = ScheduleForm(request.POST or None, locations=resource.locations.all())
    return _part_add(
        request,
        resource,
        form,
        services.schedule_add,
        title="開催日時の追加",
        done="開催日時を追加しました",
    )


@require_POST
def schedule_remove(
    request: AuthenticatedHttpRequest, resource_id: int, schedule_id: int
) -> HttpResponse:
    resource = resource_get_editable(request.user, resource_id)
    schedule = resource.schedules.filter(pk=schedule_id).first()
    if schedule is None:
        raise Http404
    services.schedule_remove(user=request.user, schedule=schedule)
    messages.success(request, "開催日時を削除しました")
    return redirect("resources:detail", resource_id=resource.pk)


@require_http_methods(["GET", "POST"])
def contact_add(request: AuthenticatedHttpRequest, resource_id: int) -> HttpResponse:
    resource = resource_get_editable(request.user, resource_id)
    form = ContactForm(request.POST or None)
    return _part_add(
        request,
        resource,
        form,
        services.contact_add,
        title="連絡先の追加",
        done="連絡先を追加しました",
    )


@require_POST
def contact_remove(
    request: AuthenticatedHttpRequest, resource_id: int, contact_id: int
) -> HttpResponse:
    resource = resource_get_editable(request.user, resource_id)
    contact = resource.contacts.filter(pk=contact_id).first()
    if contact is None:
        raise Http404
    services.contact_remove(user=request.user, contact=contact)
    messages.success(request, "連絡先を削除しました")
    return redirect("resources:detail", resource_id=resource.pk)


# --- providers and places -------------------------------------------------------------------


def providers(request: AuthenticatedHttpRequest) -> HttpResponse:
    municipality = user_municipality(request.user)
    page = Paginator(selectors.providers_of(municipality=municipality), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    editable = set(providers_editable_by(request.user).values_list("pk", flat=True))
    return render(
        request,
        "resources/providers.html",
        {"page": page, "editable": editable, "can_create": may_edit_any(request.user)},
    )


@require_http_methods(["GET", "POST"])
def provider_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    if not edits_whole_city(request.user):
        raise Http404
    form = ProviderForm(request.POST or None, organizations=organizations_visible_to(request.user))
    if request.method == "POST" and form.is_valid():
        try:
            services.provider_create(
                user=request.user, data=form.to_data(), submission=form.submission_id()
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "運営団体を登録しました")
            return redirect("resources:providers")
    return render(request, "resources/part_form.html", {"form": form, "title": "運営団体の登録"})


@require_http_methods(["GET", "POST"])
def provider_edit(request: AuthenticatedHttpRequest, provider_id: int) -> HttpResponse:
    provider: Provider | None = providers_editable_by(request.user).filter(pk=provider_id).first()
    if provider is None:
        raise Http404
    organizations = organizations_visible_to(request.user)
    if not edits_whole_city(request.user):
        # the organization link decides who edits; only city editors change it
        organizations = organizations.filter(pk=provider.organization_id or 0)
    initial = {
        f: getattr(provider, f)
        for f in ("name", "name_kana", "description", "url", "email", "phone", "organization")
    }
    form = ProviderForm(request.POST or None, organizations=organizations, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.provider_update(user=request.user, provider=provider, data=form.to_data())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "運営団体を更新しました")
            return redirect("resources:providers")
    return render(
        request,
        "resources/part_form.html",
        {"form": form, "title": f"運営団体の編集: {provider.name}"},
    )


def locations(request: AuthenticatedHttpRequest) -> HttpResponse:
    municipality = user_municipality(request.user)
    places = Location.objects.filter(municipality=municipality).select_related("area")
    page = Paginator(places.order_by("name"), PAGE_SIZE).get_page(request.GET.get("page"))
    editable = set(locations_editable_by(request.user).values_list("pk", flat=True))
    return render(
        request,
        "resources/locations.html",
        {"page": page, "editable": editable, "can_create": may_edit_any(request.user)},
    )


def _areas(request: AuthenticatedHttpRequest) -> object:
    return Area.objects.filter(municipality=user_municipality(request.user))


@require_http_methods(["GET", "POST"])
def location_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    if not may_edit_any(request.user):
        raise Http404
    form = LocationForm(request.POST or None, areas=_areas(request))  # type: ignore[arg-type]
    if request.method == "POST" and form.is_valid():
        try:
            services.location_create(
                user=request.user, data=form.to_data(), submission=form.submission_id()
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "場所を登録しました")
            return redirect("resources:locations")
    return render(request, "resources/part_form.html", {"form": form, "title": "場所の登録"})


@require_http_methods(["GET", "POST"])
def location_edit(request: AuthenticatedHttpRequest, location_id: int) -> HttpResponse:
    location = locations_editable_by(request.user).filter(pk=location_id).first()
    if location is None:
        raise Http404
    names = [
        "kind",
        "name",
        "postal_code",
        "address",
        "area",
        "latitude",
        "longitude",
        "url",
        "transportation",
        "accessibility",
    ]
    form = LocationForm(
        request.POST or None,
        areas=_areas(request),  # type: ignore[arg-type]
        initial={n: getattr(location, n) for n in names},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.location_update(user=request.user, location=location, data=form.to_data())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "場所を更新しました")
            return redirect("resources:locations")
    return render(
        request, "resources/part_form.html", {"form": form, "title": f"場所の編集: {location.name}"}
    )


# --- activities and counts ------------------------------------------------------------------


def activities(request: AuthenticatedHttpRequest) -> HttpResponse:
    municipality = user_municipality(request.user)
    rows = (
        Activity.objects.filter(municipality=municipality)
        .select_related("resource", "organizer")
        .order_by("-held_on", "-pk")
    )
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    editable = set(activities_editable_by(request.user).values_list("pk", flat=True))
    return render(
        request,
        "resources/activities.html",
        {"page": page, "editable": editable, "can_create": True},
    )


def _activity_form(request: AuthenticatedHttpRequest, **kwargs: object) -> ActivityForm:
    organizations = organizations_visible_to(request.user)
    if not edits_whole_city(request.user):
        organizations = organizations.filter(pk=request.user.organization_id or 0)
    return ActivityForm(
        request.POST or None,
        resources=resources_readable_by(request.user).order_by("name_kana", "name"),
        organizations=organizations,
        **kwargs,
    )


@require_http_methods(["GET", "POST"])
def activity_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Any staff member records an activity of their own organization; city editors any."""
    form = _activity_form(
        request, initial={"organizer": request.user.organization, "held_on": timezone.localdate()}
    )
    if request.method == "POST" and form.is_valid():
        data = form.to_data()
        if not edits_whole_city(request.user) and data.organizer != request.user.organization:
            form.add_error("organizer", "自機関の活動だけを記録できます")
        else:
            try:
                services.activity_create(
                    user=request.user, data=data, submission=form.submission_id()
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, "活動を記録しました")
                return redirect("resources:activities")
    return render(request, "resources/part_form.html", {"form": form, "title": "活動・行事の記録"})


@require_http_methods(["GET", "POST"])
def activity_edit(request: AuthenticatedHttpRequest, activity_id: int) -> HttpResponse:
    activity = activities_editable_by(request.user).filter(pk=activity_id).first()
    if activity is None:
        raise Http404
    form = _activity_form(request, initial=ActivityForm.initial_of(activity))
    if request.method == "POST" and form.is_valid():
        try:
            services.activity_update(user=request.user, activity=activity, data=form.to_data())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "活動を更新しました")
            return redirect("resources:activities")
    return render(
        request,
        "resources/part_form.html",
        {"form": form, "title": f"活動の編集: {activity.title}"},
    )


def counts(request: AuthenticatedHttpRequest) -> HttpResponse:
    """地域づくりの実績: the counts per fiscal year that the plans report."""
    municipality = user_municipality(request.user)
    current = fiscal_year_of(timezone.localdate(), start_month=municipality.fiscal_year_start_month)
    raw = request.GET.get("fy", "")
    fiscal_year = int(raw) if len(raw) == 4 and raw.isdigit() and raw >= "2000" else current
    consultations = selectors.community_consultation_counts(
        municipality=municipality, fiscal_year=fiscal_year
    )
    matchings = selectors.matching_counts(municipality=municipality, fiscal_year=fiscal_year)
    return render(
        request,
        "resources/counts.html",
        {
            "fiscal_year": fiscal_year,
            "years": range(current - 3, current + 2),
            "by_category": selectors.resource_counts_by_category(
                municipality=municipality, fiscal_year=fiscal_year
            ),
            "by_area": selectors.resource_counts_by_area(municipality=municipality),
            "activities": selectors.activity_counts(
                municipality=municipality, fiscal_year=fiscal_year
            ),
            "consultations": [(label, consultations.get(code, 0)) for code, label in Party.choices],
            "matchings": [
                (label, matchings.get(code, selectors.MatchingCount(new=0, total=0)))
                for code, label in Party.choices
            ],
            "attendance": selectors.attendance_totals(
                municipality=municipality, fiscal_year=fiscal_year
            ),
        },
    )
