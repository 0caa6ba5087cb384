from django.http import HttpResponse
from django.shortcuts import render

from tsunagu.cityplan.selectors import plan_overview
from tsunagu.core.http import AuthenticatedHttpRequest
from tsunagu.organizations.access import user_municipality


def overview(request: AuthenticatedHttpRequest) -> HttpResponse:
    """実施計画: the city's system as its plan draws it, with targets per fiscal year."""
    municipality = user_municipality(request.user)
    return render(
        request, "cityplan/overview.html", {"overview": plan_overview(municipality=municipality)}
    )
