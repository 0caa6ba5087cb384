"""`tsunagu import-persons` and `tsunagu import-consultations`."""

from __future__ import annotations

import datetime as dt
import random
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings

from tsunagu.access.models import AccessLog
from tsunagu.accounts.models import User
from tsunagu.consultations.models import Consultation
from tsunagu.imports import services
from tsunagu.imports.csvfile import ImportFileError
from tsunagu.imports.services import import_decode, import_run
from tsunagu.imports.tests.conftest import (
    CONSULTATION_HEADER,
    CONSULTATIONS,
    PERSON_HEADER,
    PERSONS,
    write,
)
from tsunagu.people.models import Person, Sex
from tsunagu.people.services import PersonData, person_create, person_create_many

pytestmark = pytest.mark.django_db


def run(command: str, path: Path, user: User) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command(command, str(path), user=user.username, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def fails(command: str, path: Path, user: User | str) -> tuple[str, str]:
    """The command's error message and what it wrote to stderr before it."""
    err = StringIO()
    username = user if isinstance(user, str) else user.username
    with pytest.raises(CommandError) as info:
        call_command(command, str(path), user=username, stdout=StringIO(), stderr=err)
    return str(info.value), err.getvalue()


@pytest.mark.parametrize(
    ("encoding", "bom", "label"),
    [("utf-8", False, "UTF-8"), ("utf-8", True, "UTF-8（BOM付き）"), ("cp932", False, "CP932")],
)
def test_persons_import(
    tmp_path: Path, counselor: User, encoding: str, bom: bool, label: str
) -> None:
    path = write(tmp_path / "persons.csv", PERSONS, encoding=encoding, bom=bom)
    out, err = run("import_persons", path, counselor)
    assert label in out
    assert "北地域包括支援センター: 本人 3 行: 新規 3 件、更新 0 件、変更なし 0 件" in out
    assert err == ""
    persons = {p.external_id: p for p in Person.dangerously_unscoped.all()}
    assert set(persons) == {"P001", "P002", "P003"}
    assert all(p.organization == counselor.organization for p in persons.values())
    yamada, takahashi, sato = persons["P001"], persons["P002"], persons["P003"]
    assert yamada.birth_date == dt.date(1972, 5, 1) and yamada.sex == Sex.MALE
    assert yamada.postal_code == "939-0000" and yamada.phone == "0766-00-0000"
    assert takahashi.family_name == "髙橋" and takahashi.address == "南町①"
    # half-width kana from the agency's system are stored full-width (issue 7, class 5)
    assert takahashi.family_name_kana == "タカハシ" and takahashi.given_name_kana == "ハナコ"
    assert takahashi.sex == Sex.FEMALE
    assert sato.address == "東町4-5, 2階" and sato.birth_date is None
    imports = AccessLog.objects.filter(action=AccessLog.Action.IMPORT)
    assert imports.count() == 3
    assert set(imports.values_list("channel", flat=True)) == {"cli"}
    assert set(imports.values_list("person__external_id", flat=True)) == set(persons)


def test_rerun_updates_without_duplicating_and_keeps_what_the_file_does_not_know(
    tmp_path: Path, counselor: User
) -> None:
    path = write(tmp_path / "persons.csv", PERSONS)
    run("import_persons", path, counselor)
    # The city marked P001 for 住所秘匿; the agency's system knows nothing about it.
    Person.dangerously_unscoped.filter(external_id="P001").update(address_protected=True)
    changed = [PERSONS[0], PERSONS[1].replace("北町1丁目2番3号", "北町9丁目"), *PERSONS[2:]]
    out, _ = run("import_persons", write(tmp_path / "again.csv", changed), counselor)
    assert "新規 0 件、更新 1 件、変更なし 2 件" in out
    assert Person.dangerously_unscoped.count() == 3
    yamada = Person.dangerously_unscoped.get(external_id="P001")
    assert yamada.address == "北町9丁目" and yamada.address_protected
    # a file with fewer columns leaves the others as they are
    path = write(tmp_path / "names.csv", ["external_id,given_name", "P003,二郎"])
    run("import_persons", path, counselor)
    sato = Person.dangerously_unscoped.get(external_id="P003")
    assert sato.given_name == "二郎" and sato.address == "東町4-5, 2階"


def test_the_same_external_id_at_another_organization_is_another_person(
    tmp_path: Path, counselor: User, receiver: User
) -> None:
    path = write(tmp_path / "persons.csv", PERSONS)
    run("import_persons", path, counselor)
    run("import_persons", path, receiver)
    assert Person.dangerously_unscoped.filter(external_id="P001").count() == 2


def test_a_bad_row_writes_nothing_and_names_line_and_column(
    tmp_path: Path, counselor: User
) -> None:
    lines = [
        *PERSONS,
        "P004,鈴木,三郎,すずき,さぶろう,1990/02/30,男,,,",
        "P005,,,Suzuki,,2999-01-01,x,12345,,abc",
        "P006,田中",
        ",名無し,,,,,,,,",
        "P001,重複,,,,,,,,",
    ]
    message, err = fails("import_persons", write(tmp_path / "bad.csv", lines), counselor)
    assert "エラーが 9 件あったため、何も登録していません" in message
    assert err.splitlines() == [
        "行 6: birth_date: 存在しない日付です",
        "行 7: family_name_kana: ふりがなはひらがなかカタカナで入力してください",
        "行 7: birth_date: 生年月日が未来の日付です",
        "行 7: sex: female / male / other / unknown か 女性 / 男性 で入力してください",
        "行 7: postal_code: 郵便番号は 123-4567 の形で入力してください",
        "行 7: phone: 電話番号は数字とハイフンで入力してください",
        "行 8: 列の数が見出しと違います（見出し 10 列、この行 2 列）",
        "行 9: external_id: 機関システムの ID を入力してください",
        "行 10: external_id: 同じ external_id の行がこのファイルの行 2 にもあります",
    ]
    assert Person.dangerously_unscoped.count() == 0
    assert AccessLog.objects.count() == 0


def test_too_long_values_are_row_errors(tmp_path: Path, counselor: User) -> None:
    lines = [PERSON_HEADER, "P1," + "長" * 51 + ",,,,,,,,", "X" * 65 + ",山田,,,,,,,,"]
    _, err = fails("import_persons", write(tmp_path / "long.csv", lines), counselor)
    assert "行 2: family_name: 50文字以内で入力してください（51文字あります）" in err
    assert "行 3: external_id: IDが長すぎます（64文字まで）" in err


def test_a_failure_while_writing_rolls_everything_back(
    tmp_path: Path, counselor: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = person_create_many

    def racing(**kwargs: Any) -> list[Person]:
        # another window registers P003 between the check and the write
        person_create(user=counselor, data=PersonData(family_name="佐藤", external_id="P003"))
        return real(**kwargs)

    monkeypatch.setattr(services, "person_create_many", racing)
    message, err = fails("import_persons", write(tmp_path / "p.csv", PERSONS), counselor)
    assert "何も登録していません" in message
    assert "行 5: 登録できませんでした（external_id: このIDの本人は既に登録されています）" in err
    assert Person.dangerously_unscoped.count() == 0
    assert AccessLog.objects.count() == 0


@override_settings(MAX_IMPORT_BYTES=1000)
def test_oversized_file_is_refused_before_reading(
    tmp_path: Path, counselor: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(
        tmp_path / "big.csv", [PERSON_HEADER] + [f"P{i},山田" + "," * 8 for i in range(100)]
    )

    def no_reading(self: Path) -> bytes:
        raise AssertionError("the file was read")

    monkeypatch.setattr(Path, "read_bytes", no_reading)
    message, _ = fails("import_persons", path, counselor)
    assert "ファイルが大きすぎます" in message and "1 MB" not in message


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("external_id,family_name\nP1,やまだ\n".encode("euc_jp"), "EUC-JP"),
        ("external_id,family_name\nP1,Müller\n".encode("latin-1"), "文字コードを判別できません"),
        (bytes(range(256)) * 8, "文字コードを判別できません"),
        (b"\x00\x01\x02binary\x03" * 50, "テキストの CSV ファイルではない"),
        (b"", "ファイルが空です"),
        (f"{PERSON_HEADER}\r\n".encode(), "データの行がありません"),
        (b"name,age\nx,1\n", "不明な列があります: name, age"),
    ],
)
def test_unusable_files_give_a_clear_error(
    tmp_path: Path, counselor: User, data: bytes, message: str
) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes(data)
    error, _ = fails("import_persons", path, counselor)
    assert error.startswith(f"{path}: ")
    assert message in error


def test_who_may_import_from_the_command_line(
    tmp_path: Path, counselor: User, manager: User
) -> None:
    path = write(tmp_path / "persons.csv", PERSONS)
    assert "ファイルがありません" in fails("import_persons", tmp_path / "no.csv", manager)[0]
    assert "はいないか" in fails("import_persons", path, "nobody")[0]
    counselor.role_assignments.update(role="outreach_worker")
    assert "取り込みの権限がありません" in fails("import_persons", path, counselor)[0]


def test_consultations_import_and_rerun(
    tmp_path: Path, counselor: User, persons_csv: Path, consultations_csv: Path
) -> None:
    run("import_persons", persons_csv, counselor)
    out, _ = run("import_consultations", consultations_csv, counselor)
    assert "相談 3 行: 新規 3 件、取り込み済みのため省略 0 件" in out
    first = Consultation.dangerously_unscoped.get(external_id="C001")
    assert first.person is not None and first.person.external_id == "P001"
    assert first.content.startswith("<script>alert(1)</script>80代の母")  # stored as-is
    assert "\n息子は" in first.content
    assert first.received_at == dt.datetime(2026, 4, 1, 0, 30, tzinfo=dt.UTC)
    assert first.is_new
    assert [t.topic for t in first.topics.all()] == ["8050", "hikikomori", "income"]
    anonymous = Consultation.dangerously_unscoped.get(external_id="C002")
    assert anonymous.person is None and anonymous.anonymous_label == "近所の高齢女性"
    assert anonymous.requester_detail == "民生委員から"
    assert not Consultation.dangerously_unscoped.get(external_id="C003").is_new
    logs = AccessLog.objects.filter(action="import", object_type="consultations.consultation")
    assert logs.count() == 3 and set(logs.values_list("channel", flat=True)) == {"cli"}

    extra = [*CONSULTATIONS, "C004,P003,,2026/06/01 8:00,phone,self,,other,,追加,closed,1"]
    out, _ = run("import_consultations", write(tmp_path / "more.csv", extra), counselor)
    assert "新規 1 件、取り込み済みのため省略 3 件" in out
    assert Consultation.dangerously_unscoped.count() == 4


def test_consultation_rows_are_checked_against_the_code_lists(
    tmp_path: Path, counselor: User
) -> None:
    person_create(user=counselor, data=PersonData(family_name="山田", external_id="P001"))
    lines = [
        CONSULTATION_HEADER,
        "C1,P999,,2026-04-01 10:00,fax,self,,income,,内容,ongoing,1",
        "C2,,,2026/04/01,window,boss,,money,health;<b>x</b>,,later,maybe",
        "C3,P001,,2099-01-01 00:00,window,self,,income,,内容,ongoing,",
    ]
    message, err = fails("import_consultations", write(tmp_path / "c.csv", lines), counselor)
    assert "何も登録していません" in message
    lines_out = err.splitlines()
    assert lines_out[0] == (
        "行 2: person_external_id: この ID の本人は登録されていません"
        "（先に本人の CSV を取り込んでください）"
    )
    assert lines_out[1].startswith(
        "行 2: channel: 相談方法の値が不正です（使える値: window（窓口）、phone（電話）、"
    )
    assert "行 3: person_external_id が空のときは anonymous_label" not in err
    assert (
        "行 3: anonymous_label: person_external_id が空のときは anonymous_label"
        "（匿名・未特定の呼び名）を入力してください"
    ) in err
    assert "行 3: received_at: 日時は 2026-04-01T09:30 か 2026/04/01 9:30 の形で" in err
    assert "行 3: requester: 相談者の値が不正です" in err
    assert "行 3: main_topic: 不明な相談の内容です: <b>x</b>, money" in err
    assert "行 3: content: 相談内容を入力してください" in err
    assert "行 3: is_new: 1 / 0、true / false か 新規 / 継続 で入力してください" in err
    assert "行 4: received_at: 受付日時が未来です" in err
    assert Consultation.dangerously_unscoped.count() == 0


def test_a_person_of_another_organization_cannot_be_referenced(
    tmp_path: Path, counselor: User, receiver: User
) -> None:
    person_create(user=receiver, data=PersonData(family_name="山田", external_id="P001"))
    lines = [CONSULTATION_HEADER, "C1,P001,,2026-04-01 10:00,phone,self,,income,,内容,ongoing,1"]
    _, err = fails("import_consultations", write(tmp_path / "c.csv", lines), counselor)
    assert "行 2: person_external_id: この ID の本人は登録されていません" in err


def test_no_file_breaks_the_import(counselor: User) -> None:
    """Mangled versions of real files end in a report or a file error, never an exception."""
    rng = random.Random(20260401)  # noqa: S311 (seeded test data, not security)
    sources = [
        ("persons", "\r\n".join(PERSONS).encode("cp932")),
        ("consultations", "\r\n".join(CONSULTATIONS).encode("utf-8")),
    ]
    alphabet = b',"\r\n;\x00\xff\x81\xe3 abc'
    outcomes = {"report": 0, "file_error": 0}

    def counts() -> tuple[int, int]:
        return Person.dangerously_unscoped.count(), Consultation.dangerously_unscoped.count()

    for _ in range(300):
        kind, data = rng.choice(sources)
        mangled = bytearray(data)
        for _ in range(rng.randint(1, 12)):
            position = rng.randrange(len(mangled))
            if rng.random() < 0.5:
                mangled[position] = rng.choice(alphabet)
            else:
                del mangled[position : position + rng.randint(1, 20)]
        before = counts()
        try:
            text, _ = import_decode(data=bytes(mangled))
            report = import_run(user=counselor, kind=kind, text=text, channel=AccessLog.Channel.CLI)
        except ImportFileError as exc:
            assert str(exc).strip()  # the file error says what is wrong
            assert counts() == before
            outcomes["file_error"] += 1
            continue
        outcomes["report"] += 1
        after = counts()
        lines = text.count("\n") + 2
        if report.errors:
            assert after == before, "a report with errors wrote something"
            assert report.created == report.updated == 0
            for error in report.errors:
                assert 1 <= error.line <= lines and error.message.strip(), error
        else:
            written = report.created + report.updated + report.unchanged + report.skipped
            assert written == report.total_rows, report
            assert sum(after) - sum(before) == report.created, report
    assert outcomes["report"] > 0  # the mangling left some files readable


def test_checking_stops_after_a_thousand_errors(tmp_path: Path, counselor: User) -> None:
    ragged = [PERSON_HEADER] + [f"P{i},山田" for i in range(1500)]
    message, err = fails("import_persons", write(tmp_path / "r.csv", ragged), counselor)
    assert "エラーが多いため 1,000 件で確認を打ち切りました。何も登録していません" in message
    assert len(err.splitlines()) == 1000
    bad_dates = [PERSON_HEADER] + [f"P{i},山田,,,,1990-02-30,,,," for i in range(1500)]
    message, err = fails("import_persons", write(tmp_path / "d.csv", bad_dates), counselor)
    assert "打ち切りました" in message and len(err.splitlines()) == 1000
    assert err.splitlines()[-1] == "行 1001: birth_date: 存在しない日付です"


def test_new_records_are_written_in_batches_not_row_by_row(counselor: User) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries_for(rows: int, prefix: str) -> int:
        persons = [PERSON_HEADER] + [
            f"{prefix}{i},山田,{i}郎,やまだ,,1970/1/1,男性,,," for i in range(rows)
        ]
        consultations = [CONSULTATION_HEADER] + [
            f"{prefix}C{i},{prefix}{i},,2026/04/01 09:30,window,self,,income,,家計,information,1"
            for i in range(rows)
        ]
        with CaptureQueriesContext(connection) as captured:
            for kind, lines in (("persons", persons), ("consultations", consultations)):
                report = import_run(
                    user=counselor,
                    kind=kind,
                    text="\n".join(lines) + "\n",
                    channel=AccessLog.Channel.CLI,
                )
                assert report.ok and report.created == rows, report.errors
        return len(captured)

    # the first import also makes what is made once (the city's chain head, the change
    # history's column sets): not part of the comparison
    queries_for(1, "W")
    # 290 more rows of each kind cost a few more batches, never a query per row
    assert queries_for(300, "B") <= queries_for(10, "A") + 5


def test_bulk_history_rows_are_those_simple_history_writes(counselor: User) -> None:
    """The import's history rows are copied by the database (`core.history`), not built by
    simple_history: they hold what simple_history's own bulk create would write, the access
    log has one `import` row each, and the change history's chain verifies."""
    from simple_history.utils import bulk_create_with_history as simple_bulk

    from tsunagu.access.chain import chain_verify, history_verify, history_written
    from tsunagu.consultations.models import ConsultationTopic

    lines = [PERSON_HEADER, *PERSONS[1:]]
    report = import_run(
        user=counselor, kind="persons", text="\n".join(lines) + "\n", channel=AccessLog.Channel.CLI
    )
    assert report.ok and report.created == 3
    report = import_run(
        user=counselor,
        kind="consultations",
        text="\n".join(CONSULTATIONS) + "\n",
        channel=AccessLog.Channel.CLI,
    )
    assert report.ok and report.created == 3
    # the same records through simple_history's own bulk create, to compare with
    twin = Person(organization=counselor.organization, created_by=counselor, family_name="比較")
    simple_bulk(
        [twin],
        Person,
        default_user=counselor,
        custom_historical_attrs={"history_channel": "cli"},
    )
    reference = Person.history.get(id=twin.pk)
    history_written(type(reference), [reference.pk])  # simple_history's own does not chain
    about_the_change = [
        f.attname
        for f in type(reference)._meta.concrete_fields
        if f.attname.startswith("history_") and f.attname not in ("history_id", "history_date")
    ]
    assert about_the_change  # type, user, change reason, channel
    for model in (Person, Consultation):
        records = model.dangerously_unscoped.exclude(pk=twin.pk)
        assert records.count() == 3
        for record in records:
            rows = list(model.history.filter(id=record.pk))
            assert len(rows) == 1
            for f in model._meta.concrete_fields:
                assert getattr(rows[0], f.attname) == getattr(record, f.attname), f.attname
            for name in about_the_change:
                assert getattr(rows[0], name) == getattr(reference, name), name
        logged = AccessLog.objects.filter(
            action=AccessLog.Action.IMPORT, object_type=model._meta.label_lower
        )
        assert sorted(logged.values_list("object_id", flat=True)) == sorted(
            str(pk) for pk in records.values_list("pk", flat=True)
        )
    assert ConsultationTopic.dangerously_unscoped.count() == 7
    assert history_verify() is None
    assert chain_verify() is None
