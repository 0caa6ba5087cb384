"""The import pages: upload, progress driven by htmx, result or row errors; who sees what."""

from __future__ import annotations

import codecs
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext

from conftest import client_for
from tsunagu.access.models import AccessLog
from tsunagu.accounts.models import User
from tsunagu.consultations.models import Consultation
from tsunagu.imports.models import ImportJob
from tsunagu.imports.tests.conftest import (
    CONSULTATION_HEADER,
    CONSULTATIONS,
    PERSON_HEADER,
    PERSONS,
    csv_text,
)
from tsunagu.organizations.models import Municipality
from tsunagu.people.models import Person

HTMX = {"HX-Request": "true"}


def upload(client: Client, kind: str, data: bytes, name: str = "data.csv") -> ImportJob | str:
    """Post a file; the job it started, or the page with the form's errors."""
    response = client.post(
        "/imports/", {"kind": kind, "file": SimpleUploadedFile(name, data, "text/csv")}
    )
    if response.status_code == 302:
        match = re.fullmatch(r"/imports/(\d+)/", response["Location"])
        assert match is not None
        return ImportJob.dangerously_unscoped.get(pk=int(match[1]))
    assert response.status_code == 200
    return response.content.decode()


def run_to_end(client: Client, job: ImportJob, limit: int = 100) -> list[str]:
    """Drive the job as the page's htmx does; the partials it received."""
    bodies = []
    for _ in range(limit):
        response = client.post(f"/imports/{job.pk}/step/", headers=HTMX)
        assert response.status_code == 200
        bodies.append(response.content.decode())
        job.refresh_from_db()
        if job.status != ImportJob.Status.VALIDATING:
            return bodies
    raise AssertionError("the job did not finish")


def started(client: Client, kind: str, data: bytes, name: str = "data.csv") -> ImportJob:
    job = upload(client, kind, data, name)
    assert isinstance(job, ImportJob), job
    return job


@pytest.fixture
def job(counselor: User) -> ImportJob:
    return started(client_for(counselor), "persons", csv_text(PERSONS).encode())


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/imports/", "/imports/1/"])
def test_anonymous_is_sent_to_login(url: str) -> None:
    response = client_for(None).get(url)
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_anonymous_cannot_step(job: ImportJob) -> None:
    response = client_for(None).post(f"/imports/{job.pk}/step/")
    assert response.status_code == 302 and "/login/" in response["Location"]
    job.refresh_from_db()
    assert job.processed_rows == 0


def test_the_organizations_staff_see_the_job(job: ImportJob, counselor: User) -> None:
    for url in ["/imports/", f"/imports/{job.pk}/"]:
        response = client_for(counselor).get(url)
        assert response.status_code == 200
        assert "data.csv" in response.content.decode()


@pytest.mark.parametrize("persona", ["receiver", "third", "coordinator", "outsider"])
def test_other_organizations_get_404(
    job: ImportJob, persona: str, request: pytest.FixtureRequest
) -> None:
    client = client_for(request.getfixturevalue(persona))
    assert client.get(f"/imports/{job.pk}/").status_code == 404
    assert client.post(f"/imports/{job.pk}/step/", headers=HTMX).status_code == 404
    assert "data.csv" not in client.get("/imports/").content.decode()
    job.refresh_from_db()
    assert job.processed_rows == 0


def test_missing_job_is_404(counselor: User) -> None:
    assert client_for(counselor).get("/imports/999999/").status_code == 404


def test_step_is_post_only(job: ImportJob, counselor: User) -> None:
    assert client_for(counselor).get(f"/imports/{job.pk}/step/").status_code == 405


@pytest.mark.parametrize("persona", ["counselor", "coordinator", "manager", "admin_user"])
def test_these_roles_may_import(persona: str, request: pytest.FixtureRequest) -> None:
    user = request.getfixturevalue(persona)
    client = client_for(user)
    assert 'enctype="multipart/form-data"' in client.get("/imports/").content.decode()
    run_to_end(client, started(client, "persons", csv_text(PERSONS).encode()))
    assert Person.dangerously_unscoped.filter(organization=user.organization).count() == 3


def test_other_roles_see_the_page_but_cannot_import(counselor: User) -> None:
    client = client_for(counselor)
    job = started(client, "persons", csv_text(PERSONS).encode())
    counselor.role_assignments.update(role="outreach_worker")
    body = client.get("/imports/").content.decode()
    assert "取り込みは相談員・コーディネーター・管理者が行えます" in body
    assert 'enctype="multipart/form-data"' not in body
    data = csv_text(PERSONS).encode()
    assert (
        client.post(
            "/imports/", {"kind": "persons", "file": SimpleUploadedFile("a.csv", data)}
        ).status_code
        == 404
    )
    assert client.get(f"/imports/{job.pk}/").status_code == 200
    assert client.post(f"/imports/{job.pk}/step/", headers=HTMX).status_code == 404


