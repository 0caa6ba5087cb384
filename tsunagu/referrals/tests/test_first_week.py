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


def test_the_referral_form_links_to_recording_consent_and_comes_back_with_it_chosen(
    counselor: User,
) -> None:
    from tsunagu.consent.models import Consent
    from tsunagu.referrals.tests.test_services import org

    person, consultation = intake(counselor)
    client = client_for(counselor)
    form = client.get(f"/referrals/new/?consultation={consultation.pk}").content.decode()
    link = f"/consents/new/?person={person.pk}&amp;consultation={consultation.pk}"
    assert link in form
    page = client.get(link.replace("&amp;", "&")).content.decode()
    assert f'name="consultation" value="{consultation.pk}"' in page
    response = client.post(
        "/consents/new/",
        {
            "person": person.pk,
            "consultation": consultation.pk,
            "method": "written",
            "purpose": "支援のための情報共有",
            "scope_organizations": [org("jiritsu-soudan").pk],
            "valid_from": "2026-01-01",
        },
    )
    consent = Consent.dangerously_unscoped.get(person=person)
    assert response.status_code == 302
    assert response["Location"] == (
        f"/referrals/new/?consultation={consultation.pk}&consent={consent.pk}"
    )
    back = client.get(response["Location"]).content.decode()
    assert f'<option value="{consent.pk}" selected>' in back
    assert 'value="consent" id="id_basis_0" checked' in back or (
        'value="consent"' in back and "checked" in back.split('value="consent"', 1)[1][:80]
    )


def test_suggestions_put_the_district_centre_first_and_leave_other_districts_out(
    counselor: User, city: Municipality
) -> None:
    from tsunagu.organizations.models import Area, Organization, OrganizationField
    from tsunagu.organizations.selectors import referral_suggestions

    city_area = Area.objects.get(municipality=city, code="city")
    minami = Area.objects.create(
        municipality=city,
        code="minami",
        name="南地区",
        kind=Area.Kind.DISTRICT,
        parent=city_area,
        localities=["南町"],
    )
    south = Organization.objects.create(
        municipality=city, code="hokatsu-minami", name="南地域包括支援センター", kind="agency"
    )
    OrganizationField.objects.create(organization=south, field="elderly")
    south.areas.add(minami)
    north = Organization.objects.get(municipality=city, code="hokatsu-kita")
    jiritsu = Organization.objects.get(municipality=city, code="jiritsu-soudan")

    by_area, by_topic = referral_suggestions(
        municipality=city, topics=["care", "income"], address="南町3丁目1番", exclude=None
    )
    assert by_area == [south]
    assert north not in by_topic  # the other district's centre is left out
    assert jiritsu in by_topic  # a city-wide agency stays
    # with no address, every centre that fits stays (nothing says which district)
    _, unknown = referral_suggestions(municipality=city, topics=["care"], address="", exclude=None)
    assert {north, south} <= set(unknown)

    # the referral form lists the district's centre first, the consultation page names it
    _, consultation = intake(counselor, address="南町3丁目1番", postal_code="")
    client = client_for(counselor)
    form = client.get(f"/referrals/new/?consultation={consultation.pk}").content.decode()
    options = form.split('name="to_organization"', 1)[1].split("</select>", 1)[0]
    assert options.index("南地域包括支援センター") < options.index("南市くらしサポートセンター")
    page = client.get(f"/consultations/{consultation.pk}/").content.decode()
    route = page.split('id="route-heading"', 1)[1].split("</section>", 1)[0]
    assert "南地域包括支援センター" in route and "北地域包括支援センター" not in route


def test_the_senders_home_shows_referrals_declined_or_overdue_since_the_last_visit(
    counselor: User, receiver: User
) -> None:
    import datetime as dt

    from django.utils import timezone

    from tsunagu.portal.models import HomeVisit

    client = client_for(counselor)
    assert "辞退されたつなぎ" not in client.get("/").content.decode()
    person, consultation = intake(counselor)
    consent = consent_for(counselor, person, "jiritsu-soudan")
    declined = refer(counselor, consultation, consent)
    late = refer(counselor, consultation, consent)
    Referral.dangerously_unscoped.filter(pk=late.pk).update(
        due_date=timezone.localdate() - dt.timedelta(days=1)
    )
    referral_decline(user=receiver, referral=declined, reason="対象外です")
    # the last visit was three days ago: since then one was declined, one went past its due date
    HomeVisit.objects.filter(user=counselor).update(at=timezone.now() - dt.timedelta(days=3))
    home = client.get("/").content.decode()
    news = home.split('id="news-heading"', 1)[1].split("</section>", 1)[0]
    assert "辞退されたつなぎ（1件）" in news and f"/referrals/{declined.pk}/" in news
    assert "回答期限を過ぎたつなぎ（1件）" in news and f"/referrals/{late.pk}/" in news
    assert "新たに期限超過" in news
    assert person.family_name not in news  # no personal data on the home page
    # the next visit: the decline was seen; the overdue one is still there, no longer new
    again = client.get("/").content.decode()
    assert "辞退されたつなぎ" not in again
    assert "回答期限を過ぎたつなぎ（1件）" in again and "新たに期限超過" not in again
    # the receiver's home shows none of the sender's news
    assert "辞退されたつなぎ" not in client_for(receiver).get("/").content.decode()


def test_the_senders_overdue_news_counts_all_beyond_those_it_lists(
    counselor: User, receiver: User
) -> None:
    import datetime as dt

    from django.utils import timezone

    from tsunagu.referrals.selectors import referral_news_for_sender

    person, consultation = intake(counselor)
    consent = consent_for(counselor, person, "jiritsu-soudan")
    late = [refer(counselor, consultation, consent) for _ in range(3)]
    Referral.dangerously_unscoped.filter(pk__in=[r.pk for r in late]).update(
        due_date=timezone.localdate() - dt.timedelta(days=1)
    )
    news = referral_news_for_sender(user=counselor, since=None, limit=2)
    assert news.overdue_count == 3 and [r.pk for r in news.overdue] == [r.pk for r in late[:2]]
    assert referral_news_for_sender(user=counselor, since=None).overdue_count == 3
