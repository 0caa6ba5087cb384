from django.http import Http404, HttpResponse
from django.shortcuts import render

from tsunagu.cityplan.selectors import plan_overview, plan_version_diff
from tsunagu.core.http import AuthenticatedHttpRequest
from tsunagu.organizations.access import user_municipality


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


def compare(request: AuthenticatedHttpRequest) -> HttpResponse:
    """What changed between two versions of the city's plan (?old=<id>&new=<id>)."""
    municipality = user_municipality(request.user)
    diff = plan_version_diff(
        municipality=municipality,
        old_id=_version_id(request, "old"),
        new_id=_version_id(request, "new"),
    )
    return render(request, "cityplan/compare.html", {"diff": diff})
