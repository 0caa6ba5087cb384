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
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from tsunagu.access.models import AccessLog
from tsunagu.accounts.access import organizations_visible_to, user_municipality
from tsunagu.accounts.http import AuthenticatedHttpRequest
from tsunagu.core.fiscal import fiscal_year_of
from tsunagu.core.forms import add_service_errors
from tsunagu.core.history import form_version
from tsunagu.core.once import AlreadySubmitted, submit_once
from tsunagu.organizations.models import Area
from tsunagu.resources import selectors, services
from tsunagu.resources.access import (
    activities_editable_by,
    attendance_editable_by,
    attendance_readable_by,
    community_consultations_editable_by,
    edits_whole_city,
    locations_editable_by,
    matchings_editable_by,
    may_edit_any,
    providers_editable_by,
    public_interest_initiatives_editable_by,
    resource_get_editable,
    resource_get_for,
    resources_editable_by,
    resources_readable_by,
    worker_get_for,
    workers_guard,
    workers_shown,
)
from tsunagu.resources.forms import (
    ActivityForm,
    AttendanceForm,
    CommunityConsultationForm,
    ContactForm,
    LocationForm,
    MatchingForm,
    ProviderForm,
    PublicInterestInitiativeForm,
    ResourceForm,
    ScheduleForm,
    SearchForm,
    WorkerForm,
)
from tsunagu.resources.models import (
    Activity,
    Category,
    CommunityConsultation,
    CommunityResource,
    CommunityWorker,
    Location,
    Matching,
    Party,
    Provider,
    PublicInterestInitiative,
)

PAGE_SIZE = 50
WEB = AccessLog.Channel.WEB


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
            resource = submit_once(
                form=form,
                write=lambda: services.resource_create(user=request.user, data=form.to_data()),
                url=lambda r: reverse("resources:detail", kwargs={"resource_id": r.pk}),
            )
        except AlreadySubmitted as done:
            messages.info(request, done.message)
            return redirect(done.url or reverse("resources:index"))
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"「{resource.name}」を登録しました")
            return redirect("resources:detail", resource_id=resource.pk)
    return render(request, "resources/form.html", {"form": form, "resource": None})


@require_http_methods(["GET", "POST"])
def edit(request: AuthenticatedHttpRequest, resource_id: int) -> HttpResponse:
    resource = resource_get_editable(request.user, resource_id)
    form = _resource_form(request, once=False, initial=ResourceForm.initial_of(resource))
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
        back = reverse("resources:detail", kwargs={"resource_id": resource.pk})
        try:
            submit_once(
                form=form,
                write=lambda: add(user=request.user, resource=resource, data=form.to_data()),
                url=lambda _: back,
            )
        except AlreadySubmitted as already:
            messages.info(request, already.message)
            return redirect(already.url or back)
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
            submit_once(
                form=form,
                write=lambda: services.provider_create(user=request.user, data=form.to_data()),
                url=lambda _: reverse("resources:providers"),
            )
        except AlreadySubmitted as done:
            messages.info(request, done.message)
            return redirect(done.url or reverse("resources:providers"))
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
    form = ProviderForm(
        request.POST or None, organizations=organizations, initial=initial, once=False
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.provider_update(
                user=request.user,
                provider=provider,
                data=form.to_data(),
                expected_version=form_version(request.POST),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "運営団体を更新しました")
            return redirect("resources:providers")
    return render(
        request,
        "resources/part_form.html",
        {"form": form, "title": f"運営団体の編集: {provider.name}", "version": provider.version},
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
            submit_once(
                form=form,
                write=lambda: services.location_create(user=request.user, data=form.to_data()),
                url=lambda _: reverse("resources:locations"),
            )
        except AlreadySubmitted as done:
            messages.info(request, done.message)
            return redirect(done.url or reverse("resources:locations"))
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
        once=False,
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.location_update(
                user=request.user,
                location=location,
                data=form.to_data(),
                expected_version=form_version(request.POST),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "場所を更新しました")
            return redirect("resources:locations")
    return render(
        request,
        "resources/part_form.html",
        {"form": form, "title": f"場所の編集: {location.name}", "version": location.version},
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
                submit_once(
                    form=form,
                    write=lambda: services.activity_create(user=request.user, data=data),
                    url=lambda _: reverse("resources:activities"),
                )
            except AlreadySubmitted as done:
                messages.info(request, done.message)
                return redirect(done.url or reverse("resources:activities"))
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
    form = _activity_form(request, once=False, initial=ActivityForm.initial_of(activity))
    if request.method == "POST" and form.is_valid():
        try:
            services.activity_update(
                user=request.user,
                activity=activity,
                data=form.to_data(),
                expected_version=form_version(request.POST),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "活動を更新しました")
            return redirect("resources:activities")
    return render(
        request,
        "resources/part_form.html",
        {"form": form, "title": f"活動の編集: {activity.title}", "version": activity.version},
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
            "public_interest": selectors.public_interest_counts(
                municipality=municipality, fiscal_year=fiscal_year
            ),
            "rosters": selectors.roster_counts(municipality=municipality, fiscal_year=fiscal_year)
            if edits_whole_city(request.user)
            else [],
        },
    )


# --- 地域づくり相談, マッチング, 来所者数 and the roster of 担い手 -----------------------------


def _record_form_page(
    request: AuthenticatedHttpRequest,
    form: Any,
    *,
    record: Any,
    save: Callable[[Any], object],
    title: str,
    done: str,
    back: str,
    organization_own: bool = False,
) -> HttpResponse:
    """Create (record None) or edit one record: the form, its service, back to the list; an
    edit shows the record's history below the form."""
    if request.method == "POST" and form.is_valid():
        data = form.to_data()
        organization = getattr(data, "organization", None)
        if organization_own and organization != request.user.organization:
            form.add_error("organization", "自機関の記録だけを登録できます")
        else:
            try:
                if record is None:  # a create: once per form token
                    submit_once(form=form, write=lambda: save(data), url=lambda _: reverse(back))
                else:
                    save(data)
            except AlreadySubmitted as already:
                messages.info(request, already.message)
                return redirect(already.url or reverse(back))
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, done)
                return redirect(back)
    return render(
        request,
        "resources/record_form.html",
        {
            "form": form,
            "title": title,
            "back": back,
            "record": record,
            "history": selectors.record_history(record=record) if record is not None else [],
        },
    )


def _own_organizations(request: AuthenticatedHttpRequest) -> Any:
    organizations = organizations_visible_to(request.user)
    if not edits_whole_city(request.user):
        organizations = organizations.filter(pk=request.user.organization_id or 0)
    return organizations


def _list_page(request: AuthenticatedHttpRequest, rows: Any) -> Any:
    return Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))


