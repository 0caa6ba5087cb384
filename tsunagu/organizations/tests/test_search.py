"""The directory search and area routing fold text with core.text."""

from __future__ import annotations

from pathlib import Path

import pytest

from tsunagu.cityplan.planfile import read_plan_file
from tsunagu.cityplan.services import plan_load
from tsunagu.organizations.models import Area, Municipality, Organization
from tsunagu.organizations.selectors import areas_for_address, organization_search

DATA = Path(__file__).resolve().parents[2] / "cityplan/data"


def names(city: Municipality, query: str) -> set[str]:
    orgs = Organization.objects.filter(municipality=city)
    return {o.name for o in organization_search(organizations=orgs, query=query)}


@pytest.fixture
def imizu(db: None) -> Municipality:
    return plan_load(plan=read_plan_file(DATA / "imizu.yaml")).municipality


def test_search_folds_script_width_and_aliases(imizu: Municipality) -> None:
    """One plan load (about a second) for all the directory cases."""
    # ステップ finds すてっぷ
    for query in ("ステップ", "すてっぷ", "ｽﾃｯﾌﾟ", "ふくし総合相談センター　ステップ"):
        assert "ふくし総合相談センターすてっぷ" in names(imizu, query), query

    # 社協 finds 社会福祉協議会 through the aliases the plan file declares
    shakyo = Organization.objects.get(municipality=imizu, name="射水市社会福祉協議会")
    assert "社協" in shakyo.aliases
    assert "射水市社会福祉協議会" in names(imizu, "社協")
    assert "地区社会福祉協議会" in names(imizu, "地区社協")

    # every word must match; odd input never errors
    assert names(imizu, "社協 存在しない語") == set()
    for odd in ("", "　", "〓", "🙂", "x" * 300, "%", "_"):
        names(imizu, odd)  # no error
    assert names(imizu, "") == names(imizu, "  ")


def test_area_routing_folds_addresses(city: Municipality) -> None:
    kita = Area.objects.get(municipality=city, code="kita")  # 北町, 本町一丁目
    for address in (
        "架空県南市北町3-2",
        "南市本町1丁目4番地の2",
        "南市本町１－４－２",
        "本町一丁目",
        "本町1",
    ):
        assert areas_for_address(municipality=city, address=address) == [kita], address
    assert areas_for_address(municipality=city, address="南市本町2丁目1") == []
    assert areas_for_address(municipality=city, address="南市本町12番地") == []  # not 1丁目
    assert areas_for_address(municipality=city, address="") == []
