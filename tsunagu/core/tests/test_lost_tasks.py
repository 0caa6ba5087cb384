"""A worker that dies never leaves work running for ever (core/lost_tasks.py): a task whose
worker has ended is failed (`WorkerLost`) and its recovery called, once; a task of a live
worker, or of a worker that cannot be checked from here, is left alone until the age limit."""

from __future__ import annotations

import datetime as dt
import importlib
import os
import signal
import socket
import subprocess
import sys
import time
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command, get_commands, load_command_class
from django.db import connection
from django.tasks import Task, TaskResultStatus, task
from django.utils import timezone
from django_tasks_db.management.commands import db_worker as package_worker
from django_tasks_db.models import DBTaskResult

from tsunagu.core import lost_tasks
from tsunagu.core.lost_tasks import (
    lost_tasks_sweep,
    task_recovery,
    task_recovery_of,
    worker_id_default,
    worker_id_parse,
)
from tsunagu.core.tests.lost import claimed_by, dead_worker, result_of

pytestmark = pytest.mark.django_db

RECOVERED: list[int] = []


@task
def probe_task(n: int) -> None:
    """A task for these tests: sleeps `n` seconds (long enough to be killed in)."""
    time.sleep(n)


@task_recovery(probe_task)
def probe_lost(n: int) -> None:
    RECOVERED.append(n)


@task
def unrecoverable_task() -> None:
    """A task without a recovery of its own."""