@pytest.mark.parametrize(
    "data",
    [
        csv_text(PERSONS).encode("utf-8"),
        codecs.BOM_UTF8 + csv_text(PERSONS).encode("utf-8"),
        csv_text(PERSONS).encode("cp932"),
    ],
    ids=["utf-8", "bom", "cp932"],
)
def test_import_persons_through_the_web(counselor: User, data: bytes) -> None:
    client = client_for(counselor)
    job = started(client, "persons", data)
    page = client.get(f"/imports/{job.pk}/").content.decode()
    assert '<progress id="import-progress" max="3" value="0">' in page
    assert 'aria-live="polite"' in page and "3 行のうち 0 行を確認しました（0%）" in page
    assert 'hx-trigger="load delay:100ms"' in page
    bodies = run_to_end(client, job)
    assert "すべての行を確認しました。登録しています" in bodies[0]
    assert "<html" not in bodies[-1]
    assert 'hx-swap-oob="innerHTML:#import-live"' in bodies[-1]
    assert "取り込みが完了しました" in bodies[-1]
    job.refresh_from_db()
    assert job.status == "done" and job.created_count == 3 and job.text == ""
    assert job.finished_at is not None
    assert Person.dangerously_unscoped.get(external_id="P002").family_name == "髙橋"
    assert AccessLog.objects.filter(action="import", channel="web").count() == 3
    done = client.get(f"/imports/{job.pk}/").content.decode()
    assert "新規に登録" in done and "<progress" not in done and "hx-post" not in done


