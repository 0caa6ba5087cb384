"""Pages of the city's structure: the plan overview (/plan/) and the organization directory
(/organizations/). The structure holds no personal data: every staff member of the city reads all
of it, and nothing of another city."""

from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render

from tsunagu.accounts.access import organizations_visible_to, user_municipality
from tsunagu.accounts.http import AuthenticatedHttpRequest
from tsunagu.cityplan.models import ProgramOrganization
from tsunagu.cityplan.selectors import plan_overview, plan_version_diff, plan_version_figures
from tsunagu.meetings.models import MeetingBodyMember
from tsunagu.organizations.models import Organization, SupportField
from tsunagu.organizations.selectors import municipality_areas, organization_search


def overview(request: AuthenticatedHttpRequest) -> HttpResponse:
    """実施計画: the city's system as its plan draws it, with targets per fiscal year."""
    municipality = user_municipality(request.user)
    return render(
        request, "cityplan/overview.html", {"overview": plan_overview(municipality=municipality)}
    )


def _version_id(request: AuthenticatedHttpRequest, name: str) -> int:
    value = request.GET.get(name, "")
    if not value.isdigit():
        raise Http404
    return int(value)


def version(request: AuthenticatedHttpRequest, version_id: int) -> HttpResponse:
    """One version of the plan: its targets, actuals and roadmap as it set them."""
    figures = plan_version_figures(
        municipality=user_municipality(request.user), version_id=version_id
    )
    return render(request, "cityplan/version.html", {"figures": figures})


def compare(request: AuthenticatedHttpRequest) -> HttpResponse:
    """What changed between two versions of the city's plan (?old=<id>&new=<id>)."""
    municipality = user_municipality(request.user)
    diff = plan_version_diff(
        municipality=municipality,
        old_id=_version_id(request, "old"),
        new_id=_version_id(request, "new"),
    )
    return render(request, "cityplan/compare.html", {"diff": diff})


def directory(request: AuthenticatedHttpRequest) -> HttpResponse:
    """機関一覧: search and filter the city's organizations. htmx swaps just the results."""
    municipality = user_municipality(request.user)
    params = {k: request.GET.get(k, "") for k in ("q", "kind", "field", "area")}
    results = organization_search(
        organizations=organizations_visible_to(request.user),
        query=params["q"],
        kind=params["kind"] if params["kind"] in Organization.Kind.values else "",
        field=params["field"] if params["field"] in SupportField.values else "",
        area=params["area"],
    )
    page = Paginator(results, 50).get_page(request.GET.get("page"))
    context = {
        "municipality": municipality,
        "page": page,
        "params": params,
        "kinds": Organization.Kind.choices,
        "fields": SupportField.choices,
        "areas": municipality_areas(municipality=municipality),
    }
    template = "organizations/directory.html"
    if request.headers.get("HX-Request"):
        template += "#results"
    return render(request, template, context)


def detail(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    organization = get_object_or_404(
        organizations_visible_to(request.user)
        .select_related("municipality", "group")
        .prefetch_related("support_fields", "areas", "departments"),
        code=code,
    )
    context = {
        "organization": organization,
        "carried": ProgramOrganization.objects.filter(organization=organization)
        .select_related("program")
        .filter(program__is_active=True)
        .order_by("program__clause", "program__sort_order"),
        "meetings": MeetingBodyMember.objects.filter(organization=organization).select_related(
            "meeting_body"
        ),
        "supervised": organization.supervised.filter(is_active=True),
        "members": organization.group_members.filter(is_active=True).order_by("sort_order"),
        "sites": organization.sites.filter(is_active=True).order_by("sort_order", "code"),
    }
    return render(request, "organizations/detail.html", context)
