"""Background tasks (Django's task framework; the database backend `django_tasks_db` and its
worker `tsunagu db_worker` in production, the immediate backend in tests).

Long work (an import's write, finding duplicates, reports) runs in a task: the web request
records what to do, enqueues, and the page polls the record's own state. These helpers keep
that the same everywhere: enqueue after the caller's transaction has committed (a worker must
find what it was given), and the state of an enqueued task in the staff's words.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import models
from django.tasks import Task, TaskResultStatus, default_task_backend
from django.tasks.exceptions import InvalidTask, TaskResultDoesNotExist

STATE_LABELS = {
    TaskResultStatus.READY: "順番待ち",
    TaskResultStatus.RUNNING: "実行中",
    TaskResultStatus.FAILED: "失敗",
    TaskResultStatus.SUCCESSFUL: "完了",
}


def task_enqueue(task: Task[Any, Any], *args: Any, **kwargs: Any) -> str:
    """Enqueue `task`; its result id, to follow it by (`task_state`). Call it after the
    transaction that wrote what the task reads has committed: a worker must find it."""
    return str(task.enqueue(*args, **kwargs).id)


def run_enqueue(
    task: Task[Any, Any], run: models.Model, *, fail: Callable[[int, str], None], what: str
) -> None:
    """Hand a recorded run (a report run, a find-duplicates run, a generation: a model with
    `task_id`) to `task`, called with `run_id`, once the run has committed; the task's id is
    kept on the run. A refused queue fails the run through `fail`, saying `what` could not
    start."""
    try:
        task_id = task_enqueue(task, run_id=run.pk)
    except Exception as exc:  # the queue refused: say so on the run
        fail(run.pk, f"{what}の処理を始められませんでした（{exc}）")
        return
    run.task_id = task_id  # type: ignore[attr-defined]
    # unscoped: the caller's own run, just recorded; only the task's id is written on it
    type(run)._base_manager.filter(pk=run.pk, task_id="").update(task_id=task_id)


def task_state(result_id: str) -> str:
    """The state of an enqueued task in words (順番待ち, 実行中, 完了, 失敗); "" when unknown
    (the immediate backend keeps no results, and old results are pruned)."""
    if not result_id:
        return ""
    try:
        result = default_task_backend.get_result(result_id)
    except (TaskResultDoesNotExist, NotImplementedError, InvalidTask):
        return ""
    return STATE_LABELS.get(result.status, "")


class RunProgress:
    """What a page shows of a run that a background task works through in steps (a report
    run, a find-duplicates run): whether it has ended and how far it is. For a model with
    `status` ("done" and "failed" end it), `done_steps` and `total_steps`."""

    status: str
    done_steps: int
    total_steps: int

    @property
    def finished(self) -> bool:
        return self.status in ("done", "failed")

    @property
    def percent(self) -> int:
        return 100 * self.done_steps // self.total_steps if self.total_steps else 0
