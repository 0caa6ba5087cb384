"""Pages of the city's structure: the plan overview (/plan/) and the organization directory
(/organizations/). The structure holds no personal data: every staff member of the city reads all
of it, and nothing of another city."""

from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render

from tsunagu.accounts.access import organizations_visible_to, user_municipality
from tsunagu.accounts.http import AuthenticatedHttpRequest
from tsunagu.cityplan.models import ProgramOrganization
from tsunagu.cityplan.selectors import plan_overview
from tsunagu.meetings.models import MeetingBodyMember
from tsunagu.organizations.models import Organization, SupportField
from tsunagu.organizations.selectors import municipality_areas, organization_search


def overview(request: AuthenticatedHttpRequest) -> HttpResponse:
    """実施計画: the city's system as its plan draws it, with targets per fiscal year."""
    municipality = user_municipality(request.user)
    return render(
        request, "cityplan/overview.html", {"overview": plan_overview(municipality=municipality)}
    )


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
        .select_related("municipality")
        .prefetch_related("support_fields", "areas", "departments"),
        code=code,
    )
    context = {
        "organization": organization,
        "carried": ProgramOrganization.objects.filter(organization=organization)
        .select_related("program")
        .order_by("program__clause", "program__sort_order"),
        "meetings": MeetingBodyMember.objects.filter(organization=organization).select_related(
            "meeting_body"
        ),
        "supervised": organization.supervised.filter(is_active=True),
    }
    return render(request, "organizations/detail.html", context)
