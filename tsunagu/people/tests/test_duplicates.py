"""名寄せ in the database: proposed pairs, decisions that are logged and undoable, pairs marked
"not the same person" never proposed again, and the find-duplicates export."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from conftest import client_for, make_user
from tsunagu.access.models import AccessLog
from tsunagu.accounts.models import Role, User
from tsunagu.core.tests.downloads import ARCHIVE_PASSWORD, download_text, pairs_read
from tsunagu.people import matching
from tsunagu.people.models import Person, PersonKey, PersonLink
from tsunagu.people.selectors import duplicate_pairs, person_search
from tsunagu.people.services import PersonData, person_create, person_update


@pytest.fixture
def archive_key(settings: Any) -> None:
    """Exports under the city's configured key, so the test can open them."""
    settings.EXPORT_ARCHIVE_PASSWORD = ARCHIVE_PASSWORD


def make(user: User, **fields: object) -> Person:
    data = PersonData(**fields)  # type: ignore[arg-type]
    return person_create(user=user, data=data)


@pytest.fixture
def variants(counselor: User) -> tuple[Person, Person, Person]:
    a = make(
        counselor,
        family_name="渡邊",
        given_name="聡子",
        family_name_kana="わたなべ",
        given_name_kana="さとこ",
        birth_date=dt.date(1951, 7, 7),
        phone="0766-55-1234",
        address="北町三丁目4番5号",
        external_id="A-1",
    )
    b = make(
        counselor,
        family_name="渡辺",
        given_name="聡子",
        family_name_kana="ﾜﾀﾅﾍﾞ",
        given_name_kana="ｻﾄｺ",
        birth_date=dt.date(1951, 7, 7),
        phone="0766551234",
        address="北町3-4-5",
        external_id="B-7",
    )
    twin = make(
        counselor,
        family_name="渡辺",
        given_name="智子",
        family_name_kana="わたなべ",
        given_name_kana="ともこ",
        birth_date=dt.date(1951, 7, 7),
        phone="0766551234",
        address="北町3-4-5",
    )
    return a, b, twin


def test_variants_are_proposed_and_a_twin_is_not(variants: tuple[Person, Person, Person]) -> None:
    a, b, twin = variants
    pairs = duplicate_pairs(persons=Person.dangerously_unscoped.all())
    found = {frozenset((x.pk, y.pk)) for x, y, _ in pairs}
    assert frozenset((a.pk, b.pk)) in found
    assert frozenset((a.pk, twin.pk)) not in found and frozenset((b.pk, twin.pk)) not in found
    reasons = next(m.reasons for x, y, m in pairs if {x.pk, y.pk} == {a.pk, b.pk})
    assert any("生年月日" in r for r in reasons)


def test_keys_follow_the_record(counselor: User, variants: tuple[Person, Person, Person]) -> None:
    a = variants[0]
    before = set(PersonKey.dangerously_unscoped.filter(person=a).values_list("key", flat=True))
    person_update(
        user=counselor,
        person=a,
        data=PersonData(
            family_name="佐藤",
            given_name="聡子",
            family_name_kana="さとう",
            given_name_kana="さとこ",
            birth_date=dt.date(1951, 7, 7),
            former_family_names=["渡邊"],
        ),
    )
    after = set(PersonKey.dangerously_unscoped.filter(person=a).values_list("key", flat=True))
    assert before != after and after


