"""Generation as a background task: `generate --background` only records and enqueues, the task
worker generates, `--follow` and the operator's admin page show how far it is, and a failure
leaves nothing."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.tasks import TaskResultStatus
from django_tasks_db.management.commands import db_worker

from conftest import client_for
from tsunagu.accounts.models import User
from tsunagu.accounts.services import operator_create
from tsunagu.core.lost_tasks import lost_tasks_sweep
from tsunagu.core.tests.lost import claimed_by, dead_worker, result_of
from tsunagu.organizations.models import Municipality
from tsunagu.people.models import Person
from tsunagu.synthetic import runs
from tsunagu.synthetic.models import GenerationRun

pytestmark = pytest.mark.django_db

ARGS = ("--residents", "1000", "--years", "1", "--seed", "3", "--until", "2026-11-30")


def _generate(*args: str) -> str:
    out = StringIO()
    call_command("generate", *args, stdout=out)
    return out.getvalue()


def test_background_generation_is_queued_run_by_the_worker_and_followed(
    settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the worker closes stale connections between tasks; the test's database is the one open
    monkeypatch.setattr(db_worker, "close_old_connections", lambda: None)
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    said = _generate(*ARGS, "--slug", "bg1", "--background")
    run = GenerationRun.objects.get()
    assert f"番号 {run.pk}" in said and f"--follow {run.pk}" in said
    assert run.status == GenerationRun.Status.QUEUED and run.task_id
    assert not Municipality.objects.filter(slug="bg1").exists()  # nothing until the worker runs

    call_command("db_worker", "--batch", "--no-startup-delay", stdout=StringIO())
    run.refresh_from_db()
    assert run.status == GenerationRun.Status.DONE and run.finished_at and run.seconds
    assert run.counts["people.Person"] > 0
    assert Municipality.objects.filter(slug="bg1").exists()
    progress = runs.generation_progress(run.pk)
    assert progress.percent == 100 and progress.lines

    followed = _generate("--follow", str(run.pk))
    assert progress.lines[-1] in followed and "people.Person" in followed and "bg1 を" in followed
    assert f"段階 {progress.total}/{progress.total}（100%）" in followed


def test_the_progress_keeps_the_newest_lines_numbered() -> None:
    for n in range(runs.PROGRESS_LINES + 5):
        runs._say(7, f"line {n}")
    runs._steps(7, 3, 12)
    progress = runs.generation_progress(7)
    assert progress.first == 5 and progress.lines[0] == "line 5"
    assert len(progress.lines) == runs.PROGRESS_LINES and progress.percent == 25


def test_a_failed_generation_leaves_nothing_and_says_why(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def fail_midway(self: Any, *args: Any) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr("tsunagu.synthetic.generate._Generator.activity", fail_midway)
    persons = Person.dangerously_unscoped.count()  # unscoped: a test counts every row
    _generate(*ARGS, "--slug", "bg2", "--background")  # the immediate backend runs it here
    run = GenerationRun.objects.get()
    assert run.status == GenerationRun.Status.FAILED
    assert "RuntimeError" in run.message and "何も書き込んでいません" in run.message
    assert not Municipality.objects.filter(slug="bg2").exists()
    assert Person.dangerously_unscoped.count() == persons  # unscoped: as above
    with pytest.raises(CommandError, match="生成できませんでした"):
        _generate("--follow", str(run.pk))


def test_a_taken_slug_fails_the_run_with_the_generators_words(city: Municipality) -> None:
    _generate(*ARGS, "--slug", city.slug, "--background")
    run = GenerationRun.objects.get()
    assert run.status == GenerationRun.Status.FAILED and "既にあります" in run.message


def test_bad_arguments_are_refused_before_anything_is_queued() -> None:
    with pytest.raises(CommandError, match="--residents"):
        _generate("--background")
    with pytest.raises(CommandError, match="データはありません"):
        _generate(*ARGS, "--city", "atlantis", "--background")
    with pytest.raises(CommandError):
        _generate("--residents", "10", "--background")
    with pytest.raises(CommandError, match="番号 999"):
        _generate("--follow", "999")
    assert not GenerationRun.objects.exists()


def test_only_the_platform_operator_sees_the_runs_in_the_admin(admin_user: User) -> None:
    run = GenerationRun.objects.create(
        residents=1000, years=1, seed=1, city="ise", slug="bg4", status="running"
    )
    runs._say(run.pk, "  consultations.Consultation: 1,234")
    runs._steps(run.pk, 2, 8)
    operator = operator_create(username="op", password="operator-pass-2026-x")
    page = client_for(operator).get("/admin/synthetic/generationrun/")
    assert page.status_code == 200 and "bg4" in page.content.decode()
    assert "25%　consultations.Consultation: 1,234" in page.content.decode()
    detail = client_for(operator).get(f"/admin/synthetic/generationrun/{run.pk}/change/")
    assert detail.status_code == 200
    assert "consultations.Consultation: 1,234" in detail.content.decode()
    city_admin = client_for(admin_user).get("/admin/synthetic/generationrun/")
    assert city_admin.status_code == 403


def test_a_run_whose_worker_died_fails_and_says_so(settings: Any) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    _generate(*ARGS, "--slug", "bg5", "--background")
    run = GenerationRun.objects.get()
    GenerationRun.objects.filter(pk=run.pk).update(status=GenerationRun.Status.RUNNING)
    claimed_by(run.task_id, dead_worker())
    [lost] = lost_tasks_sweep()
    assert lost.result_id == run.task_id and lost.recovered
    run.refresh_from_db()
    assert run.status == GenerationRun.Status.FAILED and run.finished_at is not None
    assert "途中で止まりました" in run.message and "何も書き込んでいません" in run.message
    assert result_of(run.task_id).status == TaskResultStatus.FAILED
    assert not Municipality.objects.filter(slug="bg5").exists()
    with pytest.raises(CommandError, match="途中で止まりました"):
        _generate("--follow", str(run.pk))
