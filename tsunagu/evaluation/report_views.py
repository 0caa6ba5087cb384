from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from tsunagu.accounts.http import AuthenticatedHttpRequest
from tsunagu.core.fiscal import fiscal_year_of
from tsunagu.core.once import AlreadySubmitted, submit_once
from tsunagu.core.tasks import task_state
from tsunagu.evaluation.report import CONTENT_TYPES
from tsunagu.evaluation.report_forms import ReportForm
from tsunagu.evaluation.report_runs import (
    report_city,
    report_run_create,
    report_run_download,
    report_run_enqueue,
    report_run_get,
    report_runs_recent,
)


@require_http_methods(["GET", "POST"])
def report(request: AuthenticatedHttpRequest) -> HttpResponse:
    """実施状況報告: ask for the fiscal year's report (managers of the city); the latest runs."""
    municipality = report_city(user=request.user)  # 404 for anyone but the city's managers
    runs = report_runs_recent(user=request.user)
    today_year = fiscal_year_of(timezone.localdate())
    form = ReportForm(municipality=municipality, today_year=today_year)
    if request.method == "POST":
        form = ReportForm(request.POST, municipality=municipality, today_year=today_year)
        if form.is_valid():
            try:
                run = submit_once(
                    form=form,
                    write=lambda: report_run_create(
                        user=request.user,
                        fiscal_year=form.cleaned_data["fiscal_year"],
                        fmt=form.cleaned_data["format"],
                    ),
                    url=lambda r: reverse("evaluation:report_run", kwargs={"run_id": r.pk}),
                )
            except AlreadySubmitted as sent:
                messages.info(request, sent.message)
                return redirect(sent.url or "evaluation:report")
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    for error in errors:
                        form.add_error(field if field in form.fields else None, error)
            else:
                report_run_enqueue(run)  # after the run has committed
                return redirect("evaluation:report_run", run_id=run.pk)
    return render(request, "evaluation/report.html", {"form": form, "runs": runs})


@require_GET
def report_run(request: AuthenticatedHttpRequest, run_id: int) -> HttpResponse:
    """One report being made: its progress (polled), then the download."""
    run = report_run_get(user=request.user, run_id=run_id)
    context = {
        "run": run,
        "task_state": task_state(run.task_id) if not run.finished else "",
    }
    if request.headers.get("HX-Request"):
        return render(request, "evaluation/report_run.html#progress", context)
    return render(request, "evaluation/report_run.html", context)


@require_GET
def report_download(request: AuthenticatedHttpRequest, run_id: int) -> HttpResponse:
    run, content = report_run_download(user=request.user, run_id=run_id)
    response = HttpResponse(content, content_type=CONTENT_TYPES[run.format])
    response["Content-Disposition"] = f'attachment; filename="{run.file_name}"'
    return response
