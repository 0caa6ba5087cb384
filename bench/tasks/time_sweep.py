"""Time the sweep for tasks of dead workers (`lost_tasks_sweep`, core/lost_tasks.py).

ONLY on a scratch database: it deletes every task result first and last.

    createdb lostwork_measure
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/lostwork_measure \\
        .venv/bin/tsunagu migrate django_tasks_database
    DATABASE_URL=... PYTHONPATH=. .venv/bin/python bench/tasks/time_sweep.py --finished 100000

Fills the results table with finished results, sweeps twice (nothing running), then adds
RUNNING results claimed by a worker that has ended and sweeps again (each is recovered: the
task used is the idempotency purge, whose recovery enqueues another).
"""

from __future__ import annotations

import argparse
import os
import time
from typing import Any

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tsunagu.config.settings")
django.setup()

from django.tasks import TaskResultStatus  # noqa: E402
from django.utils import timezone  # noqa: E402
from django_tasks_db.models import DBTaskResult  # noqa: E402

from tsunagu.core.lost_tasks import lost_tasks_sweep  # noqa: E402
from tsunagu.core.tests.lost import dead_worker  # noqa: E402

TASK = "tsunagu.portal.idempotency.idempotency_purge_task"


def _result(status: str, worker_id: str) -> DBTaskResult[..., Any]:
    now = timezone.now()
    return DBTaskResult(
        status=status,
        args_kwargs={"args": [], "kwargs": {}},
        task_path=TASK,
        worker_ids=[worker_id],
        queue_name="default",
        backend_name="default",
        run_after=now,
        started_at=now,
        priority=0,
        exception_class_path="",
        traceback="",
    )


def _timed(label: str) -> None:
    start = time.perf_counter()
    settled = len(lost_tasks_sweep())
    print(f"{label}: {settled} settled, {(time.perf_counter() - start) * 1000:.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--finished", type=int, default=100_000)
    parser.add_argument("--lost", type=int, default=20)
    args = parser.parse_args()
    DBTaskResult.objects.all().delete()
    DBTaskResult.objects.bulk_create(
        (_result(TaskResultStatus.SUCCESSFUL, "host:1") for _ in range(args.finished)),
        batch_size=5000,
    )
    _timed(f"{args.finished} finished, none running")
    _timed("again")
    dead = dead_worker()
    DBTaskResult.objects.bulk_create(
        _result(TaskResultStatus.RUNNING, dead) for _ in range(args.lost)
    )
    _timed(f"plus {args.lost} running of a dead worker")
    DBTaskResult.objects.all().delete()


if __name__ == "__main__":
    main()
