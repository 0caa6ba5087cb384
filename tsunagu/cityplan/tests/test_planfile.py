"""Reading and loading plan files: every bad input names file, line and field; nothing is
half-loaded; loading twice changes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from conftest import SAMPLE_PLAN
from tsunagu.cityplan.models import Indicator, IndicatorValue, Program
from tsunagu.cityplan.planfile import PlanFileError, read_plan_file
from tsunagu.cityplan.services import plan_load
from tsunagu.meetings.models import MeetingBody
from tsunagu.organizations.models import Municipality, Organization


def broken(tmp_path: Path, old: str, new: str) -> Path:
    text = SAMPLE_PLAN.read_text(encoding="utf-8")
    assert old in text, old
    path = tmp_path / "broken.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def line_of(path: Path, fragment: str) -> int:
    """The line of the last occurrence (a duplicate is reported where it repeats)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    found = [n for n, line in enumerate(lines, start=1) if fragment.strip("\n") in line]
    assert found, fragment
    return found[-1]


@pytest.mark.parametrize(
    ("old", "new", "field", "marker", "message"),
    [
        (
            "    kind: agency",
            "    kind: agncy",
            "organizations[1].kind",
            "kind: agncy",
            "使えない値",
        ),
        (
            "  - code: hokatsu-kita\n",
            "  - code: chiiki-fukushi-ka\n",
            "organizations[1].code",
            "  - code: chiiki-fukushi-ka\n",
            "重複",
        ),
        (
            "targets: {2026: 2000, 2027: 2100}",
            "targets: {2025: 2000}",
            "indicators[0].targets[2025]",
            "targets: {2025",
            "計画期間",
        ),
        ("    clause: 第5号", "    clause: 第7号", "programs[1].clause", "第7号", "根拠条項"),
        (
            "      2024: 2250",
            "      2024: 多い",
            "indicators[0].actuals",
            "actuals:",
            "数値ではありません",
        ),
        (
            "    departments: [chiiki-fukushi-ka]\n    address",
            "    departments: [chiiki-fukushi-ka, hokatsu-kita]\n    address",
            "organizations[1].departments[1]",
            "departments: [chiiki-fukushi-ka, hokatsu-kita]",
            "庁内課",
        ),
        (
            "    departments: [chiiki-fukushi-ka]\n    address",
            "    departments: [chiiki-fukushi-ka, chiiki-fukushi-ka]\n    address",
            "organizations[1].departments",
            "departments: [chiiki-fukushi-ka, chiiki-fukushi-ka]",
            "二度",
        ),
        ("    unit: 件", "    unt: 件", "indicators[0].unt", "unt:", "この項目はありません"),
        ('  code: "999997"', '  code: "999998"', "municipality.code", 'code: "999998"', "検査数字"),
        (
            "    members: [chiiki-fukushi-ka, hokatsu-kita, jiritsu-soudan]",
            "    members: [chiiki-fukushi-ka, nowhere, jiritsu-soudan]",
            "meeting_bodies[0].members[1]",
            "nowhere",
            "組織コード",
        ),
    ],
)
def test_bad_input_names_file_line_and_field(
    tmp_path: Path, old: str, new: str, field: str, marker: str, message: str
) -> None:
    path = broken(tmp_path, old, new)
    with pytest.raises(PlanFileError) as caught:
        read_plan_file(path)
    err = caught.value
    assert err.path == path
    assert err.field == field
    assert err.line == line_of(path, marker)
    assert message in err.message
    assert f"{path}:{err.line}: {field}: " in str(err)


def test_yaml_syntax_error_has_a_line(tmp_path: Path) -> None:
    path = broken(tmp_path, "  name: 南市\n", "  name: [南市\n")
    with pytest.raises(PlanFileError, match="YAMLとして読めません") as caught:
        read_plan_file(path)
    assert caught.value.line is not None


def test_duplicate_key_is_refused(tmp_path: Path) -> None:
    path = broken(tmp_path, "  name: 南市\n", "  name: 南市\n  name: 西市\n")
    with pytest.raises(PlanFileError, match="2回") as caught:
        read_plan_file(path)
    assert caught.value.field == "municipality.name"


