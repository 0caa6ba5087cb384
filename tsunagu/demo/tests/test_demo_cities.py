"""Issue 7, class 10 (demo cities that make sense), the demo's part: in every demo city each
role has something to do, the coordinator sits where 多機関協働事業 is carried, and the demo
consent names that organization, so the coordinator can open what was referred."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from conftest import client_for
from tsunagu.accounts.models import User
from tsunagu.cityplan.models import Clause, ProgramOrganization
from tsunagu.cityplan.planfile import known_cities
from tsunagu.consent.models import Consent
from tsunagu.outreach.models import OutreachTarget, Stage
from tsunagu.participation.models import Placement, PlacementStage
from tsunagu.referrals.models import Referral


@pytest.mark.django_db
@pytest.mark.parametrize("city", known_cities())
def test_every_role_has_something_to_do_in_every_demo_city(city: str) -> None:
    call_command("load_plan", city, stdout=StringIO())
    call_command("load_demo", city, stdout=StringIO())
    staff = {u.username.removeprefix(f"{city}-"): u for u in User.objects.all()}
    counselor, coordinator = staff["counselor"], staff["coordinator"]

    carriers = set(
        ProgramOrganization.objects.filter(
            program__municipality__slug=city, program__clause=Clause.C5
        ).values_list("organization_id", flat=True)
    )
    if carriers - {counselor.organization_id}:  # the plan names who carries 多機関協働事業
        assert coordinator.organization_id in carriers

    # the intake's consent (the demo cases add their members' consents after it)
    consent = (
        Consent.dangerously_unscoped.filter(person__organization=counselor.organization)
        .order_by("pk")
        .first()
    )
    assert consent is not None
    if coordinator.organization_id != counselor.organization_id:
        assert coordinator.organization in consent.scope_organizations.all()

    # the 地域づくり pages are not empty: 担い手 (the editors' roster) and a 公益的な取組
    lsc = client_for(staff["lsc"])
    assert "架空 はるこ" in lsc.get(reverse("resources:workers")).content.decode()
    initiatives = lsc.get(reverse("resources:public_interest_initiatives")).content.decode()
    assert "社会福祉法人 架空福祉会" in initiatives

    # アウトリーチ and 参加支援 (issue 11): targets at three stages, the overdue 見守り and the
    # follow-up due on the coordinator's work lists, a session and a mapping
    held = client_for(coordinator)
    targets = OutreachTarget.objects.held_by(coordinator)
    assert {t.stage for t in targets} == {Stage.CONTACTED, Stage.BUILDING, Stage.CONNECTED}
    assert "本町三丁目の一人暮らしの高齢男性" in held.get(reverse("outreach:work")).content.decode()
    activities = held.get(reverse("outreach:activities")).content.decode()
    assert "ふくしなんでも相談所" in activities and "マッピング調査" in activities
    placements = Placement.objects.held_by(coordinator)
    assert {p.stage for p in placements} == {
        PlacementStage.ENDED,
        PlacementStage.ACTIVE,
        PlacementStage.PROPOSED,
    }
    work = held.get(reverse("participation:work")).content.decode()
    assert "架空 一平" in work and "架空 二郎" in work  # follow-up due; no attendance for 2 weeks

    for role in ("counselor2", "coordinator", "liaison"):
        user = staff[role]
        if user.organization_id == counselor.organization_id:
            continue  # a small city where one organization does both
        waiting = Referral.dangerously_unscoped.filter(
            to_organization=user.organization, status=Referral.Status.REQUESTED
        )
        assert waiting.exists(), f"{city}: the {role} has nothing waiting"
        referral = waiting.first()
        assert referral is not None
        page = client_for(user).get(f"/referrals/{referral.pk}/").content.decode()
        assert "受理する" in page, f"{city}: the {role} cannot answer"
        assert referral.person is not None
        assert client_for(user).get(f"/people/{referral.person.pk}/").status_code == 200

    home = client_for(counselor).get("/").content.decode()
    assert "辞退されたつなぎ" in home, f"{city}: the counselor's home shows nothing to follow up"


@pytest.mark.django_db
def test_the_consent_form_names_the_programs_each_organization_carries() -> None:
    call_command("load_plan", "imizu", stdout=StringIO())
    call_command("load_demo", "imizu", stdout=StringIO())
    counselor = User.objects.get(username="imizu-counselor")
    # the intake's consent (the demo cases add their members' consents after it)
    consent = (
        Consent.dangerously_unscoped.filter(person__organization=counselor.organization)
        .order_by("pk")
        .first()
    )
    assert consent is not None
    page = client_for(counselor).get(f"/consents/new/?person={consent.person_id}")
    assert (
        "（多機関協働事業" in page.content.decode() or "・多機関協働事業" in page.content.decode()
    )


@pytest.mark.django_db
def test_the_windows_manager_reads_the_access_log_of_the_windows_records() -> None:
    """Issue 7, class 8: a demo window's manager opens the log of their own records, and it
    names what was read."""
    call_command("load_plan", "imizu", stdout=StringIO())
    call_command("load_demo", "imizu", stdout=StringIO())
    counselor = User.objects.get(username="imizu-counselor")
    boss = User.objects.get(username="imizu-window-manager")
    assert boss.organization_id == counselor.organization_id
    person = Consent.dangerously_unscoped.filter(
        person__organization=counselor.organization
    ).first()
    assert person is not None
    page = client_for(boss).get(f"/people/{person.person_id}/access-log/")
    assert page.status_code == 200
    assert "本人 #" in page.content.decode() or "本人の記録 #" in page.content.decode()
