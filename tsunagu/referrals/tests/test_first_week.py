"""Issue 7, class 7 (referrals that close the loop): the receiving window names who handles an
accepted referral; two staff acting on one referral at once cannot both succeed."""

from __future__ import annotations

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from conftest import client_for, make_user
from tsunagu.accounts.models import Role, User
from tsunagu.organizations.models import Municipality
from tsunagu.referrals.models import Referral, ReferralEvent
from tsunagu.referrals.services import referral_accept, referral_decline
from tsunagu.referrals.tests.test_services import consent_for, intake, refer


@pytest.fixture
def referral(counselor: User) -> Referral:
    person, consultation = intake(counselor)
    return refer(counselor, consultation, consent_for(counselor, person, "jiritsu-soudan"))


def test_accepting_names_a_staff_member_of_the_receiving_window(
    referral: Referral, receiver: User, city: Municipality
) -> None:
    colleague = make_user(city, "jiritsu-soudan", Role.COUNSELOR, "colleague")
    client = client_for(receiver)
    page = client.get(f"/referrals/{referral.pk}/").content.decode()
    assert 'name="assignee"' in page and colleague.full_name in page
    response = client.post(f"/referrals/{referral.pk}/accept/", {"assignee": colleague.pk})
    assert response.status_code == 302
    referral.refresh_from_db()
    assert referral.status == Referral.Status.ACCEPTED
    assert referral.assignee == colleague
    assert colleague.full_name in client.get(f"/referrals/{referral.pk}/").content.decode()


def test_accepting_without_a_choice_assigns_the_one_accepting(
    referral: Referral, receiver: User
) -> None:
    referral_accept(user=receiver, referral=referral)
    referral.refresh_from_db()
    assert referral.assignee == receiver


def test_only_the_receiving_windows_staff_can_be_assigned(
    referral: Referral, receiver: User, third: User, counselor: User
) -> None:
    client = client_for(receiver)
    for stranger in (third, counselor):
        response = client.post(f"/referrals/{referral.pk}/accept/", {"assignee": stranger.pk})
        assert response.status_code == 404
        with pytest.raises(ValidationError, match="担当者は依頼先の機関の職員"):
            referral_accept(user=receiver, referral=referral, assignee=stranger)
    referral.refresh_from_db()
    assert referral.status == Referral.Status.REQUESTED and referral.assignee is None


def test_the_second_of_two_answers_on_a_stale_page_is_told(
    referral: Referral, receiver: User, city: Municipality
) -> None:
    """Two staff opened the referral; one accepts, the other (on the page loaded before)
    declines: the decline is refused with who was first, and nothing else changes."""
    colleague = make_user(city, "jiritsu-soudan", Role.COUNSELOR, "colleague")
    stale = Referral.dangerously_unscoped.get(pk=referral.pk)
    referral_accept(user=receiver, referral=referral)
    with pytest.raises(ValidationError, match="先に「受理」にしました"):
        referral_decline(user=colleague, referral=stale, reason="対応できません")
    referral.refresh_from_db()
    assert referral.status == Referral.Status.ACCEPTED and referral.decline_reason == ""
    assert ReferralEvent.dangerously_unscoped.filter(referral=referral).count() == 2


@pytest.mark.django_db(transaction=True)
def test_two_staff_answering_at_the_same_moment_cannot_both_succeed(
    counselor: User, receiver: User, city: Municipality
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL (SQLite serializes whole transactions)")
    colleague = make_user(city, "jiritsu-soudan", Role.COUNSELOR, "colleague")
    person, consultation = intake(counselor)
    referral = refer(counselor, consultation, consent_for(counselor, person, "jiritsu-soudan"))
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def answer(user: User, accept: bool) -> None:
        mine = Referral.dangerously_unscoped.get(pk=referral.pk)  # both load it as requested
        barrier.wait()
        try:
            if accept:
                referral_accept(user=user, referral=mine)
            else:
                referral_decline(user=user, referral=mine, reason="対応できません")
            outcomes.append("ok")
        except ValidationError as exc:
            outcomes.append(" ".join(exc.messages))
        finally:
            connection.close()

    threads = [
        threading.Thread(target=answer, args=(receiver, True)),
        threading.Thread(target=answer, args=(colleague, False)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(o == "ok" for o in outcomes) == [False, True], outcomes
    assert any("先に" in o for o in outcomes)
    referral.refresh_from_db()
    events = ReferralEvent.dangerously_unscoped.filter(referral=referral).count()
    assert events == 2  # requested + the one answer that succeeded