def test_decide_undo_and_not_proposed_again(
    counselor: User, variants: tuple[Person, Person, Person]
) -> None:
    a, b, _ = variants
    client = client_for(counselor)
    page = client.get("/people/duplicates/").content.decode()
    assert "渡邊 聡子" in page and "渡辺 聡子" in page

    client.post("/people/duplicates/decide/", {"a": a.pk, "b": b.pk, "kind": "same_person"})
    link = PersonLink.dangerously_unscoped.get()
    assert link.kind == "same_person" and link.created_by == counselor
    assert Person.dangerously_unscoped.filter(pk__in=[a.pk, b.pk]).count() == 2  # nothing destroyed
    assert AccessLog.objects.filter(action="link", person=a).exists()
    assert "結びつけを取り消す" in client.get(f"/people/{a.pk}/").content.decode()
    assert (
        "渡邊 聡子</a>"
        not in client.get("/people/duplicates/").content.decode().split("これまでの判断")[0]
    )

    client.post(f"/people/duplicates/{link.pk}/undo/")
    link.refresh_from_db()
    assert link.undone_at is not None and link.undone_by == counselor
    assert (
        "渡邊 聡子" in client.get("/people/duplicates/").content.decode().split("これまでの判断")[0]
    )

    client.post("/people/duplicates/decide/", {"a": b.pk, "b": a.pk, "kind": "not_same_person"})
    assert (
        PersonLink.dangerously_unscoped.filter(
            kind="not_same_person", undone_at__isnull=True
        ).count()
        == 1
    )
    assert not any(
        {x.pk, y.pk} == {a.pk, b.pk}
        for x, y, _ in duplicate_pairs(persons=Person.dangerously_unscoped.all())
    )


def test_duplicates_pages_are_for_the_holding_organization(
    counselor: User, third: User, variants: tuple[Person, Person, Person]
) -> None:
    a, b, _ = variants
    other = client_for(third)
    assert "渡邊" not in other.get("/people/duplicates/").content.decode()
    assert (
        other.post(
            "/people/duplicates/decide/", {"a": a.pk, "b": b.pk, "kind": "same_person"}
        ).status_code
        == 404
    )
    client_for(counselor).post(
        "/people/duplicates/decide/", {"a": a.pk, "b": b.pk, "kind": "same_person"}
    )
    link = PersonLink.dangerously_unscoped.get()
    assert other.post(f"/people/duplicates/{link.pk}/undo/").status_code == 404
    assert client_for(None).get("/people/duplicates/").status_code == 302


def test_bad_decisions_are_refused(
    counselor: User, variants: tuple[Person, Person, Person]
) -> None:
    a, b, _ = variants
    client = client_for(counselor)
    assert (
        client.post(
            "/people/duplicates/decide/", {"a": "x", "b": b.pk, "kind": "same_person"}
        ).status_code
        == 404
    )
    client.post("/people/duplicates/decide/", {"a": a.pk, "b": b.pk, "kind": "maybe"})
    assert not PersonLink.dangerously_unscoped.exists()


@pytest.mark.usefixtures("archive_key")
def test_find_duplicates_writes_external_ids_scores_and_reasons(
    tmp_path: Path, variants: tuple[Person, Person, Person]
) -> None:
    out = tmp_path / "pairs.zip"
    call_command("find_duplicates", output=str(out), city="minami", stderr=StringIO())
    rows = pairs_read(out)
    assert [(r["external_id_a"], r["external_id_b"]) for r in rows] == [("A-1", "B-7")]
    assert 0 < float(rows[0]["score"]) <= 1 and rows[0]["reasons"]
    with pytest.raises(CommandError, match="読み込まれていません"):
        call_command("find_duplicates", output=str(out), city="nowhere")
    with pytest.raises(CommandError, match="threshold"):
        call_command("find_duplicates", output=str(out), threshold=1.5)
    with pytest.raises(CommandError, match="フォルダ"):
        call_command("find_duplicates", output=str(tmp_path / "no" / "pairs.zip"))


@pytest.mark.parametrize("output", ["pairs.csv", "pairs", "-"])
def test_find_duplicates_refuses_a_clear_text_output(
    tmp_path: Path, variants: tuple[Person, Person, Person], output: str
) -> None:
    """Personal data leaves only encrypted: a CSV or stdout is refused before anything is read
    or logged, pointing to the .zip."""
    target = output if output == "-" else str(tmp_path / output)
    stdout = StringIO()
    with pytest.raises(CommandError, match=r"暗号化 ZIP にだけ.*--output .*\.zip"):
        call_command("find_duplicates", output=target, stdout=stdout)
    assert stdout.getvalue() == "" and list(tmp_path.iterdir()) == []
    assert not AccessLog.objects.filter(action=AccessLog.Action.EXPORT).exists()


