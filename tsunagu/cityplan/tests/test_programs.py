"""Programs as the plans write them: categories beside 第106条の4, 新規/既存, operations and the
roadmap shown as a timeline."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from conftest import client_for
from tsunagu.accounts.models import Role
from tsunagu.accounts.services import user_create
from tsunagu.cityplan.models import Milestone, Program, ProgramCategory
from tsunagu.organizations.models import Organization


def overview_of(city: str) -> str:
    call_command("load_plan", city, stdout=StringIO())
    viewer = user_create(
        username=f"{city}-viewer",
        organization=Organization.objects.filter(municipality__slug=city)[0],
        roles=[Role.COUNSELOR],
        password=None,
    )
    return client_for(viewer).get("/plan/").content.decode()


@pytest.mark.django_db
def test_inzai_roadmap_is_a_timeline_and_its_window_has_its_own_category() -> None:
    page = overview_of("inzai")
    window = Program.objects.get(municipality__slug="inzai", code="fukushi-sogo-sodan")
    assert (window.category, window.clause) == (ProgramCategory.CROSS_FIELD_WINDOW, "")
    assert [o.operation for o in window.operations.all()] == ["direct"]
    section = page.split('id="category-cross_field_window"', 1)[1].split("</section>", 1)[0]
    assert "福祉の総合相談窓口" in section and "直営" in section

    roadmap = page.split('id="roadmap"', 1)[1].split("</table>", 1)[0]
    header = roadmap.split("</thead>", 1)[0]
    assert [y in header for y in ("令和8年度", "令和12年度")] == [True, True]
    row = roadmap.split("社会資源マップ", 1)[1].split("</tr>", 1)[0]
    # 公開 in 令和8年度, 加除 in 令和9年度, in that order of columns
    assert row.index("公開") < row.index("加除")
    takikan = roadmap.split("多機関協働事業・支援会議・重層的支援会議", 1)[1].split("</tr>", 1)[0]
    assert takikan.index("試行") < takikan.index("実施")
    assert Milestone.objects.filter(program__code="outreach", stage="start", fiscal_year=2027)


@pytest.mark.django_db
def test_imizu_related_program_and_new_or_existing() -> None:
    page = overview_of("imizu")
    related = page.split('id="category-related"', 1)[1].split("</section>", 1)[0]
    assert "ひきこもりサポート事業" in related and "既存" in related
    takikan = Program.objects.get(municipality__slug="imizu", code="takikan")
    assert takikan.get_status_display() == "新規"
    clause_2 = page.split('id="clause-2"', 1)[1].split("</section>", 1)[0]
    assert "ひきこもりサポート事業" not in clause_2


@pytest.mark.django_db
def test_organization_page_shows_its_centres_sites_and_liaison() -> None:
    call_command("load_plan", "inzai", stdout=StringIO())
    viewer = user_create(
        username="inzai-viewer",
        organization=Organization.objects.get(municipality__slug="inzai", code="sogo-sodan"),
        roles=[Role.COUNSELOR],
        password=None,
    )
    client = client_for(viewer)
    window = client.get("/organizations/sogo-sodan/").content.decode()
    assert "市役所内" in window and "コスモスパレット内" in window
    department = client.get("/organizations/koreisha-fukushi-ka/").content.decode()
    assert "庁内連携担当" in department and "コネクター" in department
    call_command("load_plan", "ise", stdout=StringIO())
    ise_viewer = user_create(
        username="ise-viewer",
        organization=Organization.objects.get(municipality__slug="ise", code="hokatsu-higashi"),
        roles=[Role.COUNSELOR],
        password=None,
    )
    line = client_for(ise_viewer).get("/organizations/hokatsu/").content.decode()
    assert "地域包括支援センター（五十鈴）" in line
    centre = client_for(ise_viewer).get("/organizations/hokatsu-higashi/").content.decode()
    assert "計画上のまとめ" in centre