def community_consultations(request: AuthenticatedHttpRequest) -> HttpResponse:
    """地域づくり相談の一覧 (市民・団体・企業から、地域活動について)."""
    rows = (
        CommunityConsultation.objects.filter(municipality=user_municipality(request.user))
        .select_related("resource", "organization")
        .order_by("-received_on", "-pk")
    )
    editable = set(community_consultations_editable_by(request.user).values_list("pk", flat=True))
    return render(
        request,
        "resources/community_consultations.html",
        {"page": _list_page(request, rows), "editable": editable},
    )


def _consultation_form(request: AuthenticatedHttpRequest, **kwargs: object) -> Any:
    return CommunityConsultationForm(
        request.POST or None,
        resources=resources_readable_by(request.user).order_by("name_kana", "name"),
        organizations=_own_organizations(request),
        **kwargs,
    )


@require_http_methods(["GET", "POST"])
def community_consultation_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = _consultation_form(
        request,
        initial={"organization": request.user.organization, "received_on": timezone.localdate()},
    )

    def save(data: services.CommunityConsultationData) -> object:
        return services.community_consultation_create(user=request.user, data=data)

    return _record_form_page(
        request,
        form,
        record=None,
        save=save,
        title="地域づくり相談の記録",
        done="地域づくり相談を記録しました",
        back="resources:community_consultations",
        organization_own=not edits_whole_city(request.user),
    )


@require_http_methods(["GET", "POST"])
def community_consultation_edit(
    request: AuthenticatedHttpRequest, community_consultation_id: int
) -> HttpResponse:
    record = (
        community_consultations_editable_by(request.user)
        .filter(pk=community_consultation_id)
        .first()
    )
    if record is None:
        raise Http404
    form = _consultation_form(
        request, once=False, initial=CommunityConsultationForm.initial_of(record)
    )

    def save(data: services.CommunityConsultationData) -> object:
        return services.community_consultation_update(
            user=request.user, record=record, data=data, expected_version=form_version(request.POST)
        )

    return _record_form_page(
        request,
        form,
        record=record,
        save=save,
        title=f"地域づくり相談の編集（{record.received_on:%Y-%m-%d}）",
        done="地域づくり相談を更新しました",
        back="resources:community_consultations",
        organization_own=not edits_whole_city(request.user),
    )


def public_interest_initiatives(request: AuthenticatedHttpRequest) -> HttpResponse:
    """社会福祉法人の公益的な取組の一覧."""
    rows = (
        PublicInterestInitiative.objects.filter(municipality=user_municipality(request.user))
        .select_related("resource", "organization")
        .order_by("-started_on", "-pk")
    )
    editable = set(
        public_interest_initiatives_editable_by(request.user).values_list("pk", flat=True)
    )
    return render(
        request,
        "resources/public_interest_initiatives.html",
        {"page": _list_page(request, rows), "editable": editable},
    )