def test_find_duplicates_logs_every_person_it_writes_out(
    tmp_path: Path, variants: tuple[Person, Person, Person], admin_user: User, counselor: User
) -> None:
    a, b, _ = variants
    out = tmp_path / "pairs.zip"
    call_command("find_duplicates", output=str(out), city="minami", stderr=StringIO())
    logged = AccessLog.objects.filter(action=AccessLog.Action.EXPORT, channel="cli")
    assert sorted(logged.values_list("person_id", flat=True)) == sorted([a.pk, b.pk])
    assert all(e.user is None and e.operator and e.via == "role" for e in logged)

    call_command("find_duplicates", output=str(out), user=admin_user.username, stderr=StringIO())
    by_admin = logged.filter(user=admin_user)
    assert by_admin.count() == 2
    assert {e.organization_id for e in by_admin} == {admin_user.organization_id}
    with pytest.raises(CommandError, match="システム管理者ではありません"):
        call_command("find_duplicates", output=str(out), user=counselor.username)
    with pytest.raises(CommandError, match="いないか"):
        call_command("find_duplicates", output=str(out), user="nobody")
    assert logged.all().count() == 4  # a refused run logs nothing

    # the holding organization's manager sees the command's reads on the person's log page
    holder_manager = make_user(a.organization.municipality, "hokatsu-kita", Role.MANAGER, "m2")
    page = client_for(holder_manager).get(f"/people/{a.pk}/access-log/")
    assert "（コマンド）" in page.content.decode()
    export = client_for(holder_manager).get(f"/people/{a.pk}/access-log/?format=csv")
    assert "（コマンド）" in download_text(export)


def test_an_access_log_row_must_name_who(db: None) -> None:
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        AccessLog.objects.create(action="view", object_type="people.person", via="role")


@pytest.mark.usefixtures("archive_key")
def test_find_duplicates_writes_tiers_and_neutralises_formulas(
    tmp_path: Path, counselor: User, variants: tuple[Person, Person, Person]
) -> None:
    a = variants[0]
    make(  # the same person with an era-shifted birth date: for review
        counselor,
        family_name="渡辺",
        given_name="聡子",
        family_name_kana="わたなべ",
        given_name_kana="さとこ",
        birth_date=dt.date(1951 + 63, 7, 7),
        external_id="=cmd|' /C calc'!A0",
    )
    out = tmp_path / "pairs.zip"
    call_command("find_duplicates", output=str(out), city="minami", stderr=StringIO())
    rows = pairs_read(out)
    tiers = [r["tier"] for r in rows]
    assert "同一人物の可能性が高い" in tiers and "要確認" in tiers
    assert tiers.index("要確認") > tiers.index("同一人物の可能性が高い")
    review = [r for r in rows if r["tier"] == "要確認"]
    assert any("昭和と平成の取り違え" in r["reasons"] for r in review)
    assert all(not r[c].startswith("=") for r in rows for c in r)
    assert any(
        r["external_id_b"].startswith("'=") or r["external_id_a"].startswith("'=") for r in review
    )
    call_command(
        "find_duplicates", output=str(out), city="minami", tier="likely", stderr=StringIO()
    )
    rows = pairs_read(out)
    assert {r["tier"] for r in rows} == {"同一人物の可能性が高い"}
    assert a.external_id in {r["external_id_a"] for r in rows} | {r["external_id_b"] for r in rows}


def test_duplicates_page_shows_both_tiers(
    counselor: User, variants: tuple[Person, Person, Person]
) -> None:
    make(
        counselor,
        family_name="渡辺",
        given_name="聡子",
        family_name_kana="わたなべ",
        given_name_kana="さとこ",
        birth_date=dt.date(1951, 7, 17),
    )
    page = client_for(counselor).get("/people/duplicates/").content.decode()
    assert "同一人物の可能性が高い" in page and "要確認" in page
    assert "生年月日の数字が1字違い（誤記の可能性）" in page


