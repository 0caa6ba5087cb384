"""Find-duplicates over a whole city: the one way to do it, for the administrator's command
(`tsunagu find-duplicates`) and for the page that runs it as a background task.

`duplicates_export` pairs the persons and writes the pairs as CSV; the caller encrypts it
(core/archive.py) and logs every person written out as an export. On the page a run is
recorded (`DuplicateRun`), a background task does the work while the page polls the run's
progress, and the encrypted ZIP is kept only once complete; each download is logged as an
export of the persons in it.

Only a system administrator of the city asks for, follows and downloads its runs; for anyone
else, and for another city's run, a run does not exist (404). The one-time password of a ZIP
made without the city's key is shown once, to the administrator who asked, then erased.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404
from django.tasks import task
from django.utils import timezone

from tsunagu.access.models import AccessLog
from tsunagu.access.services import LogEntry, access_log_many
from tsunagu.accounts.access import user_municipality
from tsunagu.accounts.models import Role, User
from tsunagu.core.archive import archive_make, password_seal, password_unseal
from tsunagu.core.export import SafeDictWriter
from tsunagu.core.lost_tasks import task_recovery
from tsunagu.core.tasks import run_enqueue
from tsunagu.organizations.models import Municipality
from tsunagu.people import matching
from tsunagu.people.models import DuplicateRun, Person
from tsunagu.people.selectors import (
    PAIRING_WORKERS,
    duplicate_pairs,
    persons_for_administration,
)

logger = logging.getLogger(__name__)

COLUMNS = [
    "external_id_a",
    "external_id_b",
    "score",
    "tier",
    "reasons",
    "person_id_a",
    "person_id_b",
    "organization_a",
    "organization_b",
]
CSV_NAME = "duplicates.csv"


@dataclass(frozen=True)
class DuplicateExport:
    csv: bytes  # UTF-8, formulas neutralised (SafeDictWriter)
    persons: list[Person]  # every person written out, each once
    pair_count: int


def tier_threshold(threshold: float, tier: str) -> float:
    """The lower bound actually used: "likely" keeps only the likely tier."""
    return max(threshold, matching.DEFAULT_THRESHOLD) if tier == "likely" else threshold


def duplicates_export(
    *,
    persons: QuerySet[Person],
    threshold: float,
    tier: str,
    progress: Callable[[int, int], None] | None = None,
    workers: int = 1,
) -> DuplicateExport:
    """The proposed pairs of `persons` (scoped by the caller) as CSV, and who is in it. The
    caller encrypts the CSV and logs every person in it as exported."""
    pairs = duplicate_pairs(
        persons=persons,
        threshold=tier_threshold(threshold, tier),
        progress=progress,
        workers=workers,
    )
    exported = {p.pk: p for a, b, _ in pairs for p in (a, b)}
    text = io.StringIO()
    writer = SafeDictWriter(text, fieldnames=COLUMNS)
    writer.writeheader()
    writer.writerows(
        {
            "external_id_a": a.external_id,
            "external_id_b": b.external_id,
            "score": f"{m.score:.3f}",
            "tier": m.tier_label,
            "reasons": "、".join(m.reasons),
            "person_id_a": a.pk,
            "person_id_b": b.pk,
            "organization_a": a.organization.code,
            "organization_b": b.organization.code,
        }
        for a, b, m in pairs
    )
    return DuplicateExport(
        csv=text.getvalue().encode("utf-8"),
        persons=list(exported.values()),
        pair_count=len(pairs),
    )


# The page and its background task


def duplicate_city(*, user: User) -> Municipality:
    """The city whose records the user may pair as a whole: 404 unless a system administrator
    (the command's `--user` rule), and then only the administrator's own city."""
    municipality = user_municipality(user)
    if not user.has_role(Role.ADMIN):
        raise Http404("市全体の名寄せはシステム管理者だけが行えます")
    return municipality


def duplicate_runs_recent(*, user: User, limit: int = 20) -> QuerySet[DuplicateRun]:
    """The city's latest runs, without their files."""
    duplicate_city(user=user)  # 404 unless a system administrator
    return (
        DuplicateRun.objects.visible_to(user)
        .select_related("requested_by")
        .defer("content", "person_ids")[:limit]
    )


def duplicate_run_get(*, user: User, run_id: int) -> DuplicateRun:
    duplicate_city(user=user)  # 404 unless a system administrator
    run = (
        DuplicateRun.objects.visible_to(user)
        .filter(pk=run_id)
        .select_related("requested_by", "municipality")
        .defer("content", "person_ids")
        .first()
    )
    if run is None:
        raise Http404
    return run


def duplicate_run_create(*, user: User, threshold: float, tier: str) -> DuplicateRun:
    """Record what to do (call `duplicate_run_enqueue` once this has committed)."""
    municipality = duplicate_city(user=user)
    if not 0 < threshold <= 1:
        raise ValidationError({"threshold": "一致の度合いの下限は 0 より大きく 1 以下です"})
    run = DuplicateRun(municipality=municipality, requested_by=user, threshold=threshold, tier=tier)
    run.full_clean(exclude=["content", "person_ids", "sealed_password"])
    with transaction.atomic():
        run.save()
    return run


def duplicate_run_enqueue(run: DuplicateRun) -> None:
    """Hand the run to a background task; a refused queue marks it failed."""
    run_enqueue(duplicate_run_task, run, fail=_fail, what="照合")


def _fail(run_id: int, message: str) -> None:
    # unscoped: the task's own run (the page's request is gone)
    DuplicateRun.dangerously_unscoped.filter(pk=run_id).exclude(
        status=DuplicateRun.Status.DONE
    ).update(
        status=DuplicateRun.Status.FAILED,
        message=message[:500],
        finished_at=timezone.now(),
        sealed_password="",
    )


@task
def duplicate_run_task(run_id: int) -> None:
    """Pair a run's city, telling the run how far it is; an unexpected failure marks the run
    failed (nothing kept) and fails the task."""
    try:
        duplicate_run_execute(run_id=run_id)
    except Exception as exc:
        _fail(
            run_id,
            f"照合中に予期しないエラーが起きました（{type(exc).__name__}）。"
            "ファイルは作っていません。もう一度お試しください",
        )
        raise


@task_recovery(duplicate_run_task)
def duplicate_run_lost(run_id: int) -> None:
    """The worker died while pairing (core/lost_tasks.py): the ZIP is kept only in the update
    that marks the run done, so the run fails with nothing kept (its password erased)."""
    _fail(
        run_id,
        "照合の処理が途中で止まりました（処理を担当するプロセスが終了しました）。"
        "ファイルは作っていません。もう一度お試しください",
    )


def duplicate_run_execute(*, run_id: int, workers: int = PAIRING_WORKERS) -> None:
    """Pair the city of a queued run (a run in any other state is left alone, so a second
    delivery of the task runs once). The ZIP is written in the one update that marks the run
    done: a run that fails midway keeps nothing."""
    # unscoped: the background task's own run, recorded by the city's administrator
    claimed = DuplicateRun.dangerously_unscoped.filter(
        pk=run_id, status=DuplicateRun.Status.QUEUED
    ).update(status=DuplicateRun.Status.RUNNING)
    if not claimed:
        return
    # unscoped: as above
    run = (
        DuplicateRun.dangerously_unscoped.select_related("municipality")
        .defer("content")
        .get(pk=run_id)
    )

    def progress(done: int, total: int) -> None:
        # unscoped: as above
        DuplicateRun.dangerously_unscoped.filter(pk=run_id).update(
            done_steps=done, total_steps=total
        )

    export = duplicates_export(
        persons=persons_for_administration(city=run.municipality.slug),
        threshold=run.threshold,
        tier=run.tier,
        progress=progress,
        workers=workers,
    )
    file_name = f"duplicates-{run.municipality.slug}-{timezone.localtime():%Y%m%d-%H%M}.zip"
    archive = archive_make(name=file_name, files={CSV_NAME: export.csv})
    # unscoped: as above; the ZIP is kept in the one update that marks the run done
    DuplicateRun.dangerously_unscoped.filter(pk=run_id, status=DuplicateRun.Status.RUNNING).update(
        status=DuplicateRun.Status.DONE,
        content=archive.data,
        size=len(archive.data),
        file_name=file_name,
        pair_count=export.pair_count,
        person_ids=sorted(p.pk for p in export.persons),
        configured_password=archive.configured,
        sealed_password="" if archive.configured else password_seal(archive.password),
        finished_at=timezone.now(),
    )


def duplicate_run_password(*, user: User, run: DuplicateRun) -> str:
    """The one-time password of a finished run, for the administrator who asked, once: it is
    erased in the same step ("" for anyone else, for the city's key, and ever after)."""
    if run.status != DuplicateRun.Status.DONE or run.requested_by_id != user.pk:
        return ""
    sealed = (
        # unscoped: the run `duplicate_run_get` opened for this administrator
        DuplicateRun.dangerously_unscoped.filter(pk=run.pk)
        .exclude(sealed_password="")
        .values_list("sealed_password", flat=True)
        .first()
    )
    if sealed is None:
        return ""
    # only the request that erases it shows it (two polls at once show it once)
    erased = (
        # unscoped: as above
        DuplicateRun.dangerously_unscoped.filter(pk=run.pk, sealed_password=sealed).update(
            sealed_password="", password_shown_at=timezone.now()
        )
    )
    return password_unseal(sealed) if erased else ""


def duplicate_run_download(*, user: User, run_id: int) -> tuple[DuplicateRun, bytes]:
    """A finished run's encrypted ZIP for an administrator of its city; every person in it is
    logged as exported by this user."""
    run = duplicate_run_get(user=user, run_id=run_id)
    if run.status != DuplicateRun.Status.DONE:
        raise Http404
    # unscoped: the run `duplicate_run_get` opened for this administrator
    content, person_ids = DuplicateRun.dangerously_unscoped.values_list(
        "content", "person_ids"
    ).get(pk=run.pk)
    access_log_many(
        user=user,
        action=AccessLog.Action.EXPORT,
        entries=(
            LogEntry(
                obj=None,
                person=None,
                person_id=pk,
                via=AccessLog.Via.ROLE,
                object_type="people.person",
                object_ids=(pk,),
            )
            for pk in person_ids
        ),
    )
    logger.info("duplicate run %s downloaded by user %s", run.pk, user.pk)
    return run, bytes(content)
