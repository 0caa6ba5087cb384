"""Each seed city loads, its overview shows every agency and meeting body of its plan, and
`plan-targets` reproduces every number of its plan.

The expected names and figures in tests/expected/<city>.json were transcribed from the plan a
second time, independently of the data file, so a typo in either shows up here.
"""

from __future__ import annotations

import json
from decimal import Decimal
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from conftest import client_for
from tsunagu.accounts.models import Role, User
from tsunagu.accounts.services import user_create
from tsunagu.cityplan.models import Program, ProgramOrganization
from tsunagu.cityplan.planfile import known_cities
from tsunagu.meetings.models import MeetingBody
from tsunagu.organizations.models import Municipality, Organization, Site

EXPECTED = Path(__file__).parent / "expected"


@pytest.mark.django_db
@pytest.mark.parametrize("city", known_cities())
def test_seed_city_loads_and_reproduces_its_plan(city: str) -> None:
    expected = json.loads((EXPECTED / f"{city}.json").read_text(encoding="utf-8"))
    call_command("load_plan", city, stdout=StringIO())
    municipality = Municipality.objects.get(slug=city)

    out = StringIO()
    call_command("plan_targets", city, format="json", stdout=out)
    rows = json.loads(out.getvalue())
    got = {
        (r["indicator"], r["organization"], r["fiscal_year"], r["kind"], Decimal(str(r["value"])))
        for r in rows
    }
    want = {
        (
            f["indicator"],
            f.get("organization", ""),
            f["fiscal_year"],
            f["kind"],
            Decimal(str(f["value"])),
        )
        for f in expected["figures"]
    }
    assert sorted(want - got) == [], "in the plan but not loaded"
    assert sorted(got - want) == [], "loaded but not in the plan"
    assert len(rows) == len(got), "a figure is listed twice"

    workplace = Organization.objects.filter(municipality=municipality).first()
    assert workplace is not None
    viewer = user_create(
        username=f"{city}-viewer", organization=workplace, roles=[Role.COUNSELOR], password=None
    )
    page = client_for(viewer).get("/plan/").content.decode()
    for name in expected["organizations"] + expected["meeting_bodies"]:
        assert name in page, f"{name} is not on the plan overview"
    _names_the_plan_gives_are_not_left_out(city, expected)


def test_every_seed_city_has_its_file() -> None:
    assert known_cities() == sorted(["imizu", "inzai", "ise", "sanda", "toyokawa"])


@pytest.mark.django_db
@pytest.mark.parametrize("city", known_cities())
def test_demo_accounts_can_be_made_for_every_seed_city(city: str) -> None:
    call_command("load_plan", city, stdout=StringIO())
    out = StringIO()
    call_command("load_demo", city, stdout=out)
    call_command("load_demo", city, stdout=StringIO())  # a second run changes nothing
    assert f"{city}-counselor" in out.getvalue()
    assert client_for(User.objects.get(username=f"{city}-manager")).get("/").status_code == 200
    # the coordinator sits where the plan puts 多機関協働事業; the liaison in a 課 that names
    # one, under the city's title
    carriers = set(
        ProgramOrganization.objects.filter(
            program__municipality__slug=city, program__clause="5"
        ).values_list("organization__code", flat=True)
    )
    assert carriers, f"{city}.yaml: 多機関協働事業 has no carrier"
    coordinator = User.objects.get(username=f"{city}-coordinator")
    assert coordinator.organization is not None
    assert coordinator.organization.code in carriers
    liaison = User.objects.get(username=f"{city}-liaison")
    assert liaison.organization is not None
    assert [a.title for a in liaison.role_assignments.all()] == [liaison.organization.liaison_title]


@pytest.mark.django_db
def test_an_agency_or_program_with_several_departments_shows_them_all() -> None:
    # 伊勢市 こども家庭センター: 直営（健康課・福祉総合支援センター）
    # and its 子育て program with three 担当課
    call_command("load_plan", "ise", stdout=StringIO())
    center = Organization.objects.get(municipality__slug="ise", code="kodomo-katei-center")
    assert sorted(d.name for d in center.departments.all()) == ["健康課", "福祉総合支援センター"]
    viewer = user_create(
        username="ise-viewer", organization=center, roles=[Role.COUNSELOR], password=None
    )
    detail = client_for(viewer).get("/organizations/kodomo-katei-center/").content.decode()
    section = detail.split("所管課", 1)[1].split("</dd>", 1)[0]
    assert "健康課" in section and "福祉総合支援センター" in section
    overview = client_for(viewer).get("/plan/").content.decode()
    assert "保育課" in overview.split("包括的相談支援事業（子育て）", 1)[1].split("担当課", 1)[1]

    call_command("load_plan", "ise", stdout=StringIO())  # a reload keeps them, not twice
    assert center.departments.count() == 2


SEEDS = Path(__file__).resolve().parents[4] / "shared" / "seeds"
SEED_OF = {"ise": "000_", "imizu": "001_", "sanda": "002_", "inzai": "003_", "toyokawa": "004_"}


def _names_the_plan_gives_are_not_left_out(city: str, expected: dict[str, Any]) -> None:
    """Omissions: each curated name of the plan (expected JSON `seed_names`, a string or
    [as the plan writes it, as the file names it]) is an organization, program, meeting body,
    site or liaison title of the loaded city."""
    loaded = {
        *Organization.objects.filter(municipality__slug=city).values_list("name", flat=True),
        *Organization.objects.filter(municipality__slug=city).values_list(
            "liaison_title", flat=True
        ),
        *Program.objects.filter(municipality__slug=city).values_list("name", flat=True),
        *MeetingBody.objects.filter(municipality__slug=city).values_list("name", flat=True),
        *Site.objects.filter(organization__municipality__slug=city).values_list("name", flat=True),
    }
    seed = next(SEEDS.glob(f"{SEED_OF[city]}*.txt"), None)
    seed_text = seed.read_text(encoding="utf-8") if seed else None
    assert expected["seed_names"], "curate at least one name"
    for entry in expected["seed_names"]:
        in_plan, name = (entry, entry) if isinstance(entry, str) else entry
        if seed_text is not None:  # the seeds live outside the repository
            assert in_plan in seed_text, f"{in_plan} is not in the plan text"
        assert name in loaded, f"{name} is in the plan but not in {city}.yaml"
