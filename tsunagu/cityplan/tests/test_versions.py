"""Plan versions: next year's plan adds a version, keeps last year's targets and actuals, ends
what it drops, and the overview shows the difference and when a plan has ended."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.core.management import CommandError, call_command

from conftest import client_for
from tsunagu.accounts.models import Role
from tsunagu.accounts.services import user_create
from tsunagu.cityplan.models import IndicatorValue, PlanVersion, Program
from tsunagu.cityplan.planfile import plan_file_path, read_plan_file
from tsunagu.cityplan.selectors import plan_current_version, plan_target_rows
from tsunagu.cityplan.services import plan_load
from tsunagu.meetings.models import MeetingBody
from tsunagu.organizations.models import Municipality, Organization

DROPPED = "minsei-futan-keigen"


def ise_next_year(tmp_path: Path) -> Path:
    """伊勢市's plan as its 令和9年度 revision might read: each 令和8年度 target becomes that
    year's estimate (an actual, 見込), two targets change, one program and its indicator go."""
    plan: dict[str, Any] = yaml.safe_load(plan_file_path("ise").read_text(encoding="utf-8"))
    plan["municipality"]["plan"].update(
        start_fiscal_year=2027, end_fiscal_year=2027, published="令和9年4月"
    )
    plan["programs"] = [p for p in plan["programs"] if p["code"] != DROPPED]
    plan["indicators"] = [i for i in plan["indicators"] if i.get("program") != DROPPED]
    for ind in plan["indicators"]:
        targets = ind.pop("targets", {})
        assert set(targets) <= {2026}  # a one-year plan
        if 2026 in targets:
            ind["actuals"] = {2026: {"value": targets[2026], "note": "見込"}}
            ind["targets"] = {2027: targets[2026]}
    by_code = {i["code"]: i for i in plan["indicators"]}
    by_code["yorisoi-new"]["targets"] = {2027: 2100}
    by_code["hokatsu-new"]["targets"] = {2027: 6200}
    path = tmp_path / "ise-2027.yaml"
    path.write_text(yaml.safe_dump(plan, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def target(code: str, year: int, version: PlanVersion) -> Decimal:
    return IndicatorValue.objects.get(
        indicator__plan_version=version, indicator__code=code, fiscal_year=year, kind="target"
    ).value


@pytest.mark.django_db
def test_next_years_plan_adds_a_version_and_keeps_last_years_figures(tmp_path: Path) -> None:
    call_command("load_plan", "ise", stdout=StringIO())
    first = PlanVersion.objects.get()
    before = sorted(
        IndicatorValue.objects.filter(indicator__plan_version=first).values_list(
            "indicator__code", "fiscal_year", "kind", "value", "note"
        )
    )
    out = StringIO()
    call_command("load_plan", str(ise_next_year(tmp_path)), stdout=out)
    assert "新しい版" in out.getvalue()
    assert "終了: 事業 生活困窮者支援等のための地域づくり事業（民生委員の負担軽減対策事業）" in (
        out.getvalue()
    )

    assert PlanVersion.objects.count() == 2
    municipality = Municipality.objects.get(slug="ise")
    second = plan_current_version(municipality=municipality)
    assert second is not None and second.start_fiscal_year == 2027
    # last year's targets and actuals are untouched
    after = sorted(
        IndicatorValue.objects.filter(indicator__plan_version=first).values_list(
            "indicator__code", "fiscal_year", "kind", "value", "note"
        )
    )
    assert after == before
    assert target("yorisoi-new", 2026, first) == 2000
    assert target("yorisoi-new", 2027, second) == 2100
    # the dropped program is ended, not deleted; last year's indicator still points at it
    program = Program.objects.get(municipality=municipality, code=DROPPED)
    assert program.is_active is False
    assert first.indicators.get(code="kyoryokuin-districts").program == program
    # plan-targets reproduces the current version; the earlier one on request
    current = plan_target_rows(municipality=municipality)
    assert {r.fiscal_year for r in current if r.kind == "target"} == {2027}
    assert len(plan_target_rows(municipality=municipality, version=first)) == len(before)
    out = StringIO()
    call_command("plan_targets", "ise", format="json", plan_version="令和8", stdout=out)
    assert len(json.loads(out.getvalue())) == len(before)
    with pytest.raises(CommandError, match="令和5 開始の版はありません"):
        call_command("plan_targets", "ise", plan_version="令和5", stdout=StringIO())

    # reloading either file now: the current one changes nothing, the older one is refused
    call_command("load_plan", str(tmp_path / "ise-2027.yaml"), stdout=StringIO())
    assert PlanVersion.objects.count() == 2
    with pytest.raises(CommandError, match=r"ise\.yaml:\d+: municipality\.plan\.start_fiscal_year"):
        call_command("load_plan", "ise", stdout=StringIO())


@pytest.mark.django_db
def test_overview_lists_versions_and_shows_the_difference(tmp_path: Path) -> None:
    call_command("load_plan", "ise", stdout=StringIO())
    call_command("load_plan", str(ise_next_year(tmp_path)), stdout=StringIO())
    first, second = PlanVersion.objects.order_by("start_fiscal_year")
    viewer = user_create(
        username="ise-viewer",
        organization=Organization.objects.get(municipality__slug="ise", code="yorisoi"),
        roles=[Role.COUNSELOR],
        password=None,
    )
    client = client_for(viewer)
    page = client.get("/plan/").content.decode()
    assert "令和9年度" in page and "現在の版との違い" in page
    assert f"?old={first.pk}&amp;new={second.pk}" in page
    assert "終了した事業" in page

    # last year's version still reads as it was set
    earlier = client.get(f"/plan/versions/{first.pk}/").content.decode()
    assert "以前の版" in earlier and "令和8年度" in earlier
    table = earlier.split('id="targets"', 1)[1]
    assert "2,000" in table and "2,100" not in table  # よりそい 新規: R8 target, not R9's
    assert client.get("/plan/versions/999999/").status_code == 404

    diff = client.get(f"/plan/versions/compare/?old={first.pk}&new={second.pk}")
    assert diff.status_code == 200
    html = diff.content.decode()
    dropped = html.split('id="diff-programs"', 1)[1].split("</section>", 1)[0]
    assert "終了" in dropped and "民生委員の負担軽減対策事業" in dropped
    figures = html.split('id="diff-figures"', 1)[1]
    assert "2,100" in figures and "6,200" in figures
    # ids of another city, a missing one or not a number: the same 404
    assert client.get(f"/plan/versions/compare/?old={first.pk}&new=999999").status_code == 404
    assert client.get("/plan/versions/compare/?old=x&new=1").status_code == 404


@pytest.mark.django_db
def test_compare_is_limited_to_the_users_city(city: Municipality, tmp_path: Path) -> None:
    call_command("load_plan", "ise", stdout=StringIO())
    call_command("load_plan", str(ise_next_year(tmp_path)), stdout=StringIO())
    first, second = PlanVersion.objects.filter(municipality__slug="ise").order_by("pk")
    outsider = user_create(
        username="minami-viewer",
        organization=Organization.objects.get(municipality=city, code="hokatsu-kita"),
        roles=[Role.COUNSELOR],
        password=None,
    )
    response = client_for(outsider).get(f"/plan/versions/compare/?old={first.pk}&new={second.pk}")
    assert response.status_code == 404


@pytest.mark.django_db
def test_a_meeting_body_in_use_can_be_dropped_it_is_ended(tmp_path: Path) -> None:
    call_command("load_plan", "ise", stdout=StringIO())
    path = ise_next_year(tmp_path)
    plan = yaml.safe_load(path.read_text(encoding="utf-8"))
    plan["meeting_bodies"] = [
        b for b in plan["meeting_bodies"] if b["code"] != "fukushi-sogo-shien-kaigi"
    ]
    plan["indicators"] = [
        i for i in plan["indicators"] if i["code"] != "fukushi-sogo-shien-kaigi-meetings"
    ]
    path.write_text(yaml.safe_dump(plan, allow_unicode=True, sort_keys=False), encoding="utf-8")
    body = MeetingBody.objects.get(code="fukushi-sogo-shien-kaigi")
    members = body.memberships.count()
    plan_load(plan=read_plan_file(path))
    body.refresh_from_db()
    assert body.is_active is False
    assert body.memberships.count() == members  # grants made under it still name them


@pytest.mark.django_db
def test_dropping_an_organization_with_active_staff_is_refused(tmp_path: Path) -> None:
    call_command("load_plan", "ise", stdout=StringIO())
    user_create(
        username="ayumi-staff",
        organization=Organization.objects.get(municipality__slug="ise", code="mint"),
        roles=[Role.COUNSELOR],
        password=None,
    )
    path = ise_next_year(tmp_path)
    plan = yaml.safe_load(path.read_text(encoding="utf-8"))
    plan["organizations"] = [o for o in plan["organizations"] if o["code"] != "mint"]
    for section in ("programs", "meeting_bodies"):
        for item in plan[section]:
            for key in ("organizations", "members"):
                if key in item:
                    item[key] = [
                        c
                        for c in item[key]
                        if (c if isinstance(c, str) else c["organization"]) != "mint"
                    ]
    plan["indicators"] = [i for i in plan["indicators"] if i.get("organization") != "mint"]
    path.write_text(yaml.safe_dump(plan, allow_unicode=True, sort_keys=False), encoding="utf-8")
    with pytest.raises(CommandError, match=r"ise-2027\.yaml:\d+: organizations: .*有効な職員"):
        call_command("load_plan", str(path), stdout=StringIO())
    assert PlanVersion.objects.count() == 1  # nothing half-loaded
    assert Organization.objects.get(municipality__slug="ise", code="mint").is_active


@pytest.mark.django_db
def test_a_plan_whose_period_has_ended_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    call_command("load_plan", "imizu", stdout=StringIO())  # 令和6〜7年度
    viewer = user_create(
        username="imizu-viewer",
        organization=Organization.objects.filter(municipality__slug="imizu")[0],
        roles=[Role.COUNSELOR],
        password=None,
    )
    monkeypatch.setattr("django.utils.timezone.localdate", lambda: dt.date(2026, 4, 1))
    ended = client_for(viewer).get("/plan/").content.decode()
    assert "この計画の期間（令和6〜7年度）は終了しています" in ended
    assert "（終了した計画）" in ended
    monkeypatch.setattr("django.utils.timezone.localdate", lambda: dt.date(2026, 3, 31))
    current = client_for(viewer).get("/plan/").content.decode()
    assert "終了しています" not in current and "（終了した計画）" not in current


@pytest.mark.django_db
def test_overview_queries_do_not_grow_with_the_plan(city: Municipality) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    call_command("load_plan", "ise", stdout=StringIO())
    counts = []
    for municipality, code in (
        (city, "hokatsu-kita"),
        (Municipality.objects.get(slug="ise"), "hokatsu"),
    ):
        client = client_for(
            user_create(
                username=f"viewer-{municipality.slug}",
                organization=Organization.objects.get(municipality=municipality, code=code),
                roles=[Role.COUNSELOR],
                password=None,
            )
        )
        client.get("/plan/")
        with CaptureQueriesContext(connection) as queries:
            client.get("/plan/")
        counts.append(len(queries))
    assert counts[0] == counts[1]


@pytest.mark.django_db
def test_a_document_without_a_plan_period_invents_none(tmp_path: Path) -> None:
    call_command("load_plan", "sanda", stdout=StringIO())
    version = PlanVersion.objects.get(municipality__slug="sanda")
    assert (version.start_fiscal_year, version.end_fiscal_year) == (None, None)
    viewer = user_create(
        username="sanda-viewer",
        organization=Organization.objects.filter(municipality__slug="sanda")[0],
        roles=[Role.MANAGER],
        password=None,
    )
    page = client_for(viewer).get("/plan/").content.decode()
    assert "計画期間の記載なし" in page and "終了しています" not in page
    assert client_for(viewer).get("/").status_code == 200  # the home page's targets panel

    # a target needs a plan period
    text = plan_file_path("sanda").read_text(encoding="utf-8")
    marker = "    actuals:"
    assert marker in text
    path = tmp_path / "sanda.yaml"
    path.write_text(text.replace(marker, "    targets: {2026: 1}\n" + marker, 1), encoding="utf-8")
    with pytest.raises(
        CommandError, match=r"targets\[2026\]: 計画期間がない文書に目標は書けません"
    ):
        call_command("load_plan", str(path), stdout=StringIO())


@pytest.mark.django_db
def test_year_targets_nearest_year_and_none_once_ended(city: Municipality) -> None:
    from tsunagu.cityplan.selectors import plan_year_targets

    before = plan_year_targets(municipality=city, fiscal_year=2024)  # plan runs 2026–2027
    assert before.fiscal_year == 2026 and not before.has_ended
    assert {v.value for v in before.values} == {Decimal(2000)}
    last = plan_year_targets(municipality=city, fiscal_year=2027)
    assert {v.value for v in last.values} == {Decimal(2100), Decimal("7.5")}
    ended = plan_year_targets(municipality=city, fiscal_year=2028)
    assert ended.has_ended and ended.values == []