def test_missing_and_empty_files(tmp_path: Path) -> None:
    with pytest.raises(PlanFileError, match="ファイルがありません"):
        read_plan_file(tmp_path / "nope.yaml")
    empty = tmp_path / "empty.yaml"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(PlanFileError, match="空"):
        read_plan_file(empty)
    sjis = tmp_path / "sjis.yaml"
    sjis.write_bytes("name: 南市".encode("cp932"))
    with pytest.raises(PlanFileError, match="UTF-8"):
        read_plan_file(sjis)


@pytest.mark.django_db
def test_loading_twice_changes_nothing() -> None:
    plan = read_plan_file(SAMPLE_PLAN)
    first = plan_load(plan=plan)
    snapshot = (
        list(Organization.objects.values().order_by("pk")),
        list(Program.objects.values().order_by("pk")),
        list(MeetingBody.objects.values().order_by("pk")),
        sorted(
            IndicatorValue.objects.values_list("indicator__code", "fiscal_year", "kind", "value")
        ),
    )
    history = Organization.history.count()
    second = plan_load(plan=plan)
    assert first.municipality.pk == second.municipality.pk
    assert Organization.history.count() == history  # no change, no history row
    assert snapshot == (
        list(Organization.objects.values().order_by("pk")),
        list(Program.objects.values().order_by("pk")),
        list(MeetingBody.objects.values().order_by("pk")),
        sorted(
            IndicatorValue.objects.values_list("indicator__code", "fiscal_year", "kind", "value")
        ),
    )


@pytest.mark.django_db
def test_a_bad_file_leaves_the_database_as_it_was(tmp_path: Path) -> None:
    call_command("load_plan", str(SAMPLE_PLAN))
    before = IndicatorValue.objects.count(), Organization.objects.count()
    path = broken(tmp_path, "      2024: 2250", "      2024: 多い")
    with pytest.raises(CommandError, match=r"broken\.yaml:\d+: indicators\[0\]\.actuals"):
        call_command("load_plan", str(path))
    assert (IndicatorValue.objects.count(), Organization.objects.count()) == before


