"""The report button: managers of the city only, a background task with progress, the
download access-checked and recorded."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.urls import reverse

from conftest import FormClient, client_for, make_user
from tsunagu.accounts.models import Role, User
from tsunagu.core.once import form_token_new
from tsunagu.evaluation.models import ReportDownload, ReportRun
from tsunagu.evaluation.report import Progress, report_build
from tsunagu.evaluation.report_runs import (
    report_run_create,
    report_run_enqueue,
    report_run_execute,
)
from tsunagu.organizations.models import Municipality

pytestmark = pytest.mark.django_db


def _manager_client(user: User) -> FormClient:
    client = client_for(user)
    assert isinstance(client, FormClient)
    return client


def test_a_manager_makes_the_report_and_downloads_it(manager: User) -> None:
    client = _manager_client(manager)
    page = client.get(reverse("evaluation:report"))
    assert page.status_code == 200
    assert "令和8年度（2026年度）" in page.content.decode()
    response = client.post(reverse("evaluation:report"), {"fiscal_year": 2026, "format": "json"})
    run = ReportRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("evaluation:report_run", args=[run.pk])
    # the immediate backend ran the task inside the request; the run kept its progress
    assert run.status == ReportRun.Status.DONE
    assert run.done_steps == run.total_steps == 1
    shown = client.get(response["Location"]).content.decode()
    assert "作成しました" in shown and "ダウンロード" in shown
    download = client.get(reverse("evaluation:report_download", args=[run.pk]))
    assert download.status_code == 200
    assert download["Content-Type"] == "application/json"
    assert "attachment" in download["Content-Disposition"]
    assert json.loads(download.content)[0]["fiscal_year"] == 2026
    logged = ReportDownload.objects.get()
    assert (logged.run_id, logged.user_id) == (run.pk, manager.pk)


def test_the_pdf_task_reports_progress_program_by_program(
    manager: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = report_run_create(user=manager, fiscal_year=2026, fmt="pdf")
    seen: list[tuple[int, int]] = []

    def spy(*, progress: Progress, **kwargs: Any) -> bytes:
        def watch(done: int, total: int, label: str) -> None:
            progress(done, total, label)
            row = ReportRun.objects.get(pk=run.pk)
            seen.append((row.done_steps, row.total_steps))
            assert row.status == ReportRun.Status.RUNNING

        return report_build(progress=watch, **kwargs)

    monkeypatch.setattr("tsunagu.evaluation.report_runs.report_build", spy)
    report_run_enqueue(run)
    run.refresh_from_db()
    assert run.status == ReportRun.Status.DONE
    assert len(seen) >= 3 and seen[-1][0] == seen[-1][1]
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)
    assert bytes(run.content).startswith(b"%PDF-")


def test_a_running_run_is_polled_with_its_progress(manager: User) -> None:
    run = report_run_create(user=manager, fiscal_year=2026, fmt="xlsx")
    ReportRun.objects.filter(pk=run.pk).update(
        status=ReportRun.Status.RUNNING, done_steps=2, total_steps=8, step_label="参加支援事業"
    )
    client = _manager_client(manager)
    url = reverse("evaluation:report_run", args=[run.pk])
    part = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert "2 / 8" in part and "参加支援事業" in part
    assert 'hx-trigger="every 1s"' in part and 'value="25"' in part
    assert "<html" not in part  # only the partial
    assert client.get(reverse("evaluation:report_download", args=[run.pk])).status_code == 404


def test_a_year_outside_the_plan_is_refused_with_a_message(manager: User) -> None:
    client = _manager_client(manager)
    response = client.post(reverse("evaluation:report"), {"fiscal_year": 2031, "format": "pdf"})
    assert response.status_code == 200
    assert "計画期間の年度から選んでください" in response.content.decode()
    assert not ReportRun.objects.exists()


def test_a_run_whose_plan_went_away_fails_with_the_reason(
    manager: User, city: Municipality
) -> None:
    run = report_run_create(user=manager, fiscal_year=2026, fmt="pdf")
    city.plan_versions.all().delete()
    report_run_execute(run_id=run.pk)
    run.refresh_from_db()
    assert run.status == ReportRun.Status.FAILED
    assert "含む版がありません" in run.message
    page = _manager_client(manager).get(reverse("evaluation:report_run", args=[run.pk]))
    assert "作成できませんでした" in page.content.decode()


def test_sent_twice_makes_one_report(manager: User) -> None:
    client = _manager_client(manager)
    data = {"fiscal_year": 2026, "format": "json", "form_token": form_token_new()}
    client.post(reverse("evaluation:report"), data)
    second = client.post(reverse("evaluation:report"), data)
    assert second.status_code == 302
    assert ReportRun.objects.count() == 1


def test_a_run_is_built_once(manager: User) -> None:
    run = report_run_create(user=manager, fiscal_year=2026, fmt="json")
    report_run_execute(run_id=run.pk)
    ReportRun.objects.filter(pk=run.pk).update(size=1)
    report_run_execute(run_id=run.pk)  # a second delivery of the task: left alone
    assert ReportRun.objects.get(pk=run.pk).size == 1


@pytest.mark.parametrize("who", ["counselor", "third", "outsider", "other_manager"])
def test_only_the_citys_managers_see_runs(
    who: str, manager: User, other_city: Municipality, request: pytest.FixtureRequest
) -> None:
    run = report_run_create(user=manager, fiscal_year=2026, fmt="json")
    report_run_enqueue(run)
    if who == "other_manager":
        user = make_user(other_city, "soudan", Role.MANAGER, "kita-boss")
    else:
        user = request.getfixturevalue(who)
    client = client_for(user)
    page = client.get(reverse("evaluation:report"))
    # another city's manager has a report page of their own city, without this city's runs
    assert page.status_code == (200 if who == "other_manager" else 404)
    assert reverse("evaluation:report_run", args=[run.pk]) not in page.content.decode()
    for name in ("evaluation:report_run", "evaluation:report_download"):
        assert client.get(reverse(name, args=[run.pk])).status_code == 404
    posted = client.post(reverse("evaluation:report"), {"fiscal_year": 2026, "format": "json"})
    assert posted.status_code == (200 if who == "other_manager" else 404)  # 北市: no plan year
    assert ReportRun.objects.count() == 1
    assert not ReportDownload.objects.exists()


def test_another_manager_of_the_city_downloads_it(manager: User, admin_user: User) -> None:
    run = report_run_create(user=manager, fiscal_year=2026, fmt="json")
    report_run_enqueue(run)
    response = client_for(admin_user).get(reverse("evaluation:report_download", args=[run.pk]))
    assert response.status_code == 200
    assert ReportDownload.objects.get().user_id == admin_user.pk
