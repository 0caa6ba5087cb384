from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tsunagu.access.scoping import user_organization
from tsunagu.accounts.http import AuthenticatedHttpRequest
from tsunagu.consultations.models import Channel, Requester, Response, Topic
from tsunagu.core.tasks import task_state
from tsunagu.imports.csvfile import MAX_ERRORS, ImportFileError
from tsunagu.imports.forms import ImportUploadForm
from tsunagu.imports.models import ImportJob
from tsunagu.imports.selectors import import_job_get, import_jobs_recent, user_may_import
from tsunagu.imports.services import (
    import_job_cancel,
    import_job_confirm,
    import_job_start,
    import_job_step,
    job_errors,
)
from tsunagu.people.models import Sex


@require_http_methods(["GET", "POST"])
def index(request: AuthenticatedHttpRequest) -> HttpResponse:
    """データの取り込み: upload a CSV from an agency's own system; the latest imports."""
    organization = user_organization(request.user)
    may_import = user_may_import(request.user)
    form = ImportUploadForm()
    if request.method == "POST":
        if not may_import:
            raise Http404
        form = ImportUploadForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                started = import_job_start(
                    user=request.user,
                    kind=form.cleaned_data["kind"],
                    file_name=upload.name or "",
                    data=upload.read(),
                )
            except ImportFileError as exc:
                form.add_error("file", str(exc))
            else:
                return redirect("imports:job", pk=started.pk)
    context = {
        "organization": organization,
        "may_import": may_import,
        "form": form,
        "jobs": import_jobs_recent(user=request.user),
        "codes": {
            "sex": Sex.choices,
            "channel": Channel.choices,
            "requester": Requester.choices,
            "topic": Topic.choices,
            "response": Response.choices,
        },
    }
    return render(request, "imports/index.html", context)


def _job_context(
    request: AuthenticatedHttpRequest, job: ImportJob, confirm_error: str = ""
) -> dict[str, object]:
    return {
        "job": job,
        "errors": job_errors(job),
        "may_import": user_may_import(request.user),
        "max_errors": MAX_ERRORS,
        "confirm_error": confirm_error,
        "task_state": task_state(job.task_id) if job.status == ImportJob.Status.WRITING else "",
        "known_rows": [
            {
                **row,
                "chosen": request.POST.get(f"row-{row['line']}", "")
                if request.method == "POST"
                else "",
                "decision": job.decisions.get(str(row["line"])),
                "same_value": f"same-{row['first_line']}" if row.get("first_line") else "",
            }
            for row in job.known
        ],
    }


@require_GET
def job(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """One import: its progress while rows are checked, then the result or the row errors."""
    found = import_job_get(user=request.user, pk=pk)
    if request.headers.get("HX-Request"):  # the page polls while the rows are written
        return render(request, "imports/job.html#step", _job_context(request, found))
    return render(request, "imports/job.html", _job_context(request, found))


@require_POST
def step(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Check the next chunk (htmx calls this again and again until the job is finished)."""
    found = import_job_get(user=request.user, pk=pk)
    if not user_may_import(request.user):
        raise Http404
    advanced = import_job_step(user=request.user, job=found)
    if request.headers.get("HX-Request"):
        return render(request, "imports/job.html#step", _job_context(request, advanced))
    return redirect("imports:job", pk=advanced.pk)


@require_POST
def confirm(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The importer's decision on the rows that look like a person the city already knows:
    link each to the existing record or register it anew (or stop the import)."""
    found = import_job_get(user=request.user, pk=pk)
    if not user_may_import(request.user):
        raise Http404
    if found.status != ImportJob.Status.CONFIRMING:  # a second tab, or sent again: show where it is
        messages.info(request, "この取り込みは確認待ちではありません。今の状態を表示します")
        return redirect("imports:job", pk=found.pk)
    try:
        if request.POST.get("action") == "cancel":
            import_job_cancel(user=request.user, job=found)
        else:
            decisions = {
                key.removeprefix("row-"): request.POST.get(key, "")
                for key in request.POST
                if key.startswith("row-")
            }
            import_job_confirm(user=request.user, job=found, decisions=decisions)
    except ValidationError as exc:
        found.refresh_from_db()
        context = _job_context(request, found, confirm_error="; ".join(exc.messages))
        return render(request, "imports/job.html", context, status=400)
    return redirect("imports:job", pk=found.pk)
