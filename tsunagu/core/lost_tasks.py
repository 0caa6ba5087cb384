"""Work a dead worker left running: found, failed and put right (`lost_tasks_sweep`).

django-tasks-db has no heartbeat: a worker killed while a task runs (out of memory, kill -9,
the machine restarted) leaves the task's result RUNNING for ever, and the record the task works
on (an import job in `writing`, a report run, a find-duplicates run, the dashboard's counting
mark) in its running state for ever. So every worker is named after its process,
`<host>:<pid>` (`worker_id_default`, the default of `tsunagu db_worker`), and a sweep (at each
worker's start, every few minutes in it, and `tsunagu sweep_tasks`) settles each RUNNING result:

- claimed by `<this host>:<pid>` and that process has ended (or the pid now belongs to a process
  started after the claim): lost;
- claimed by another host, or by an id that is not `<host>:<pid>` (one given with --worker-id,
  or a worker started before this rule): it cannot be checked from here, so it is lost only
  once it has run longer than `TASK_LOST_HOURS` (0: never);
- anything else (a live worker's task) is never touched.

A lost result is marked FAILED with `WorkerLost` and the task's recovery is called with the
task's own arguments. Each task registers its recovery beside itself, in the module that
defines it (`@task_recovery(the_task)`), so importing the task (which reading the result does)
registers it; core names no app. A recovery fails the record with a message for the staff and
removes anything half-made; it must be idempotent, since two sweeps may meet the same result
(only one of them marks it failed; the result is marked after its recovery, so a recovery that
raises is tried again by the next sweep).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.tasks import Task, TaskResultStatus
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

logger = logging.getLogger(__name__)

WORKER_ID_MAX = 64  # django-tasks-db refuses longer worker ids

# a pid's process is the claiming worker if it started no later than the claim (plus this:
# the boot time the kernel gives is in whole seconds)
_START_SLACK = dt.timedelta(seconds=2)


class WorkerLost(Exception):
    """The worker running a task ended before the task did (recorded on the task's result)."""


Recovery = Callable[..., None]
R = TypeVar("R", bound=Recovery)
_RECOVERIES: dict[str, Recovery] = {}


def task_recovery(task: Task[Any, Any]) -> Callable[[R], R]:
    """Register the decorated function as what puts right `task` lost with its worker: it is
    called with the task's arguments. Use it in the module that defines the task."""

    def register(recover: R) -> R:
        _RECOVERIES[task.module_path] = recover
        return recover

    return register


def task_recovery_of(task: Task[Any, Any]) -> Recovery | None:
    return _RECOVERIES.get(task.module_path)


def _host() -> str:
    return socket.gethostname()


def worker_id_default(pid: int | None = None) -> str:
    """`<host>:<pid>` of this process (the host name shortened to fit django-tasks-db's 64)."""
    pid_part = f":{os.getpid() if pid is None else pid}"
    return _host()[: WORKER_ID_MAX - len(pid_part)] + pid_part


def worker_id_parse(worker_id: str) -> tuple[str, int] | None:
    """(host, pid) of a `<host>:<pid>` worker id; None for any other id."""
    host, _, pid = worker_id.rpartition(":")
    if not host or not pid.isdigit():
        return None
    return host, int(pid)


def _process_started(pid: int) -> dt.datetime | None:
    """When process `pid` started (Linux /proc); None when there is no such live process.
    Without /proc, a process that exists is taken to have started long ago."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        if Path("/proc/self/stat").exists():
            return None
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        except PermissionError:
            pass  # someone else's process: it exists
        return dt.datetime.min.replace(tzinfo=dt.UTC)
    fields = stat.rpartition(")")[2].split()
    if fields[0] in ("Z", "X"):  # ended, not yet reaped by its parent
        return None
    boot = next(
        int(line.split()[1])
        for line in Path("/proc/stat").read_text().splitlines()
        if line.startswith("btime ")
    )
    seconds = boot + int(fields[19]) / os.sysconf("SC_CLK_TCK")
    return dt.datetime.fromtimestamp(seconds, tz=dt.UTC)


def _lost_because(result: DBTaskResult[..., Any], *, too_old: dt.datetime | None) -> str:
    """Why `result` (RUNNING) is lost, or "" if it is not (or cannot be known to be)."""
    worker_id = result.worker_ids[-1] if result.worker_ids else ""
    parsed = worker_id_parse(worker_id)
    if parsed is not None and worker_id == worker_id_default(parsed[1]):
        started = _process_started(parsed[1])
        if started is None:
            return f"its worker {worker_id} has ended"
        if result.started_at is not None and started > result.started_at + _START_SLACK:
            return f"its worker {worker_id} has ended (the pid now names a later process)"
        return ""  # its worker is running it
    if too_old is not None and result.started_at is not None and result.started_at < too_old:
        return (
            f"running since {result.started_at:%Y-%m-%d %H:%M:%S} UTC, longer than "
            f"{settings.TASK_LOST_HOURS} h, by worker {worker_id or '(none)'}, "
            "which cannot be checked from this host"
        )
    return ""


@dataclass(frozen=True)
class LostTask:
    result_id: str
    task_path: str
    worker_id: str
    reason: str
    recovered: bool  # its recovery ran (False: the task has none, or no longer exists)


def lost_tasks_sweep(*, now: dt.datetime | None = None) -> list[LostTask]:
    """Settle every lost RUNNING result (see the module's docstring); what was settled."""
    now = now or timezone.now()
    hours = settings.TASK_LOST_HOURS
    too_old = now - dt.timedelta(hours=hours) if hours else None
    settled = []
    for result in DBTaskResult.objects.running().order_by("started_at"):
        reason = _lost_because(result, too_old=too_old)
        if not reason:
            continue
        try:
            task = result.task
        except (ImportError, SuspiciousOperation):
            recover = None  # the task no longer exists: nothing to call
        else:
            recover = task_recovery_of(task)
        if recover is not None:
            try:
                recover(*result.args_kwargs["args"], **result.args_kwargs["kwargs"])
            except Exception:
                logger.exception("recovering lost task %s (%s) failed", result.id, result.task_path)
                continue  # left RUNNING: the next sweep tries again
        error = WorkerLost(f"{result.task_path}: {reason}")
        marked = DBTaskResult.objects.filter(pk=result.pk, status=TaskResultStatus.RUNNING).update(
            status=TaskResultStatus.FAILED,
            finished_at=now,
            return_value=None,
            exception_class_path=f"{WorkerLost.__module__}.{WorkerLost.__qualname__}",
            traceback=f"{WorkerLost.__module__}.{WorkerLost.__qualname__}: {error}\n",
        )
        if not marked:
            continue  # another sweep, or the worker itself, got there first
        lost = LostTask(
            result_id=str(result.pk),
            task_path=result.task_path,
            worker_id=result.worker_ids[-1] if result.worker_ids else "",
            reason=reason,
            recovered=recover is not None,
        )
        logger.warning("lost task %s (%s) failed: %s", lost.result_id, lost.task_path, reason)
        settled.append(lost)
    return settled