def _public_interest_form(request: AuthenticatedHttpRequest, **kwargs: object) -> Any:
    return PublicInterestInitiativeForm(
        request.POST or None,
        resources=resources_readable_by(request.user).order_by("name_kana", "name"),
        organizations=_own_organizations(request),
        **kwargs,
    )


@require_http_methods(["GET", "POST"])
def public_interest_initiative_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = _public_interest_form(
        request,
        initial={"organization": request.user.organization, "started_on": timezone.localdate()},
    )

    def save(data: services.PublicInterestInitiativeData) -> object:
        return services.public_interest_initiative_create(user=request.user, data=data)

    return _record_form_page(
        request,
        form,
        record=None,
        save=save,
        title="社会福祉法人の公益的な取組の記録",
        done="公益的な取組を記録しました",
        back="resources:public_interest_initiatives",
        organization_own=not edits_whole_city(request.user),
    )


@require_http_methods(["GET", "POST"])
def public_interest_initiative_edit(
    request: AuthenticatedHttpRequest, public_interest_initiative_id: int
) -> HttpResponse:
    record = (
        public_interest_initiatives_editable_by(request.user)
        .filter(pk=public_interest_initiative_id)
        .first()
    )
    if record is None:
        raise Http404
    form = _public_interest_form(
        request, once=False, initial=PublicInterestInitiativeForm.initial_of(record)
    )

    def save(data: services.PublicInterestInitiativeData) -> object:
        return services.public_interest_initiative_update(
            user=request.user, record=record, data=data, expected_version=form_version(request.POST)
        )

    return _record_form_page(
        request,
        form,
        record=record,
        save=save,
        title=f"公益的な取組の編集（{record.corporation}）",
        done="公益的な取組を更新しました",
        back="resources:public_interest_initiatives",
        organization_own=not edits_whole_city(request.user),
    )


def matchings(request: AuthenticatedHttpRequest) -> HttpResponse:
    """マッチングの一覧: residents, groups and companies joined to activities."""
    rows = (
        Matching.objects.filter(municipality=user_municipality(request.user))
        .select_related("resource", "organization")
        .order_by("-matched_on", "-pk")
    )
    status = request.GET.get("status", "")
    if status in Matching.Status.values:
        rows = rows.filter(status=status)
    editable = set(matchings_editable_by(request.user).values_list("pk", flat=True))
    return render(
        request,
        "resources/matchings.html",
        {
            "page": _list_page(request, rows),
            "editable": editable,
            "statuses": Matching.Status.choices,
            "status": status,
        },
    )


def _matching_form(request: AuthenticatedHttpRequest, **kwargs: object) -> Any:
    return MatchingForm(
        request.POST or None,
        resources=resources_readable_by(request.user).order_by("name_kana", "name"),
        organizations=_own_organizations(request),
        **kwargs,
    )


@require_http_methods(["GET", "POST"])
def matching_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = _matching_form(
        request,
        initial={
            "organization": request.user.organization,
            "matched_on": timezone.localdate(),
            "status": Matching.Status.MATCHED,
            "is_new": True,
        },
    )

    def save(data: services.MatchingData) -> object:
        return services.matching_create(user=request.user, data=data)

    return _record_form_page(
        request,
        form,
        record=None,
        save=save,
        title="マッチングの記録",
        done="マッチングを記録しました",
        back="resources:matchings",
        organization_own=not edits_whole_city(request.user),
    )


@require_http_methods(["GET", "POST"])
def matching_edit(request: AuthenticatedHttpRequest, matching_id: int) -> HttpResponse:
    record = matchings_editable_by(request.user).filter(pk=matching_id).first()
    if record is None:
        raise Http404
    form = _matching_form(request, once=False, initial=MatchingForm.initial_of(record))

    def save(data: services.MatchingData) -> object:
        return services.matching_update(
            user=request.user, record=record, data=data, expected_version=form_version(request.POST)
        )

    return _record_form_page(
        request,
        form,
        record=record,
        save=save,
        title=f"マッチングの編集（{record.matched_on:%Y-%m-%d}）",
        done="マッチングを更新しました",
        back="resources:matchings",
        organization_own=not edits_whole_city(request.user),
    )


