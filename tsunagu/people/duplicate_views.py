"""市全体の名寄せ: a city's system administrator runs find-duplicates over the whole city as a
background task (`duplicate_runs.py`), follows its progress, then downloads the encrypted ZIP."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from tsunagu.accounts.http import AuthenticatedHttpRequest
from tsunagu.core.once import AlreadySubmitted, submit_once
from tsunagu.core.tasks import task_state
from tsunagu.people.duplicate_runs import (
    duplicate_city,
    duplicate_run_create,
    duplicate_run_download,
    duplicate_run_enqueue,
    duplicate_run_get,
    duplicate_run_password,
    duplicate_runs_recent,
)
from tsunagu.people.forms import DuplicateRunForm


@require_http_methods(["GET", "POST"])
def duplicate_runs(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Start a find-duplicates over the city; the latest runs."""
    municipality = duplicate_city(user=request.user)  # 404 for anyone but the city's admins
    form = DuplicateRunForm()
    if request.method == "POST":
        form = DuplicateRunForm(request.POST)
        if form.is_valid():
            try:
                run = submit_once(
                    form=form,
                    write=lambda: duplicate_run_create(
                        user=request.user,
                        threshold=form.cleaned_data["threshold"],
                        tier=form.cleaned_data["tier"],
                    ),
                    url=lambda r: reverse("people:duplicate_run", kwargs={"run_id": r.pk}),
                )
            except AlreadySubmitted as sent:
                messages.info(request, sent.message)
                return redirect(sent.url or "people:duplicate_runs")
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    for error in errors:
                        form.add_error(field if field in form.fields else None, error)
            else:
                duplicate_run_enqueue(run)  # after the run has committed
                return redirect("people:duplicate_run", run_id=run.pk)
    runs = duplicate_runs_recent(user=request.user)
    return render(
        request,
        "people/duplicate_runs.html",
        {"form": form, "runs": runs, "municipality": municipality},
    )


@require_GET
def duplicate_run(request: AuthenticatedHttpRequest, run_id: int) -> HttpResponse:
    """One run: its progress (polled), then the download and, once, the password."""
    run = duplicate_run_get(user=request.user, run_id=run_id)
    context = {
        "run": run,
        "task_state": task_state(run.task_id) if not run.finished else "",
        "password": duplicate_run_password(user=request.user, run=run),
    }
    if request.headers.get("HX-Request"):
        response = render(request, "people/duplicate_run.html#progress", context)
    else:
        response = render(request, "people/duplicate_run.html", context)
    response["Cache-Control"] = "no-store"  # it may carry the one-time password
    return response


@require_GET
def duplicate_run_file(request: AuthenticatedHttpRequest, run_id: int) -> HttpResponse:
    run, content = duplicate_run_download(user=request.user, run_id=run_id)
    response = HttpResponse(content, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{run.file_name}"'
    response["Cache-Control"] = "no-store"
    return response
