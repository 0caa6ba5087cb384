"""市全体の名寄せ on the page: the city's system administrator starts find-duplicates as a
background task, follows its progress, downloads the encrypted ZIP (each download logged as an
export) and sees a one-time password once; nobody else sees a run; a failure keeps nothing."""

from __future__ import annotations

import csv
import io
import re
from io import StringIO
from typing import Any

import pytest
import pyzipper
from django.core.management import call_command
from django.db import connection
from django.tasks import TaskResultStatus
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_tasks_db.management.commands import db_worker

from conftest import client_for, make_user
from tsunagu.access.models import AccessLog
from tsunagu.accounts.models import Role, User
from tsunagu.core import tasks
from tsunagu.core.archive import password_seal, password_unseal
from tsunagu.core.lost_tasks import lost_tasks_sweep
from tsunagu.core.tests.downloads import ARCHIVE_PASSWORD
from tsunagu.core.tests.lost import claimed_by, dead_worker, result_of
from tsunagu.organizations.models import Municipality
from tsunagu.people import duplicate_runs
from tsunagu.people.models import DuplicateRun, Person
from tsunagu.people.tests import test_duplicates

pytestmark = pytest.mark.django_db

# the fixtures of the find-duplicates tests: three records, two of them the same human
variants = test_duplicates.variants
archive_key = test_duplicates.archive_key
HTMX = {"HX-Request": "true"}
PASSWORD = re.compile(r"data-password>([^<]+)<")


def _csv_rows(data: bytes, password: str) -> list[dict[str, str]]:
    with pyzipper.AESZipFile(io.BytesIO(data)) as archive:
        archive.setpassword(password.encode())
        text = archive.read("duplicates.csv").decode("utf-8")
    return list(csv.DictReader(io.StringIO(text)))


def _start(client: Any, **data: object) -> Any:
    return client.post(reverse("people:duplicate_runs"), {"threshold": 0.55, "tier": "all", **data})


def test_the_admin_runs_it_downloads_the_zip_and_sees_the_password_once(
    admin_user: User, variants: tuple[Person, Person, Person]
) -> None:
    a, b, _ = variants
    client = client_for(admin_user)
    assert "照合を始める" in client.get(reverse("people:duplicate_runs")).content.decode()
    response = _start(client)
    run = DuplicateRun.dangerously_unscoped.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("people:duplicate_run", args=[run.pk])
    # the immediate backend ran the task inside the request
    assert run.status == DuplicateRun.Status.DONE and run.pair_count == 1
    assert run.done_steps == run.total_steps == 3
    assert run.sealed_password and not run.configured_password
    page = client.get(response["Location"])
    assert "no-store" in page["Cache-Control"]
    shown = PASSWORD.search(page.content.decode())
    assert shown is not None
    password = shown.group(1)
    run.refresh_from_db()
    assert run.sealed_password == "" and run.password_shown_at is not None
    again = client.get(response["Location"]).content.decode()
    assert password not in again and "一度だけ表示しました" in again
    assert not AccessLog.objects.filter(action=AccessLog.Action.EXPORT).exists()
    download = client.get(reverse("people:duplicate_run_download", args=[run.pk]))
    assert download.status_code == 200 and download["Content-Type"] == "application/zip"
    assert run.file_name in download["Content-Disposition"]
    rows = _csv_rows(download.content, password)
    assert [(r["external_id_a"], r["external_id_b"]) for r in rows] == [("A-1", "B-7")]
    logged = AccessLog.objects.filter(action=AccessLog.Action.EXPORT, user=admin_user)
    assert sorted(logged.values_list("person_id", flat=True)) == sorted([a.pk, b.pk])
    assert {e.channel for e in logged} == {"web"}


