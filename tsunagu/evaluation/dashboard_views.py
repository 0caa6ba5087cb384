"""The evaluation dashboard (counts and charts for one fiscal year) and the 個人情報ファイル簿."""

from __future__ import annotations

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.csp import CSP
from django.views.decorators.csp import csp_override

from tsunagu.accounts.access import user_municipality
from tsunagu.accounts.http import AuthenticatedHttpRequest
from tsunagu.cityplan.models import PlanVersion
from tsunagu.core.export import csv_download
from tsunagu.core.fiscal import fiscal_year_of, parse_wareki_fiscal_year
from tsunagu.evaluation import dashboard as d
from tsunagu.evaluation import filebook
from tsunagu.evaluation.dashboard_charts import (
    Counting,
    chart_svg,
    charts_of,
    dashboard_figures,
    status_when,
)

# The page's table of つなぎの流れ lists at most this many flows (the largest); the CSV all.
FLOWS_LISTED = 200


def _fiscal_year(request: AuthenticatedHttpRequest, current: int) -> int:
    text = request.GET.get("fy", "")
    try:
        year = parse_wareki_fiscal_year(text) if text else current
    except ValueError:
        return current
    return year if 2000 <= year <= 2100 else current


def _years(*, municipality_id: int, current: int) -> list[int]:
    spans = PlanVersion.objects.filter(municipality_id=municipality_id).values_list(
        "start_fiscal_year", "end_fiscal_year"
    )
    first = min([current - 3, *(s for s, _e in spans if s)])
    last = max([current, *(e for _s, e in spans if e)])
    return list(range(first, min(last, current + 1) + 1))


def dashboard(request: AuthenticatedHttpRequest) -> HttpResponse:
    """評価ダッシュボード: the city's figures for a fiscal year, charts with their tables."""
    if not d.dashboard_allowed(request.user):
        raise Http404("評価ダッシュボードは管理者・多機関協働コーディネーターが見られます")
    municipality = user_municipality(request.user)
    today = timezone.localdate()
    current = fiscal_year_of(today, start_month=municipality.fiscal_year_start_month)
    fiscal_year = _fiscal_year(request, current)
    year = d.year_of(municipality=municipality, fiscal_year=fiscal_year)

    figures = dashboard_figures(year, today=today)
    if request.GET.get("format") == "flows.csv" and not isinstance(figures, Counting):
        return _flows_csv(figures.flows, fiscal_year)
    if isinstance(figures, Counting):
        return render(
            request,
            "evaluation/dashboard_counting.html",
            {
                "year": year,
                "years": _years(municipality_id=municipality.pk, current=current),
                "counting": figures,
            },
        )
    by_org = figures.by_org
    compound = figures.compound
    statuses = figures.statuses
    gaps = figures.gaps
    context = {
        "year": year,
        "years": _years(municipality_id=municipality.pk, current=current),
        "by_org": by_org,
        "by_topic": figures.by_topic,
        "compound": compound,
        "compound_rows": list(zip(compound.topics, compound.matrix, strict=True)),
        "flows": figures.flows,
        "flows_listed": _flows_listed(figures.flows),
        "statuses": statuses,
        "cases_total": sum(n for _s, n in statuses),
        "status_when": status_when(year, today=today),
        "gaps": gaps,
        "gap_rows": list(zip(gaps.fields, gaps.matrix, strict=True)),
        "roadmap": figures.roadmap,
        "charts": charts_of(year, figures, today=today),
        "today": today,
        "computed_at": figures.computed_at,
        "current": figures.current(),
        "ttl_minutes": d.FIGURES_TTL // 60,
    }
    return render(request, "evaluation/dashboard.html", context)


# An SVG drawn by matplotlib styles itself with an inline <style>; it runs nothing.
CHART_CSP = {"default-src": [CSP.NONE], "style-src": [CSP.UNSAFE_INLINE]}


@csp_override(CHART_CSP)
def dashboard_chart(request: AuthenticatedHttpRequest, fiscal_year: int, key: str) -> HttpResponse:
    """One chart of the dashboard, by the hash of its bytes (`dashboard_charts.Chart`), for
    those who may see the dashboard, of their own city only. The bytes of a hash never change,
    so the browser keeps them."""
    if not d.dashboard_allowed(request.user):
        raise Http404
    year = d.year_of(municipality=user_municipality(request.user), fiscal_year=fiscal_year)
    svg = chart_svg(year, key, today=timezone.localdate())
    if svg is None:
        raise Http404
    response = HttpResponse(svg, content_type="image/svg+xml")
    response["Cache-Control"] = "private, max-age=86400, immutable"
    return response


def _flows_listed(flows: d.Flows) -> list[tuple[str, str, int]]:
    """The flows the page's table lists: all of them in a city of a few windows; in a large
    one (thousands of pairs of organizations) the largest `FLOWS_LISTED`, every flow being in
    the CSV."""
    if len(flows.edges) <= FLOWS_LISTED:
        return flows.edges
    return sorted(flows.edges, key=lambda edge: (-edge[2], edge[0], edge[1]))[:FLOWS_LISTED]


def _flows_csv(flows: d.Flows, fiscal_year: int) -> HttpResponse:
    """Every flow of the year (依頼元, 依頼先, 件数), as the page's table would list them."""
    return csv_download(
        f"referral-flows-{fiscal_year}.csv", ["依頼元", "依頼先", "件数"], flows.edges
    )


def file_register(request: AuthenticatedHttpRequest) -> HttpResponse:
    """個人情報ファイル簿: generated from the models and the registry; every staff member of the
    city reads it (it is published), printable, and as CSV."""
    municipality = user_municipality(request.user)
    entries = filebook.file_register(municipality=municipality)
    if request.GET.get("format") == "csv":
        return csv_download(
            "personal-information-files.csv",
            filebook.CSV_HEADER,
            (entry.csv_row() for entry in entries),
        )
    return render(
        request,
        "evaluation/dashboard_file_register.html",
        {"entries": entries, "municipality": municipality, "today": timezone.localdate()},
    )