@pytest.mark.django_db
def test_a_failure_while_writing_rolls_everything_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def explode(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(IndicatorValue.objects, "bulk_create", explode)
    with pytest.raises(RuntimeError):
        plan_load(plan=read_plan_file(SAMPLE_PLAN))
    assert not Municipality.objects.exists()
    assert not Organization.objects.exists()


@pytest.mark.django_db
def test_removed_entries_are_ended_not_deleted(tmp_path: Path) -> None:
    plan_load(plan=read_plan_file(SAMPLE_PLAN))
    text = SAMPLE_PLAN.read_text(encoding="utf-8")
    start = text.index("  - code: takikan\n")
    end = text.index("meeting_bodies:")
    trimmed = text[:start] + "\n" + text[end:]
    trimmed = trimmed.replace("    program: takikan\n", "")
    # and an organization nobody works at any more
    start = trimmed.index("  - code: shogai-soudan\n")
    trimmed = trimmed[:start] + trimmed[trimmed.index("programs:") :]
    path = tmp_path / "trimmed.yaml"
    path.write_text(trimmed, encoding="utf-8")
    plan_load(plan=read_plan_file(path))  # the same version, corrected
    assert Program.objects.get(code="takikan").is_active is False
    assert Indicator.objects.get(code="takikan-rate").program is None
    assert Program.objects.get(code="hokatsu").is_active is True
    ended = Organization.objects.get(code="shogai-soudan")
    assert ended.is_active is False
    last = ended.history.first()  # the ending is a row of its history
    assert last is not None and last.is_active is False


@pytest.mark.django_db
def test_unknown_city_is_a_clear_error() -> None:
    with pytest.raises(CommandError, match="市 'kyoto' のデータはありません"):
        call_command("load_plan", "kyoto")


@pytest.mark.django_db
def test_municipality_code_taken_by_another_city(tmp_path: Path) -> None:
    plan_load(plan=read_plan_file(SAMPLE_PLAN))
    path = broken(tmp_path, "  slug: minami", "  slug: nishi")
    with pytest.raises(CommandError, match="999997"):
        call_command("load_plan", str(path))


@pytest.mark.parametrize(
    ("old", "new", "field", "marker", "message"),
    [
        (
            "    kind: confidential_support_meeting\n",
            "    kind: confidential_support_meeting\n    requires_consent: true\n",
            "meeting_bodies[0].requires_consent",
            "requires_consent: true",
            "本人同意を根拠にしません",
        ),
        (
            "    kind: confidential_support_meeting\n",
            "    kind: confidential_support_meeting\n    confidentiality_duty: false\n",
            "meeting_bodies[0].confidentiality_duty",
            "confidentiality_duty: false",
            "守秘義務があります",
        ),
        (
            "    kind: case_conference\n",
            "    kind: case_conference\n    discusses_individuals: false\n",
            "meeting_bodies[1].requires_consent",
            "  - code: jusoteki-shien-kaigi",
            "本人同意は要りません",
        ),
        (
            "    kind: case_conference\n",
            "    kind: platform\n    discusses_individuals: true\n",
            "meeting_bodies[1].discusses_individuals",
            "discusses_individuals: true",
            "個人の事例を扱わない会議体",
        ),
        (
            "    kind: case_conference\n",
            "    kind: case_conference\n    second_kind: confidential_support_meeting\n",
            "meeting_bodies[1].second_kind",
            "second_kind: confidential_support_meeting",
            "kind に",
        ),
        (
            "    kind: case_conference\n",
            "    kind: case_conference\n    second_kind: case_conference\n",
            "meeting_bodies[1].second_kind",
            "second_kind: case_conference",
            "kind と同じ",
        ),
    ],
)
def test_contradictory_legal_flags_name_file_line_and_field(
    tmp_path: Path, old: str, new: str, field: str, marker: str, message: str
) -> None:
    path = broken(tmp_path, old, new)
    with pytest.raises(PlanFileError) as caught:
        read_plan_file(path)
    err = caught.value
    assert (err.field, err.line) == (field, line_of(path, marker))
    assert message in err.message


@pytest.mark.parametrize(
    ("old", "new", "field", "message"),
    [
        # a milestone outside the plan period (2026–2027)
        (
            "    name: 多機関協働事業\n",
            "    name: 多機関協働事業\n    milestones:\n      - {year: 2028, stage: 実施}\n",
            "programs[1].milestones[0].year",
            "計画期間",
        ),
        (
            "    name: 多機関協働事業\n",
            "    name: 多機関協働事業\n    milestones:\n      - {year: 2027, stage: 完成}\n",
            "programs[1].milestones[0].stage",
            "使えない値",
        ),
        # a cross-field window is not a clause of 第106条の4
        (
            "    clause: 第5号\n",
            "    clause: 第5号\n    category: cross_field_window\n",
            "programs[1].clause",
            "根拠条項を書きません",
        ),
        # a centre grouped under an organization the file does not have (another city's)
        (
            "    operator: (福)南福祉会\n",
            "    operator: (福)南福祉会\n    group: soudan\n",
            "organizations[1].group",
            "組織コード 'soudan' がありません",
        ),
        (
            "    areas: [kita]\n",
            "    areas: [kita]\n    site_count: 3\n",
            "organizations[1].site_count",
            "設置数のみ記載",
        ),
    ],
)
def test_programs_and_sites_bad_input(
    tmp_path: Path, old: str, new: str, field: str, message: str
) -> None:
    path = broken(tmp_path, old, new)
    with pytest.raises(PlanFileError) as caught:
        read_plan_file(path)
    assert caught.value.field == field
    assert caught.value.line is not None
    assert message in caught.value.message


@pytest.mark.django_db
def test_a_program_with_figures_cannot_be_deleted() -> None:
    from django.db.models import RestrictedError

    plan_load(plan=read_plan_file(SAMPLE_PLAN))
    with pytest.raises(RestrictedError):
        Program.objects.get(code="takikan").delete()  # a version's targets point at it
    assert Indicator.objects.filter(code="takikan-rate").exists()