def test_progress_advances_a_chunk_at_a_time(
    counselor: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("tsunagu.imports.services.CHUNK_ROWS", 400)
    # 1,200 different people: each given name has its own reading (with no reading, names
    # that differ only in their kanji would be flagged as the same person in the file)
    kana = "あいうえおかきくけこさし"
    readings = [kana[i // 144] + kana[i // 12 % 12] + kana[i % 12] for i in range(1200)]
    rows = [f"P{i:05},山田,{i}郎,やまだ,{readings[i]},1970-01-01,male,,," for i in range(1200)]
    client = client_for(counselor)
    job = started(client, "persons", csv_text([PERSON_HEADER, *rows]).encode())
    assert job.total_rows == 1200
    seen = []
    for _ in range(3):
        client.post(f"/imports/{job.pk}/step/", headers=HTMX)
        job.refresh_from_db()
        seen.append((job.processed_rows, job.status))
    assert seen == [(400, "validating"), (800, "validating"), (1200, "validating")]
    assert (
        Person.dangerously_unscoped.count() == 0
    )  # nothing is written while rows are being checked
    body = client.post(f"/imports/{job.pk}/step/", headers=HTMX).content.decode()
    job.refresh_from_db()
    assert job.status == "done" and job.created_count == 1200
    assert "1,200 行を北地域包括支援センターの記録として取り込みました" in body
    assert Person.dangerously_unscoped.count() == 1200
    # a finished job stays finished
    client.post(f"/imports/{job.pk}/step/", headers=HTMX)
    assert Person.dangerously_unscoped.count() == 1200


def test_without_javascript_the_button_steps_and_returns_to_the_page(
    counselor: User, job: ImportJob
) -> None:
    client = client_for(counselor)
    assert "<noscript>" in client.get(f"/imports/{job.pk}/").content.decode()
    response = client.post(f"/imports/{job.pk}/step/")
    assert response.status_code == 302 and response["Location"] == f"/imports/{job.pk}/"


def test_rerun_through_the_web_does_not_duplicate(counselor: User) -> None:
    client = client_for(counselor)
    for _ in range(2):
        run_to_end(client, started(client, "persons", csv_text(PERSONS).encode()))
        run_to_end(client, started(client, "consultations", csv_text(CONSULTATIONS).encode()))
    assert (
        Person.dangerously_unscoped.count() == 3 and Consultation.dangerously_unscoped.count() == 3
    )
    last = ImportJob.dangerously_unscoped.filter(kind="consultations").first()
    assert last is not None and last.skipped_count == 3 and last.created_count == 0
    body = client.get(f"/imports/{last.pk}/").content.decode()
    assert "取り込み済みのため省略" in body


def test_a_bad_row_fails_the_job_and_the_table_names_line_and_column(counselor: User) -> None:
    client = client_for(counselor)
    lines = [*PERSONS, "P009,鈴木,,,,1990/13/01,,,,"]
    job = started(client, "persons", csv_text(lines).encode())
    bodies = run_to_end(client, job)
    job.refresh_from_db()
    assert job.status == "failed" and job.error_count == 1 and job.text == ""
    assert Person.dangerously_unscoped.count() == 0
    body = bodies[-1]
    assert "エラーが 1 件あったため、何も登録していません" in body
    row = r'<td class="num">6</td>\s*<td>birth_date（生年月日）</td>\s*<td>存在しない日付です'
    assert re.search(row, body)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\x00\x01\x02\x03binary" * 20, "テキストの CSV ファイルではない"),
        ("external_id,family_name\nP1,Müller\n".encode("latin-1"), "文字コードを判別できません"),
        (b"PK\x03\x04" + bytes(100), "Excel のブック形式"),
        (f"{PERSON_HEADER}\n".encode(), "データの行がありません"),
        (b"", "入力されたファイルは空です"),
        (b"memo\nx\n", "不明な列があります: memo"),
    ],
)
def test_unusable_uploads_are_refused_on_the_form(
    counselor: User, data: bytes, message: str
) -> None:
    body = upload(client_for(counselor), "persons", data)
    assert isinstance(body, str)
    assert message in body
    assert ImportJob.dangerously_unscoped.count() == 0


@override_settings(MAX_IMPORT_BYTES=1000)
def test_oversized_upload_is_refused(counselor: User) -> None:
    body = upload(client_for(counselor), "persons", b"external_id\n" + b"P1\n" * 500)
    assert isinstance(body, str) and "ファイルが大きすぎます" in body
    assert ImportJob.dangerously_unscoped.count() == 0


def test_unknown_kind_is_a_form_error(counselor: User) -> None:
    response = client_for(counselor).post(
        "/imports/", {"kind": "households", "file": SimpleUploadedFile("a.csv", b"x")}
    )
    assert response.status_code == 200 and ImportJob.dangerously_unscoped.count() == 0


def test_html_is_stored_as_is_and_shown_escaped(counselor: User) -> None:
    client = client_for(counselor)
    name = '<img src=x onerror="alert(1)">.csv'
    run_to_end(client, started(client, "persons", csv_text(PERSONS).encode(), name=name))
    job = started(client, "consultations", csv_text(CONSULTATIONS).encode(), name=name)
    run_to_end(client, job)
    stored = Consultation.dangerously_unscoped.get(external_id="C001").content
    assert stored.startswith("<script>alert(1)</script>")
    page = client.get(f"/imports/{job.pk}/").content.decode()
    assert "<img src=x" not in page and "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;.csv" in page
    listing = client.get("/imports/").content.decode()
    assert "<img src=x" not in listing and "&lt;img src=x" in listing
    bad = [
        CONSULTATION_HEADER,
        "C9,,匿名,2026-04-01 10:00,phone,self,,<script>x</script>,,a,ongoing,1",
    ]
    failed = started(client, "consultations", csv_text(bad).encode())
    body = run_to_end(client, failed)[-1]
    assert "<script>x</script>" not in body
    assert "不明な相談の内容です: &lt;script&gt;x&lt;/script&gt;" in body


def test_import_list_query_count_does_not_grow(counselor: User, city: Municipality) -> None:
    client = client_for(counselor)
    started(client, "persons", csv_text(PERSONS).encode())
    with CaptureQueriesContext(connection) as one:
        client.get("/imports/")
    for _ in range(5):
        started(client, "persons", csv_text(PERSONS).encode())
    with CaptureQueriesContext(connection) as six:
        client.get("/imports/")
    assert len(six) == len(one)


def test_a_file_of_errors_stops_early(counselor: User, monkeypatch: pytest.MonkeyPatch) -> None:
    client = client_for(counselor)
    ragged = csv_text([PERSON_HEADER] + [f"P{i},山田" for i in range(1500)]).encode()
    job = started(client, "persons", ragged)
    assert job.status == "failed" and job.text == "" and job.error_count == 1000
    page = client.get(f"/imports/{job.pk}/").content.decode()
    assert "エラーが 1,000 件以上あったため" in page and "1,000 件で確認を打ち切りました" in page
    monkeypatch.setattr("tsunagu.imports.services.CHUNK_ROWS", 500)
    bad_dates = [PERSON_HEADER] + [f"P{i},山田,,,,1990-02-30,,,," for i in range(3000)]
    job = started(client, "persons", csv_text(bad_dates).encode())
    assert len(run_to_end(client, job)) == 2
    assert job.status == "failed" and job.error_count == 1000 and job.processed_rows == 1000
