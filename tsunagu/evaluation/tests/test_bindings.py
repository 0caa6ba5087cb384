"""Bindings in the plan file: checked at load, with the file's line and a Japanese message."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import SAMPLE_PLAN
from tsunagu.cityplan.models import Indicator
from tsunagu.cityplan.planfile import PlanFileError, read_plan_file
from tsunagu.cityplan.services import plan_load

ANCHOR = "    organization: hokatsu-kita\n    targets: {2026: 2000, 2027: 2100}\n"


def bound(tmp_path: Path, binding: str) -> Path:
    text = SAMPLE_PLAN.read_text(encoding="utf-8")
    assert ANCHOR in text
    path = tmp_path / "bound.yaml"
    path.write_text(text.replace(ANCHOR, ANCHOR + binding, 1), encoding="utf-8")
    return path


def line_of(path: Path, fragment: str) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(n for n, line in enumerate(lines, start=1) if fragment in line)


@pytest.mark.parametrize(
    ("binding", "marker", "field", "message"),
    [
        (
            "    computed: {computation: consultations-neww}\n",
            "consultations-neww",
            "indicators[0].computed.computation",
            "計算 'consultations-neww' はありません",
        ),
        (
            "    computed:\n      computation: consultations-new\n      filters: {kind: care}\n",
            "filters:",
            "indicators[0].computed.filters.kind",
            "絞り込み 'kind' はありません（使えるもの: organization・site・topic）",
        ),
        (
            "    computed:\n      computation: consultations-total\n"
            "      filters: {topic: kaigo}\n",
            "filters:",
            "indicators[0].computed.filters.topic",
            "相談の内容の値 'kaigo' は使えません（health・housing・",
        ),
        (
            "    computed:\n      computation: consultations-persons\n"
            "      filters: {topic: 介護}\n",
            "filters:",
            "indicators[0].computed.filters.topic",
            "相談の内容の値 '介護' は使えません",
        ),
        (
            "    computed:\n      computation: consultations-new\n"
            "      filters: {organization: nowhere}\n",
            "filters:",
            "indicators[0].computed.filters.organization",
            "組織コード 'nowhere' がありません",
        ),
        (
            "    computed:\n      computation: plans-new\n      filters: {kind: dance}\n",
            "filters:",
            "indicators[0].computed.filters.kind",
            "プランの種別の値 'dance' は使えません",
        ),
        (
            "    computed:\n      computation: meetings-held\n      filters: {body: nobody}\n",
            "filters:",
            "indicators[0].computed.filters.body",
            "会議体コード 'nobody' がありません",
        ),
        (
            "    computed:\n      computation: consultations-new\n      filters: {site: honsho}\n",
            "filters:",
            "indicators[0].computed.filters.site",
            "拠点で絞り込むには organization も書きます",
        ),
        (
            "    manual: true\n    computed: {computation: consultations-new}\n",
            "manual: true",
            "indicators[0].manual",
            "同時に書けません",
        ),
        (
            "    computed: {computation: consultations-new, filter: {}}\n",
            "computed:",
            "indicators[0].computed.filter",
            "この項目はありません",
        ),
    ],
)
def test_a_bad_binding_names_line_field_and_problem(
    tmp_path: Path, binding: str, marker: str, field: str, message: str
) -> None:
    path = bound(tmp_path, binding)
    with pytest.raises(PlanFileError) as caught:
        read_plan_file(path)
    error = caught.value
    assert error.field == field
    assert message in error.message
    assert error.line is not None
    assert abs(error.line - line_of(path, marker)) <= 1
    assert str(error).startswith(f"{path}:{error.line}: ")


@pytest.mark.django_db
def test_a_binding_is_loaded_with_the_indicator(tmp_path: Path) -> None:
    path = bound(
        tmp_path,
        "    computed:\n      computation: consultations-new\n"
        "      filters: {organization: hokatsu-kita}\n",
    )
    plan_load(plan=read_plan_file(path))
    indicator = Indicator.objects.get(code="hokatsu-kita-new")
    assert indicator.computation == "consultations-new"
    assert indicator.filters == {"organization": "hokatsu-kita"}
    assert Indicator.objects.get(code="takikan-rate").computation == ""


@pytest.mark.django_db
def test_a_topic_binding_is_loaded(tmp_path: Path) -> None:
    path = bound(
        tmp_path,
        "    computed:\n      computation: consultations-new\n"
        "      filters: {organization: hokatsu-kita, topic: hikikomori}\n",
    )
    plan_load(plan=read_plan_file(path))
    indicator = Indicator.objects.get(code="hokatsu-kita-new")
    assert indicator.filters == {"organization": "hokatsu-kita", "topic": "hikikomori"}


@pytest.mark.parametrize("city", ["ise", "imizu", "inzai", "sanda", "toyokawa"])
def test_the_seed_cities_bind_their_indicators(city: str) -> None:
    from tsunagu.cityplan.planfile import plan_file_path

    plan = read_plan_file(plan_file_path(city))
    for indicator in plan.indicators:
        # every indicator says how its actual is found
        assert indicator.manual != (indicator.computed is not None), indicator.code