def attendance(request: AuthenticatedHttpRequest) -> HttpResponse:
    """来所者数の一覧: per 居場所・拠点 and period (延べ人数・実人数)."""
    rows = (
        attendance_readable_by(request.user)
        .select_related("resource")
        .order_by("-period_start", "resource__name", "pk")
    )
    editable = set(attendance_editable_by(request.user).values_list("pk", flat=True))
    return render(
        request,
        "resources/attendance.html",
        {
            "page": _list_page(request, rows),
            "editable": editable,
            "can_create": may_edit_any(request.user),
        },
    )


def _attendance_form(request: AuthenticatedHttpRequest, **kwargs: object) -> Any:
    return AttendanceForm(
        request.POST or None,
        resources=resources_editable_by(request.user).order_by("name_kana", "name"),
        **kwargs,
    )


@require_http_methods(["GET", "POST"])
def attendance_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    if not may_edit_any(request.user):
        raise Http404
    form = _attendance_form(request)

    def save(data: services.AttendanceData) -> object:
        return services.attendance_create(user=request.user, data=data)

    return _record_form_page(
        request,
        form,
        record=None,
        save=save,
        title="来所者数の記録",
        done="来所者数を記録しました",
        back="resources:attendance",
    )


@require_http_methods(["GET", "POST"])
def attendance_edit(request: AuthenticatedHttpRequest, attendance_id: int) -> HttpResponse:
    record = attendance_editable_by(request.user).filter(pk=attendance_id).first()
    if record is None:
        raise Http404
    form = _attendance_form(request, once=False, initial=AttendanceForm.initial_of(record))

    def save(data: services.AttendanceData) -> object:
        return services.attendance_update(
            user=request.user, record=record, data=data, expected_version=form_version(request.POST)
        )

    return _record_form_page(
        request,
        form,
        record=record,
        save=save,
        title=f"来所者数の編集（{record.resource.name} {record.period_start:%Y-%m-%d}〜）",
        done="来所者数を更新しました",
        back="resources:attendance",
    )


def workers(request: AuthenticatedHttpRequest) -> HttpResponse:
    """担い手の名簿 (city editors only): 民生委員協力員 by 地区, 生活支援サポーター … Each page
    logs the rows it shows."""
    workers_guard(request.user)
    rows = (
        CommunityWorker.objects.visible_to(request.user)
        .select_related("area", "provider")
        .prefetch_related("trainings")
    )
    kind = request.GET.get("kind", "")
    if kind in CommunityWorker.Kind.values:
        rows = rows.filter(kind=kind)
    if request.GET.get("current") == "1":
        rows = rows.filter(ended_on__isnull=True)
    by_area = selectors.roster_by_area(
        workers=CommunityWorker.objects.visible_to(request.user),
        kind=CommunityWorker.Kind.WELFARE_COMMISSIONER_HELPER,
    )
    page = _list_page(request, rows.order_by("kind", "name_kana", "name", "pk"))
    page.object_list = workers_shown(user=request.user, workers=page.object_list, channel=WEB)
    return render(
        request,
        "resources/workers.html",
        {
            "page": page,
            "kinds": CommunityWorker.Kind.choices,
            "kind": kind,
            "current": request.GET.get("current") == "1",
            "by_area": by_area,
        },
    )


def _worker_form(request: AuthenticatedHttpRequest, **kwargs: object) -> Any:
    municipality = user_municipality(request.user)
    return WorkerForm(
        request.POST or None,
        areas=Area.objects.filter(municipality=municipality),
        providers=Provider.objects.filter(municipality=municipality).order_by("name_kana", "name"),
        trainings=Activity.objects.filter(
            municipality=municipality,
            kind__in=[Activity.Kind.COURSE, Activity.Kind.STAFF_TRAINING],
        ).order_by("-held_on", "title"),
        **kwargs,
    )


@require_http_methods(["GET", "POST"])
def worker_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    workers_guard(request.user)
    form = _worker_form(request)

    def save(data: services.WorkerData) -> object:
        return services.worker_create(user=request.user, data=data)

    return _record_form_page(
        request,
        form,
        record=None,
        save=save,
        title="担い手の登録",
        done="担い手を登録しました",
        back="resources:workers",
    )


@require_http_methods(["GET", "POST"])
def worker_edit(request: AuthenticatedHttpRequest, worker_id: int) -> HttpResponse:
    record = worker_get_for(user=request.user, worker_id=worker_id, channel=WEB)
    form = _worker_form(request, once=False, initial=WorkerForm.initial_of(record))

    def save(data: services.WorkerData) -> object:
        return services.worker_update(
            user=request.user, worker=record, data=data, expected_version=form_version(request.POST)
        )

    return _record_form_page(
        request,
        form,
        record=record,
        save=save,
        title=f"担い手の編集: {record.name}",
        done="担い手を更新しました",
        back="resources:workers",
    )
