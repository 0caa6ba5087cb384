"""The annual report made on the page: a run is recorded, a background task builds the file
while the page polls the run's progress, then its managers download it (each download kept).

Only managers and administrators of the city ask for, follow and download its reports; for
anyone else, and for another city's run, a run does not exist (404).
"""

from __future__ import annotations

import logging

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404
from django.tasks import task
from django.utils import timezone

from tsunagu.accounts.models import User
from tsunagu.core.lost_tasks import task_recovery
from tsunagu.core.tasks import run_enqueue
from tsunagu.evaluation.access import evaluation_municipality
from tsunagu.evaluation.models import ReportDownload, ReportRun
from tsunagu.evaluation.report import (
    ReportError,
    plan_version_for_year,
    report_build,
    report_file_name,
)
from tsunagu.organizations.models import Municipality

logger = logging.getLogger(__name__)


def report_city(*, user: User) -> Municipality:
    """The city whose reports the user may make; 404 unless a manager or administrator of it
    (the evaluation's one check, `evaluation_municipality`)."""
    return evaluation_municipality(user)


def _city(user: User) -> Municipality:
    return report_city(user=user)


def report_runs_recent(*, user: User, limit: int = 20) -> QuerySet[ReportRun]:
    """The city's latest runs, without their files."""
    return (
        ReportRun.objects.filter(municipality=_city(user))
        .select_related("requested_by")
        .defer("content")[:limit]
    )


def report_run_get(*, user: User, run_id: int) -> ReportRun:
    run = (
        ReportRun.objects.filter(municipality=_city(user), pk=run_id)
        .select_related("requested_by", "municipality")
        .defer("content")
        .first()
    )
    if run is None:
        raise Http404
    return run


def report_run_create(*, user: User, fiscal_year: int, fmt: str) -> ReportRun:
    """Record what to make (call `report_run_enqueue` once this has committed). A fiscal year
    outside every plan version is refused here, before anything is queued."""
    municipality = _city(user)
    if fmt not in ReportRun.Format.values:
        raise ValidationError({"format": "形式は Excel、PDF、JSON のいずれかを選んでください"})
    try:
        plan_version_for_year(municipality=municipality, fiscal_year=fiscal_year)
    except ReportError as exc:
        raise ValidationError({"fiscal_year": str(exc)}) from exc
    run = ReportRun(
        municipality=municipality, requested_by=user, fiscal_year=fiscal_year, format=fmt
    )
    run.full_clean(exclude=["content"])
    with transaction.atomic():
        run.save()
    return run


def report_run_enqueue(run: ReportRun) -> None:
    """Hand the run to a background task; a refused queue marks it failed."""
    run_enqueue(report_run_task, run, fail=_fail, what="作成")


def _fail(run_id: int, message: str) -> None:
    ReportRun.objects.filter(pk=run_id).exclude(status=ReportRun.Status.DONE).update(
        status=ReportRun.Status.FAILED, message=message[:500], finished_at=timezone.now()
    )


@task
def report_run_task(run_id: int) -> None:
    """Build a run's report, telling the run how far it is; an unexpected failure marks the
    run failed and fails the task."""
    try:
        report_run_execute(run_id=run_id)
    except Exception as exc:
        _fail(run_id, f"作成中に予期しないエラーが起きました（{type(exc).__name__}）")
        raise


@task_recovery(report_run_task)
def report_run_lost(run_id: int) -> None:
    """The worker died while building (core/lost_tasks.py): the file is kept only in the update
    that marks the run done, so the run fails with nothing kept."""
    _fail(
        run_id,
        "作成の処理が途中で止まりました（処理を担当するプロセスが終了しました）。"
        "ファイルは作っていません。もう一度お試しください",
    )


def report_run_execute(*, run_id: int) -> None:
    """Build the report of a queued run (a run in any other state is left alone, so a second
    delivery of the task builds once)."""
    claimed = ReportRun.objects.filter(pk=run_id, status=ReportRun.Status.QUEUED).update(
        status=ReportRun.Status.RUNNING
    )
    if not claimed:
        return
    run = ReportRun.objects.select_related("municipality").defer("content").get(pk=run_id)

    def progress(done: int, total: int, label: str) -> None:
        ReportRun.objects.filter(pk=run_id).update(
            done_steps=done, total_steps=total, step_label=label[:200]
        )

    try:
        content = report_build(
            municipality=run.municipality,
            fiscal_year=run.fiscal_year,
            fmt=run.format,
            progress=progress,
        )
    except ReportError as exc:
        _fail(run_id, str(exc))
        return
    # a run failed meanwhile (`report_run_lost`) stays failed
    ReportRun.objects.filter(pk=run_id, status=ReportRun.Status.RUNNING).update(
        status=ReportRun.Status.DONE,
        content=content,
        size=len(content),
        file_name=report_file_name(
            municipality=run.municipality, fiscal_year=run.fiscal_year, fmt=run.format
        ),
        finished_at=timezone.now(),
    )


def report_run_download(*, user: User, run_id: int) -> tuple[ReportRun, bytes]:
    """A finished run's file for a manager of its city; the download is recorded."""
    run = report_run_get(user=user, run_id=run_id)
    if run.status != ReportRun.Status.DONE:
        raise Http404
    content = bytes(ReportRun.objects.values_list("content", flat=True).get(pk=run.pk))
    ReportDownload.objects.create(run=run, user=user)
    logger.info("report %s downloaded by user %s", run.pk, user.pk)
    return run, content