@pytest.mark.usefixtures("archive_key")
def test_under_the_city_key_no_password_is_kept_and_likely_keeps_the_likely_tier(
    admin_user: User, variants: tuple[Person, Person, Person]
) -> None:
    client = client_for(admin_user)
    _start(client, tier="likely")
    run = DuplicateRun.dangerously_unscoped.get()
    assert run.configured_password and run.sealed_password == ""
    page = client.get(reverse("people:duplicate_run", args=[run.pk])).content.decode()
    assert "市で定めた出力用" in page and "data-password" not in page
    download = client.get(reverse("people:duplicate_run_download", args=[run.pk]))
    rows = _csv_rows(download.content, ARCHIVE_PASSWORD)
    assert rows and all(r["tier"] == rows[0]["tier"] for r in rows)


def test_the_password_is_shown_only_to_the_admin_who_asked(
    admin_user: User, city: Municipality, variants: tuple[Person, Person, Person]
) -> None:
    _start(client_for(admin_user))
    run = DuplicateRun.dangerously_unscoped.get()
    colleague = make_user(city, "chiiki-fukushi-ka", Role.ADMIN, "colleague")
    page = client_for(colleague).get(reverse("people:duplicate_run", args=[run.pk]))
    assert "data-password" not in page.content.decode()
    run.refresh_from_db()
    assert run.sealed_password  # still waiting for the one who asked
    # a colleague may download (logged as the colleague's export)
    client_for(colleague).get(reverse("people:duplicate_run_download", args=[run.pk]))
    assert AccessLog.objects.filter(action="export", user=colleague).count() == 2


def test_nobody_else_sees_starts_or_downloads_a_run(
    admin_user: User,
    counselor: User,
    manager: User,
    other_city: Municipality,
    variants: tuple[Person, Person, Person],
) -> None:
    _start(client_for(admin_user))
    run = DuplicateRun.dangerously_unscoped.get()
    elsewhere = make_user(other_city, "soudan", Role.ADMIN, "kita-admin")
    for user in (counselor, manager, elsewhere):
        client = client_for(user)
        for name in ("people:duplicate_run", "people:duplicate_run_download"):
            assert client.get(reverse(name, args=[run.pk])).status_code == 404, (user, name)
        if user is not elsewhere:
            assert _start(client).status_code == 404
    assert DuplicateRun.dangerously_unscoped.count() == 1
    # another city's administrator has its own page, without this run, and runs its own city
    client = client_for(elsewhere)
    assert "まだ照合していません" in client.get(reverse("people:duplicate_runs")).content.decode()
    _start(client)
    own = DuplicateRun.dangerously_unscoped.exclude(pk=run.pk).get()
    assert own.municipality == other_city and own.pair_count == 0
    page = client.get(reverse("people:duplicate_runs")).content.decode()
    assert reverse("people:duplicate_run", args=[own.pk]) in page
    assert reverse("people:duplicate_run", args=[run.pk]) not in page
    assert client_for(counselor).get(reverse("people:duplicate_runs")).status_code == 404
    assert not AccessLog.objects.filter(action=AccessLog.Action.EXPORT).exists()
    # the 名寄せ page links to it for administrators only
    link = reverse("people:duplicate_runs")
    assert link in client_for(admin_user).get(reverse("people:duplicates")).content.decode()
    assert link not in client_for(counselor).get(reverse("people:duplicates")).content.decode()


def test_a_form_sent_twice_starts_one_run(
    admin_user: User, variants: tuple[Person, Person, Person]
) -> None:
    from tsunagu.core.once import form_token_new

    client = client_for(admin_user)
    token = form_token_new()
    first = _start(client, form_token=token)
    second = _start(client, form_token=token)
    assert DuplicateRun.dangerously_unscoped.count() == 1
    assert second.status_code == 302 and second["Location"] == first["Location"]


def test_a_bad_threshold_is_refused(admin_user: User) -> None:
    response = _start(client_for(admin_user), threshold=1.5)
    assert response.status_code == 200
    assert not DuplicateRun.dangerously_unscoped.exists()


