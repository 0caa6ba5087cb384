"""評価: the fiscal year's indicators (targets, actuals, 達成率, earlier years), one indicator
with the records behind its number, and manual actuals. Managers and administrators only."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from tsunagu.accounts.http import AuthenticatedHttpRequest
from tsunagu.core.fiscal import fiscal_year_of
from tsunagu.evaluation.access import evaluation_municipality
from tsunagu.evaluation.actuals import ACTUALS_TTL, NoPlanVersion
from tsunagu.evaluation.forms import ManualActualForm
from tsunagu.evaluation.selectors import (
    drilldown_for,
    fiscal_year_table,
    indicator_of,
    indicator_row,
)
from tsunagu.evaluation.services import manual_actual_set


def index(request: AuthenticatedHttpRequest) -> HttpResponseRedirect:
    municipality = evaluation_municipality(request.user)
    year = fiscal_year_of(timezone.localdate(), start_month=municipality.fiscal_year_start_month)
    return redirect("evaluation:fiscal_year", fiscal_year=year)


def fiscal_year(request: AuthenticatedHttpRequest, fiscal_year: int) -> HttpResponse:
    """Every indicator of the plan version in force in the year."""
    municipality = evaluation_municipality(request.user)
    context: dict[str, object] = {
        "fiscal_year": fiscal_year,
        "previous": fiscal_year - 1,
        "next": fiscal_year + 1,
        "ttl_minutes": ACTUALS_TTL // 60,
    }
    try:
        context["table"] = fiscal_year_table(municipality=municipality, fiscal_year=fiscal_year)
    except NoPlanVersion as exc:
        context["no_plan"] = str(exc)
    return render(request, "evaluation/fiscal_year.html", context)


@require_http_methods(["GET", "POST"])
def indicator(
    request: AuthenticatedHttpRequest, fiscal_year: int, indicator_id: int
) -> HttpResponse:
    """One indicator in the year: the records behind a computed number (within the user's
    access), or the form for a manual actual."""
    municipality = evaluation_municipality(request.user)
    try:
        row = indicator_row(
            municipality=municipality, fiscal_year=fiscal_year, indicator_id=indicator_id
        )
    except NoPlanVersion:
        raise Http404 from None
    form = None
    if not row.computation:
        form = ManualActualForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                manual_actual_set(
                    user=request.user,
                    indicator=indicator_of(municipality=municipality, indicator_id=indicator_id),
                    fiscal_year=fiscal_year,
                    value=form.cleaned_data["value"],
                    note=form.cleaned_data["note"],
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, "実績を記録しました")
                return redirect(
                    reverse("evaluation:fiscal_year", kwargs={"fiscal_year": fiscal_year})
                    + f"#indicator-{indicator_id}"
                )
    elif request.method == "POST":
        return HttpResponse("この指標は記録から計算します", status=405)
    drill = drilldown_for(
        user=request.user, municipality=municipality, row=row, page=request.GET.get("page")
    )
    context = {
        "row": row,
        "form": form,
        "drill": drill,
    }
    return render(
        request, "evaluation/indicator.html", context, status=400 if form and form.errors else 200
    )
