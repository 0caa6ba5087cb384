"""For the tests of lost tasks (core/lost_tasks.py): a pid that surely names no process, and a
task result claimed by a worker as `tsunagu db_worker` claims it."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from typing import Any

from django.tasks import TaskResultStatus
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from tsunagu.core.lost_tasks import worker_id_default


def dead_pid() -> int:
    """The pid of a process that has ended and been reaped."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def dead_worker() -> str:
    return worker_id_default(dead_pid())


def claimed_by(result_id: str, worker_id: str, *, started_at: dt.datetime | None = None) -> None:
    """The queued result `result_id` as a worker `worker_id` has claimed it (RUNNING)."""
    claimed = DBTaskResult.objects.filter(pk=result_id).update(
        status=TaskResultStatus.RUNNING,
        worker_ids=[worker_id],
        started_at=started_at or timezone.now(),
    )
    assert claimed == 1


def result_of(result_id: str) -> DBTaskResult[..., Any]:
    return DBTaskResult.objects.get(pk=result_id)