def test_the_database_backend_queues_the_run_and_the_worker_completes_it(
    admin_user: User,
    variants: tuple[Person, Person, Person],
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # the worker closes stale connections between tasks; the test's database is the one open
    monkeypatch.setattr(db_worker, "close_old_connections", lambda: None)
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    client = client_for(admin_user)
    _start(client)
    run = DuplicateRun.dangerously_unscoped.get()
    assert run.status == DuplicateRun.Status.QUEUED and run.task_id
    url = reverse("people:duplicate_run", args=[run.pk])
    polled = client.get(url, headers=HTMX).content.decode()
    assert "順番待ち" in polled and 'hx-trigger="every 1s"' in polled
    with CaptureQueriesContext(connection) as queries:
        client.get(url, headers=HTMX)
    assert len(queries) <= 10, [q["sql"] for q in queries]
    call_command("db_worker", "--batch", "--no-startup-delay", stdout=StringIO())
    run.refresh_from_db()
    assert run.status == DuplicateRun.Status.DONE and run.pair_count == 1
    done = client.get(url, headers=HTMX).content.decode()
    assert "1 組を暗号化 ZIP にしました" in done and "every 1s" not in done
    assert PASSWORD.search(done) is not None


def test_a_failure_in_the_task_marks_the_run_failed_and_keeps_nothing(
    admin_user: User, variants: tuple[Person, Person, Person], monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail(**kwargs: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(duplicate_runs, "archive_make", fail)
    client = client_for(admin_user)
    _start(client)
    run = DuplicateRun.dangerously_unscoped.get()
    assert run.status == DuplicateRun.Status.FAILED
    assert "予期しないエラー" in run.message and "作っていません" in run.message
    assert bytes(run.content) == b"" and run.person_ids == [] and run.sealed_password == ""
    page = client.get(reverse("people:duplicate_run", args=[run.pk])).content.decode()
    assert "照合できませんでした" in page
    download = client.get(reverse("people:duplicate_run_download", args=[run.pk]))
    assert download.status_code == 404


def test_a_queue_that_refuses_fails_the_run_cleanly(
    admin_user: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*args: object, **kwargs: object) -> str:
        raise ConnectionError("queue down")

    monkeypatch.setattr(tasks, "task_enqueue", refuse)  # run_enqueue's queue
    _start(client_for(admin_user))
    run = DuplicateRun.dangerously_unscoped.get()
    assert run.status == DuplicateRun.Status.FAILED and "始められませんでした" in run.message


def test_a_sealed_password_opens_only_under_the_same_secret(settings: Any) -> None:
    sealed = password_seal("AbCdEfGh23456789")
    assert "AbCdEfGh23456789" not in sealed
    assert password_unseal(sealed) == "AbCdEfGh23456789"
    settings.SECRET_KEY = "another-secret-key-for-this-test-only"
    assert password_unseal(sealed) == ""


def test_a_run_whose_worker_died_fails_with_a_message_and_keeps_nothing(
    admin_user: User,
    variants: tuple[Person, Person, Person],
    settings: Any,
) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    client = client_for(admin_user)
    _start(client)
    run = DuplicateRun.dangerously_unscoped.get()
    DuplicateRun.dangerously_unscoped.filter(pk=run.pk).update(
        status=DuplicateRun.Status.RUNNING, done_steps=1, total_steps=3
    )
    claimed_by(run.task_id, dead_worker())
    [lost] = lost_tasks_sweep()
    assert lost.result_id == run.task_id and lost.recovered
    run.refresh_from_db()
    assert run.status == DuplicateRun.Status.FAILED and run.finished_at is not None
    assert run.message == (
        "照合の処理が途中で止まりました（処理を担当するプロセスが終了しました）。"
        "ファイルは作っていません。もう一度お試しください"
    )
    assert bytes(run.content) == b"" and run.person_ids == [] and run.sealed_password == ""
    assert result_of(run.task_id).status == TaskResultStatus.FAILED
    page = client.get(reverse("people:duplicate_run", args=[run.pk])).content.decode()
    assert "照合できませんでした: 照合の処理が途中で止まりました" in page
    download = client.get(reverse("people:duplicate_run_download", args=[run.pk]))
    assert download.status_code == 404
