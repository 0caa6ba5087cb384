"""参加支援: a placement from suggestion to follow-up, the work list on a fixed clock, what the host
sees, bad input refused with nothing half-saved, and the counts of a fiscal year."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404

from tsunagu.access.models import AccessLog
from tsunagu.accounts.models import User
from tsunagu.consent.services import consent_withdraw
from tsunagu.participation.access import placement_get_for
from tsunagu.participation.models import Attendance, FollowUp, Placement, PlacementStage
from tsunagu.participation.selectors import participation_counts, participation_work, suggestions
from tsunagu.participation.services import (
    OfferData,
    PlacementData,
    ProfileData,
    add_months,
    attendance_record,
    follow_up_months_set,
    follow_up_record,
    host_support_record,
    offer_create,
    offer_update,
    placement_propose,
    placement_step,
    profile_save,
)
from tsunagu.participation.tests.conftest import Host, make_host
from tsunagu.people.services import PersonData, person_create
from tsunagu.resources import services as rs
from tsunagu.resources.models import Category

WEB = AccessLog.Channel.WEB


def _propose(
    counselor: User, host: Host, day: dt.date = dt.date(2025, 5, 1), **kw: object
) -> Placement:
    return placement_propose(
        user=counselor,
        person=host.person,
        offer=host.offer,
        data=PlacementData(proposed_on=day, **kw),  # type: ignore[arg-type]
    )


def test_suggestions_say_why(counselor: User, manager: User, host: Host) -> None:
    other_resource = host.resource
    offer_create(
        user=manager,
        resource=other_resource,
        data=OfferData(
            kind="salon", title="お茶会", capacity=5, weekdays=["FR"], barrier_free=True
        ),
    )
    profile = profile_save(
        user=counselor,
        person=host.person,
        data=ProfileData(
            interests="土いじり", kinds=["agri_welfare"], weekdays=["MO"], audience="youth"
        ),
    )
    ranked = suggestions(user=counselor, profile=profile)
    assert [s.offer.title for s in ranked] == ["畑作業の体験", "お茶会"]
    best, other = ranked
    assert "希望する種類（農福連携）です" in best.fits
    assert any("月" in f for f in best.fits) and best.available
    assert any("希望する種類ではありません" in m for m in other.misfits)
    assert any("曜日に開いていません" in m for m in other.misfits)


def test_a_placement_from_suggestion_to_follow_up(counselor: User, host: Host) -> None:
    placement = _propose(counselor, host, consent=host.consent, share_profile=True)
    assert placement.is_new and placement.stage == PlacementStage.PROPOSED
    placement_step(user=counselor, placement=placement, step="trial", on=dt.date(2025, 5, 12))
    placement_step(user=counselor, placement=placement, step="start", on=dt.date(2025, 5, 19))
    attendance_record(user=counselor, placement=placement, attended_on=dt.date(2025, 5, 19))
    attendance_record(
        user=counselor, placement=placement, attended_on=dt.date(2025, 5, 21), attended=False
    )
    ended = placement_step(
        user=counselor, placement=placement, step="end", on=dt.date(2025, 9, 30), reason="就職"
    )
    follow_up = FollowUp.dangerously_unscoped.get(placement=ended)
    assert follow_up.due_on == dt.date(2025, 12, 30)  # 3 months, the default
    # work list on a fixed clock
    assert participation_work(user=counselor, today=dt.date(2025, 12, 1)).follow_ups_due == []
    assert participation_work(user=counselor, today=dt.date(2025, 12, 20)).follow_ups_soon == [
        follow_up
    ]
    assert participation_work(user=counselor, today=dt.date(2026, 1, 5)).follow_ups_due == [
        follow_up
    ]
    follow_up_record(
        user=counselor, placement=ended, done_on=dt.date(2026, 1, 6), result="holding", note="元気"
    )
    assert participation_work(user=counselor, today=dt.date(2026, 1, 7)).follow_ups_due == []
    second = _propose(counselor, host, day=dt.date(2025, 10, 1))
    assert not second.is_new  # 延べ, not 新規


def test_work_list_names_placements_without_attendance(counselor: User, host: Host) -> None:
    placement = _propose(counselor, host)
    placement_step(user=counselor, placement=placement, step="start", on=dt.date(2025, 5, 5))
    assert participation_work(user=counselor, today=dt.date(2025, 5, 18)).without_attendance == []
    quiet = participation_work(user=counselor, today=dt.date(2025, 5, 19)).without_attendance
    assert [a.placement for a in quiet] == [placement]
    attendance_record(user=counselor, placement=placement, attended_on=dt.date(2025, 5, 18))
    assert participation_work(user=counselor, today=dt.date(2025, 5, 31)).without_attendance == []
    assert participation_work(user=counselor, today=dt.date(2025, 6, 1)).without_attendance != []


def test_the_city_sets_the_follow_up_period(counselor: User, manager: User, host: Host) -> None:
    with pytest.raises(ValidationError, match="管理者"):
        follow_up_months_set(user=counselor, months=6)
    follow_up_months_set(user=manager, months=6)
    placement = _propose(counselor, host)
    placement_step(user=counselor, placement=placement, step="start", on=dt.date(2025, 5, 5))
    placement_step(user=counselor, placement=placement, step="end", on=dt.date(2025, 8, 31))
    assert FollowUp.dangerously_unscoped.get().due_on == dt.date(2026, 2, 28)
    assert add_months(dt.date(2024, 11, 30), 3) == dt.date(2025, 2, 28)


def test_the_host_sees_only_what_the_person_agreed(
    counselor: User, third: User, receiver: User, host: Host
) -> None:
    shared = _propose(counselor, host, consent=host.consent, share_profile=True)
    unshared = _propose(counselor, host)
    seen = placement_get_for(user=third, placement_id=shared.pk, channel=WEB)
    assert not seen.holder and seen.shows_profile and not seen.shows_contact
    with pytest.raises(Http404):
        placement_get_for(user=third, placement_id=unshared.pk, channel=WEB)
    with pytest.raises(Http404):
        placement_get_for(user=receiver, placement_id=shared.pk, channel=WEB)
    with pytest.raises(Http404):  # the host reads, it does not change
        placement_get_for(user=third, placement_id=shared.pk, channel=WEB, own=True)
    consent_withdraw(user=counselor, consent=host.consent, note="撤回")
    with pytest.raises(Http404):
        placement_get_for(user=third, placement_id=shared.pk, channel=WEB)


def test_bad_input_is_refused_and_nothing_saved(
    counselor: User, manager: User, receiver: User
) -> None:
    host = make_host(manager, counselor, capacity=1)
    first = _propose(counselor, host)
    placement_step(user=counselor, placement=first, step="start", on=dt.date(2025, 5, 5))
    second = _propose(counselor, host)
    with pytest.raises(ValidationError, match="満員"):
        placement_step(user=counselor, placement=second, step="trial", on=dt.date(2025, 5, 6))
    second.refresh_from_db()
    assert second.stage == PlacementStage.PROPOSED and second.trial_on is None
    with pytest.raises(ValidationError, match="人数"):
        offer_update(
            user=manager,
            offer=host.offer,
            data=OfferData(kind="agri_welfare", title="畑", capacity=0),
        )
    with pytest.raises(ValidationError, match="提案日"):
        placement_step(
            user=counselor,
            placement=second,
            step="decline",
            on=dt.date(2025, 4, 1),
            reason="合わない",
        )
    with pytest.raises(ValidationError, match="理由"):
        placement_step(user=counselor, placement=second, step="decline", on=dt.date(2025, 5, 6))
    placement_step(
        user=counselor, placement=second, step="decline", on=dt.date(2025, 5, 6), reason="朝が苦手"
    )
    with pytest.raises(ValidationError, match="利用開始日"):
        placement_step(user=counselor, placement=first, step="end", on=dt.date(2025, 5, 4))
    with pytest.raises(ValidationError, match="利用終了の後"):
        follow_up_record(
            user=counselor, placement=first, done_on=dt.date(2025, 6, 1), result="holding"
        )
    placement_step(user=counselor, placement=first, step="end", on=dt.date(2025, 6, 30))
    with pytest.raises(ValidationError, match="利用開始日"):
        follow_up_record(
            user=counselor, placement=first, done_on=dt.date(2025, 5, 1), result="holding"
        )
    with pytest.raises(ValidationError, match="見学・体験"):
        attendance_record(user=counselor, placement=second, attended_on=dt.date(2025, 5, 7))
    with pytest.raises(ValidationError, match="他の機関"):
        attendance_record(user=receiver, placement=first, attended_on=dt.date(2025, 5, 7))
    # a host with no active offer
    host.offer.is_active = False
    host.offer.save()
    with pytest.raises(ValidationError, match="受け入れ中の内容がありません"):
        _propose(counselor, host)
    # sharing without a consent naming the host
    host.offer.is_active = True
    host.offer.save()
    with pytest.raises(ValidationError, match="本人同意"):
        _propose(counselor, host, share_contact=True)
    assert Placement.dangerously_unscoped.count() == 2
    assert Attendance.dangerously_unscoped.count() == 0
    assert FollowUp.dangerously_unscoped.get().done_on is None


def test_a_resource_that_is_no_host_gets_no_offer(manager: User) -> None:
    provider = rs.provider_create(user=manager, data=rs.ProviderData(name="サロンの会"))
    resource = rs.resource_create(
        user=manager,
        data=rs.ResourceData(
            provider=provider,
            name="サロン",
            description="サロン",
            categories=[
                Category.objects.get_or_create(code="salon", defaults={"name": "サロン"})[0]
            ],
        ),
    )
    with pytest.raises(ValidationError, match="受け入れ先になっていません"):
        offer_create(
            user=manager, resource=resource, data=OfferData(kind="salon", title="x", capacity=1)
        )


def test_counts_of_a_fiscal_year(counselor: User, manager: User, host: Host, city: object) -> None:
    a = _propose(counselor, host)
    placement_step(user=counselor, placement=a, step="start", on=dt.date(2025, 5, 5))
    attendance_record(user=counselor, placement=a, attended_on=dt.date(2025, 5, 5))
    attendance_record(user=counselor, placement=a, attended_on=dt.date(2025, 5, 7))
    placement_step(user=counselor, placement=a, step="end", on=dt.date(2025, 6, 30))
    follow_up_record(user=counselor, placement=a, done_on=dt.date(2025, 9, 30), result="holding")
    _propose(counselor, host, day=dt.date(2025, 7, 1))
    other = person_create(user=counselor, data=PersonData(family_name="伊藤", given_name="光"))
    placement_propose(
        user=counselor,
        person=other,
        offer=host.offer,
        data=PlacementData(proposed_on=dt.date(2025, 8, 1)),
    )
    host_support_record(
        user=manager,
        resource=host.resource,
        supported_on=dt.date(2025, 6, 1),
        kind="training",
        note="受け入れの研修",
    )
    counts = participation_counts(municipality=city, fiscal_year=2025)  # type: ignore[arg-type]
    assert (counts.hosts, counts.host_supports) == (1, 1)
    assert (counts.persons, counts.matchings_new, counts.matchings_total) == (2, 2, 3)
    assert (counts.started, counts.attendances, counts.ended, counts.follow_ups_done) == (
        1,
        2,
        1,
        1,
    )
    assert participation_counts(municipality=city, fiscal_year=2024).matchings_total == 0  # type: ignore[arg-type]