def test_intake_search_ranks_the_variants_in_the_top_five_with_reasons(
    counselor: User, variants: tuple[Person, Person, Person]
) -> None:
    era = make(  # 昭和↔平成: the same person with the year 63 off
        counselor,
        family_name="渡辺",
        given_name="聡子",
        birth_date=dt.date(1951 + 63, 7, 7),
    )
    swapped = make(counselor, family_name="聡子", given_name="渡辺", birth_date=dt.date(1951, 7, 7))
    for name in ("渡邊　聡子", "聡子 渡辺", "わたなべ さとこ"):
        result = person_search(
            user=counselor,
            query=name,
            birth_date=dt.date(1951, 7, 7),
            channel=AccessLog.Channel.WEB,
        )
        top = {h.access.person.pk: h.match for h in result.hits[:5]}
        assert variants[0].pk in top and variants[1].pk in top, name
        assert swapped.pk in top
        written_as_typed = name == "聡子 渡辺"
        assert ("姓と名が入れ替わっている可能性" in top[swapped.pk].reasons) != written_as_typed
        assert era.pk in top, name
        assert any("昭和と平成の取り違え" in r for r in top[era.pk].reasons)


@pytest.mark.parametrize(
    ("q", "birth"),
    [
        ("〓", ""),
        ("🙂🙂", "1800-01-01"),
        ("山" * 200, ""),
        ("NGUYEN VAN ANH", "1951-07-07"),
        ("？橋　聡子", "1951-07-07"),
        ("", "1951-07-07"),
    ],
)
def test_search_page_takes_odd_input_without_error(
    counselor: User, variants: tuple[Person, Person, Person], q: str, birth: str
) -> None:
    response = client_for(counselor).get("/people/", {"q": q, "birth_date": birth})
    assert response.status_code == 200


