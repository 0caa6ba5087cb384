"""The import's write runs as a background task (core/tasks.py): the request enqueues, the page
polls, and a failure leaves nothing half-written."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.tasks import TaskResultStatus
from django_tasks_db.management.commands import db_worker

from conftest import client_for
from tsunagu.accounts.models import User
from tsunagu.core.lost_tasks import lost_tasks_sweep, worker_id_default
from tsunagu.core.tests.lost import claimed_by, dead_worker, result_of
from tsunagu.imports import services
from tsunagu.imports.models import ImportJob
from tsunagu.imports.tests.conftest import PERSONS, csv_text
from tsunagu.imports.tests.test_views import HTMX, run_to_end, started
from tsunagu.people.models import Person

pytestmark = pytest.mark.django_db


def test_the_database_backend_queues_the_write_and_the_worker_runs_it(
    counselor: User, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the worker closes stale connections between tasks; the test's database is the one open
    monkeypatch.setattr(db_worker, "close_old_connections", lambda: None)
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    client = client_for(counselor)
    job = started(client, "persons", csv_text(PERSONS).encode())
    run_to_end(client, job)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.WRITING and job.task_id
    assert not Person.dangerously_unscoped.exists()  # nothing until the worker runs
    polled = client.get(f"/imports/{job.pk}/", headers=HTMX).content.decode()
    assert "順番待ち" in polled and 'hx-trigger="every 1s"' in polled
    call_command("db_worker", "--batch", "--no-startup-delay", stdout=StringIO())
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE and job.created_count == 3
    assert Person.dangerously_unscoped.count() == 3
    done = client.get(f"/imports/{job.pk}/", headers=HTMX).content.decode()
    assert "取り込みました" in done and "every 1s" not in done


def test_a_failure_in_the_task_leaves_nothing_written(
    counselor: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = services._plans_write

    def write_then_fail(**kwargs: Any) -> None:
        original(**kwargs)  # every row written ...
        raise RuntimeError("disk full")  # ... and then the worker dies

    monkeypatch.setattr(services, "_plans_write", write_then_fail)
    client = client_for(counselor)
    job = started(client, "persons", csv_text(PERSONS).encode())
    run_to_end(client, job)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED and job.text == ""
    assert "予期しないエラー" in job.errors[0]["message"]
    assert "何も登録していません" in job.errors[0]["message"]
    assert not Person.dangerously_unscoped.exists()
    page = client.get(f"/imports/{job.pk}/").content.decode()
    assert "1 件も登録していません" in page


def test_a_queue_that_refuses_fails_the_job_cleanly(
    counselor: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*args: object, **kwargs: object) -> str:
        raise ConnectionError("queue down")

    monkeypatch.setattr(services, "task_enqueue", refuse)
    client = client_for(counselor)
    job = started(client, "persons", csv_text(PERSONS).encode())
    run_to_end(client, job)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED
    assert "始められませんでした" in job.errors[0]["message"]
    assert not Person.dangerously_unscoped.exists()


def test_a_worker_that_died_writing_leaves_the_job_failed_and_nothing_written(
    counselor: User, settings: Any
) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    client = client_for(counselor)
    job = started(client, "persons", csv_text(PERSONS).encode())
    run_to_end(client, job)
    job.refresh_from_db()
    # a live worker is running it: left alone
    claimed_by(job.task_id, worker_id_default())
    assert lost_tasks_sweep() == []
    # the worker was killed during the write (its transaction rolled back with it)
    claimed_by(job.task_id, dead_worker())
    assert "実行中" in client.get(f"/imports/{job.pk}/", headers=HTMX).content.decode()
    [lost] = lost_tasks_sweep()
    assert lost.result_id == job.task_id and lost.recovered
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED and job.text == "" and job.finished_at
    assert job.errors[0]["message"] == (
        "登録の処理が途中で止まりました（処理を担当するプロセスが終了しました）。"
        "何も登録していません。もう一度取り込んでください"
    )
    assert not Person.dangerously_unscoped.exists()
    assert result_of(job.task_id).status == TaskResultStatus.FAILED
    page = client.get(f"/imports/{job.pk}/").content.decode()
    assert "途中で止まりました" in page and "1 件も登録していません" in page
    assert lost_tasks_sweep() == []