@pytest.fixture(autouse=True)
def database_backend(settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    # the worker closes stale connections between tasks; the test's database is the one open
    monkeypatch.setattr(package_worker, "close_old_connections", lambda: None)
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    RECOVERED.clear()


def _running(worker_id: str, *, n: int = 1, started_at: dt.datetime | None = None) -> str:
    result_id = str(probe_task.enqueue(n=n).id)
    claimed_by(result_id, worker_id, started_at=started_at)
    return result_id


def test_the_worker_is_ours_and_named_after_its_process() -> None:
    # tsunagu.core comes before django_tasks_db in INSTALLED_APPS: its db_worker wins
    assert get_commands()["db_worker"] == "tsunagu.core"
    command = load_command_class("tsunagu.core", "db_worker")
    options = command.create_parser("tsunagu", "db_worker").parse_args([])
    assert options.worker_id == f"{socket.gethostname()}:{os.getpid()}"
    given = command.create_parser("tsunagu", "db_worker").parse_args(["--worker-id", "w1"])
    assert given.worker_id == "w1"
    assert worker_id_parse(worker_id_default()) == (socket.gethostname(), os.getpid())
    assert worker_id_parse("a" * 32) is None and worker_id_parse(":12") is None


def test_every_task_in_the_tree_has_its_recovery() -> None:
    """Each task says, beside itself, how its record is put right when its worker dies."""
    package = Path(__file__).parents[2]
    found = []
    for path in sorted(package.rglob("*.py")):
        if "tests" in path.parts or "@task" not in path.read_text():
            continue
        module = importlib.import_module(
            ".".join(path.relative_to(package.parent).with_suffix("").parts)
        )
        found += [value for value in vars(module).values() if isinstance(value, Task)]
    assert len(found) >= 5
    assert [t.module_path for t in found if task_recovery_of(t) is None] == []


def test_a_long_host_name_still_fits(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lost_tasks, "_host", lambda: "h" * 80)
    worker_id = worker_id_default(123456)
    assert len(worker_id) == 64 and worker_id.endswith(":123456")


def test_a_dead_workers_task_is_failed_and_recovered_once() -> None:
    result_id = _running(dead_worker(), n=7)
    settled = lost_tasks_sweep()
    assert [(lost.result_id, lost.recovered) for lost in settled] == [(result_id, True)]
    assert "has ended" in settled[0].reason
    result = result_of(result_id)
    assert result.status == TaskResultStatus.FAILED and result.finished_at is not None
    assert result.exception_class_path == "tsunagu.core.lost_tasks.WorkerLost"
    assert "WorkerLost" in result.traceback and "has ended" in result.traceback
    assert RECOVERED == [7]
    assert lost_tasks_sweep() == []  # a second sweep (another worker's) finds nothing
    assert RECOVERED == [7]


def test_a_live_worker_is_never_touched() -> None:
    result_id = _running(worker_id_default())  # this process, claimed now
    assert lost_tasks_sweep(now=timezone.now() + dt.timedelta(days=30)) == []
    assert result_of(result_id).status == TaskResultStatus.RUNNING
    assert RECOVERED == []


def test_a_pid_taken_by_a_later_process_is_not_the_worker() -> None:
    # this process started after the claim: the worker that claimed it had the pid before
    result_id = _running(worker_id_default(), started_at=timezone.now() - dt.timedelta(days=400))
    [lost] = lost_tasks_sweep()
    assert lost.result_id == result_id and "later process" in lost.reason


@pytest.mark.parametrize("worker_id", ["a" * 32, "another-host:1"])
def test_a_worker_that_cannot_be_checked_is_lost_only_after_the_age_limit(
    worker_id: str, settings: Any
) -> None:
    settings.TASK_LOST_HOURS = 6
    result_id = _running(worker_id, n=3)
    assert lost_tasks_sweep(now=timezone.now() + dt.timedelta(hours=5)) == []
    assert result_of(result_id).status == TaskResultStatus.RUNNING
    [lost] = lost_tasks_sweep(now=timezone.now() + dt.timedelta(hours=7))
    assert "longer than 6" in lost.reason and RECOVERED == [3]
    assert result_of(result_id).status == TaskResultStatus.FAILED
    settings.TASK_LOST_HOURS = 0  # never
    result_id = _running(worker_id)
    assert lost_tasks_sweep(now=timezone.now() + dt.timedelta(days=365)) == []


def test_a_recovery_that_fails_is_tried_again(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []

    def broken(n: int) -> None:
        calls.append(n)
        raise RuntimeError("database away")

    monkeypatch.setitem(lost_tasks._RECOVERIES, probe_task.module_path, broken)
    result_id = _running(dead_worker())
    assert lost_tasks_sweep() == []
    assert result_of(result_id).status == TaskResultStatus.RUNNING
    monkeypatch.setitem(lost_tasks._RECOVERIES, probe_task.module_path, probe_lost)
    assert len(lost_tasks_sweep()) == 1 and calls == [1] and RECOVERED == [1]


def test_a_task_without_recovery_or_gone_is_only_failed() -> None:
    plain = str(unrecoverable_task.enqueue().id)
    claimed_by(plain, dead_worker())
    gone = _running(dead_worker())
    DBTaskResult.objects.filter(pk=gone).update(task_path="tsunagu.core.tests.nowhere.task")
    settled = {lost.result_id: lost.recovered for lost in lost_tasks_sweep()}
    assert settled == {plain: False, gone: False}
    assert result_of(plain).status == result_of(gone).status == TaskResultStatus.FAILED


def test_the_worker_sweeps_as_it_starts_and_the_command_says_what_it_settled() -> None:
    result_id = _running(dead_worker(), n=0)
    call_command("db_worker", "--batch", "--no-startup-delay", stdout=StringIO())
    assert result_of(result_id).status == TaskResultStatus.FAILED and RECOVERED == [0]
    ran = str(probe_task.enqueue(n=0).id)
    call_command("db_worker", "--batch", "--no-startup-delay", stdout=StringIO())
    assert result_of(ran).worker_ids == [worker_id_default()]
    lost = _running(dead_worker(), n=5)
    out = StringIO()
    call_command("sweep_tasks", stdout=out)
    assert (
        f"{lost} tsunagu.core.tests.test_lost_tasks.probe_task failed (recovered)" in out.getvalue()
    )
    assert "1 lost task(s) settled" in out.getvalue()


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="a worker process needs a shared test database"
)
def test_a_killed_worker_process_leaves_its_task_to_the_sweep(tmp_path: Path) -> None:
    """The real thing: `tsunagu db_worker` in its own process, killed (-9) mid-task."""
    result_id = str(probe_task.enqueue(n=60).id)
    db = django_settings.DATABASES["default"]
    url = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    env = {**os.environ, "DATABASE_URL": url, "PYTHONPATH": str(Path(__file__).parents[3])}
    log = tmp_path / "worker.log"
    with log.open("w") as out:
        worker = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tsunagu",
                "db_worker",
                "--no-startup-delay",
                "--interval",
                "0.1",
            ],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 180  # a loaded machine starts Django slowly
        while result_of(result_id).status != TaskResultStatus.RUNNING:
            assert worker.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        assert result_of(result_id).worker_ids == [worker_id_default(worker.pid)]
        assert lost_tasks_sweep() == []  # it runs
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait()
    [lost] = lost_tasks_sweep()
    assert lost.result_id == result_id and RECOVERED == [60]
    assert result_of(result_id).status == TaskResultStatus.FAILED