def test_search_ranks_the_candidates_sharing_most_keys_when_there_are_too_many(
    counselor: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    # namesakes written first (lower ids), the person sought last: with room for only three
    # candidates, a cut by id would drop the one whose birth date also matches
    for year in (1940, 1941, 1942, 1943):
        make(counselor, family_name="佐藤", given_name="和子", birth_date=dt.date(year, 1, 1))
    sought = make(counselor, family_name="佐藤", given_name="和子", birth_date=dt.date(1950, 5, 5))
    monkeypatch.setattr("tsunagu.people.selectors.RANKED_CANDIDATES", 3)
    result = person_search(
        user=counselor,
        query="佐藤 和子",
        birth_date=dt.date(1950, 5, 5),
        channel=AccessLog.Channel.WEB,
    )
    assert result.hits[0].access.person.pk == sought.pk
    assert len(result.hits) == 3


def test_namesakes_are_compared_only_with_a_second_fact(
    counselor: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A full name alone makes no candidate pair: a namesake born in another year on another
    day is never compared; one born in the same year (a slip in the day) is, and is proposed."""
    name = {
        "family_name": "高橋",
        "given_name": "花子",
        "family_name_kana": "タカハシ",
        "given_name_kana": "ハナコ",
    }
    first = make(counselor, **name, birth_date=dt.date(1978, 6, 14), phone="090-1234-5678")
    namesake = make(counselor, **name, birth_date=dt.date(1952, 11, 3), phone="0466-77-8899")
    slip = make(counselor, **name, birth_date=dt.date(1978, 6, 17))
    compared: set[frozenset[dt.date | None]] = set()
    pair_match = matching.pair_match

    def recorded(a: matching.Prepared, b: matching.Prepared, *args: Any) -> matching.Match | None:
        compared.add(frozenset((a.birth, b.birth)))
        return pair_match(a, b, *args)

    monkeypatch.setattr(matching, "pair_match", recorded)
    pairs = duplicate_pairs(persons=Person.dangerously_unscoped.all())
    assert compared == {frozenset((first.birth_date, slip.birth_date))}
    assert [(a.pk, b.pk, m.tier) for a, b, m in pairs] == [(first.pk, slip.pk, "review")]
    assert namesake.pk not in {p.pk for a, b, _ in pairs for p in (a, b)}


def test_namesakes_of_one_year_born_on_unrelated_days_are_never_compared(
    counselor: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One name and birth year (one `ny:` block): a namesake born on an unrelated day with no
    contact in common is passed over by the birth-date marks before any comparison; a slip in
    the day is compared and proposed; a pair two slips apart sharing a phone is compared and
    proposed for review."""
    name = {
        "family_name": "高橋",
        "given_name": "花子",
        "family_name_kana": "タカハシ",
        "given_name_kana": "ハナコ",
    }
    first = make(counselor, **name, birth_date=dt.date(1960, 3, 4), phone="090-1234-5678")
    unrelated = make(counselor, **name, birth_date=dt.date(1960, 7, 21))
    slip = make(counselor, **name, birth_date=dt.date(1960, 3, 14))
    two_slips = make(counselor, **name, birth_date=dt.date(1961, 3, 14), phone="09012345678")
    compared: set[frozenset[dt.date | None]] = set()
    pair_match = matching.pair_match

    def recorded(a: matching.Prepared, b: matching.Prepared, *args: Any) -> matching.Match | None:
        compared.add(frozenset((a.birth, b.birth)))
        return pair_match(a, b, *args)

    monkeypatch.setattr(matching, "pair_match", recorded)
    pairs = duplicate_pairs(persons=Person.dangerously_unscoped.all())
    assert not any(unrelated.birth_date in c for c in compared)
    found = {frozenset((a.pk, b.pk)): m.tier for a, b, m in pairs}
    assert found[frozenset((first.pk, slip.pk))] == "review"
    assert found[frozenset((first.pk, two_slips.pk))] == "review"
    assert unrelated.pk not in {pk for pair in found for pk in pair}


def test_a_name_one_slip_away_or_with_a_gaiji_is_found_without_keys_stored_for_it(
    counselor: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The names one slip from the typed one are worked out when searching (none is stored):
    a kana left out, put in, changed or two swapped; a 外字 written as 〓 on either side."""
    hanako = make(
        counselor,
        family_name="高橋",
        given_name="花子",
        family_name_kana="たかはし",
        given_name_kana="はなこ",
        birth_date=dt.date(1950, 3, 4),
    )
    gaiji = make(counselor, family_name="〓橋", given_name="桃子", birth_date=dt.date(1960, 1, 2))
    stored = set(PersonKey.dangerously_unscoped.values_list("key", flat=True))
    assert not any(k.startswith("nd:") for k in stored)
    # of the 外字 keys, only the name with its first character as 〓
    assert {k for k in stored if k.startswith("w:")} == {"w:〓橋花子", "w:〓橋桃子"}

    def found(query: str) -> set[int]:
        result = person_search(user=counselor, query=query, channel=AccessLog.Channel.WEB)
        return {h.access.person.pk for h in result.hits}

    slips = ["たかはしはなえ", "たかはしはな", "たかはしはなかこ", "たかはしなはこ"]
    slips.append("たかはし はなえ")
    for slip in slips:
        assert hanako.pk in found(slip), slip
    assert hanako.pk not in found("たかはしはなえみ")  # two slips
    assert gaiji.pk in found("高橋 桃子")  # the stored name has the 外字
    assert hanako.pk in found("高？花子")  # the typed name has it
    assert hanako.pk not in found("高？桃子")
    # a namesake of the typed reading ranks before a name one slip from it when the search
    # has room for few candidates
    exact = [
        make(counselor, family_name_kana="たかはし", given_name_kana="はなえ") for _ in range(2)
    ]
    monkeypatch.setattr("tsunagu.people.selectors.RANKED_CANDIDATES", 2)
    assert found("たかはしはなえ") == {p.pk for p in exact}
