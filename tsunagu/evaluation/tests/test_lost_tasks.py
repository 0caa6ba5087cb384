"""A worker that dies while building a report or counting the dashboard (core/lost_tasks.py):
the report run fails with a message and no file; the dashboard's mark is cleared, so the next
view counts again."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.tasks import TaskResultStatus
from django.urls import reverse
from django_tasks_db.management.commands import db_worker
from django_tasks_db.models import DBTaskResult

from conftest import client_for
from tsunagu.accounts.models import User
from tsunagu.core.lost_tasks import lost_tasks_sweep
from tsunagu.core.tests.lost import claimed_by, dead_worker, result_of
from tsunagu.evaluation.models import ReportRun
from tsunagu.evaluation.report_runs import report_run_create, report_run_enqueue
from tsunagu.organizations.models import Municipality

pytestmark = pytest.mark.django_db


@pytest.fixture
def queued(settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Tasks wait for the worker (the database backend), as in production."""
    # the worker closes stale connections between tasks; the test's database is the one open
    monkeypatch.setattr(db_worker, "close_old_connections", lambda: None)
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def test_a_report_whose_worker_died_fails_with_a_message_and_no_file(
    manager: User, queued: None
) -> None:
    run = report_run_create(user=manager, fiscal_year=2026, fmt="pdf")
    report_run_enqueue(run)
    run.refresh_from_db()
    ReportRun.objects.filter(pk=run.pk).update(
        status=ReportRun.Status.RUNNING, done_steps=3, total_steps=8
    )
    claimed_by(run.task_id, dead_worker())
    [lost] = lost_tasks_sweep()
    assert lost.result_id == run.task_id and lost.recovered
    run.refresh_from_db()
    assert run.status == ReportRun.Status.FAILED and run.finished_at is not None
    assert run.message == (
        "作成の処理が途中で止まりました（処理を担当するプロセスが終了しました）。"
        "ファイルは作っていません。もう一度お試しください"
    )
    assert bytes(run.content) == b"" and run.size == 0
    assert result_of(run.task_id).status == TaskResultStatus.FAILED
    client = client_for(manager)
    page = client.get(reverse("evaluation:report_run", args=[run.pk])).content.decode()
    assert "作成できませんでした: 作成の処理が途中で止まりました" in page
    assert "every 1s" not in page
    assert client.get(reverse("evaluation:report_download", args=[run.pk])).status_code == 404


def test_a_dashboard_counting_whose_worker_died_is_started_again(
    city: Municipality, manager: User, queued: None
) -> None:
    cache.clear()
    client = client_for(manager)
    url = reverse("evaluation:dashboard")
    client.get(url)
    first = DBTaskResult.objects.get()
    claimed_by(str(first.pk), dead_worker())
    assert "実行中" in client.get(url).content.decode()
    assert DBTaskResult.objects.count() == 1  # waits for the counting it started
    [lost] = lost_tasks_sweep()
    assert lost.recovered and result_of(str(first.pk)).status == TaskResultStatus.FAILED
    client.get(url)  # the mark is gone: this view counts again
    assert DBTaskResult.objects.count() == 2
    call_command("db_worker", "--batch", "--no-startup-delay", stdout=StringIO())
    done = client.get(url).content.decode()
    assert "集計時点" in done and "every 2s" not in done
