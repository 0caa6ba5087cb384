from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from tsunagu.accounts.access import user_municipality
from tsunagu.accounts.http import AuthenticatedHttpRequest
from tsunagu.accounts.selectors import staff_roster
from tsunagu.core.fiscal import fiscal_year_of, parse_wareki_fiscal_year


def roster(request: AuthenticatedHttpRequest) -> HttpResponse:
    """業務担当名簿 of a fiscal year, printable, shared with all the city's agencies."""
    municipality = user_municipality(request.user)
    today_fy = fiscal_year_of(
        timezone.localdate(), start_month=municipality.fiscal_year_start_month
    )
    requested = request.GET.get("fy", "")
    try:
        fiscal_year = parse_wareki_fiscal_year(requested) if requested else today_fy
    except ValueError as exc:
        raise Http404("年度が読めません") from exc
    context = {
        "municipality": municipality,
        "fiscal_year": fiscal_year,
        "entries": staff_roster(municipality=municipality, fiscal_year=fiscal_year),
        "years": range(today_fy - 2, today_fy + 2),
    }
    return render(request, "accounts/roster.html", context)
