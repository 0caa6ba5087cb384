"""アウトリーチ's pages: a target from notice to a contact and a case link through the forms, the
work list, the activities and counts; bad input answered in Japanese, never a 500. (Who may open
what is walked for every route in access/tests/test_every_endpoint.py.)"""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils import timezone

from conftest import client_for
from tsunagu.access.models import AccessLog
from tsunagu.accounts.models import User
from tsunagu.consultations.models import Consultation
from tsunagu.core.once import form_token_new
from tsunagu.outreach.models import ContactAttempt, OutreachActivity, OutreachTarget, Stage
from tsunagu.people.services import PersonData, person_create


def test_a_target_through_the_pages(counselor: User, receiver: User) -> None:
    client = client_for(counselor)
    today = timezone.localdate()
    response = client.post(
        reverse("outreach:target_create"),
        {
            "label": "本町の一人暮らしの高齢男性",
            "whereabouts": "本町三丁目",
            "noticed_on": (today - dt.timedelta(days=40)).isoformat(),
            "source": "meter",
            "source_detail": "水道検針員",
            "check_in_every_days": "14",
        },
    )
    target = OutreachTarget.dangerously_unscoped.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("outreach:target", kwargs={"target_id": target.pk})
    page = client.get(reverse("outreach:work")).content.decode()
    assert "本町の一人暮らしの高齢男性" in page  # 見守り due and no contact for 30 days
    # a contact dated before the notice: refused in Japanese, nothing saved
    response = client.post(
        reverse("outreach:contact_add", kwargs={"target_id": target.pk}),
        {
            "contacted_on": (today - dt.timedelta(days=41)).isoformat(),
            "method": "visit",
            "outcome": "met",
        },
        follow=True,
    )
    assert "把握日" in response.content.decode()
    assert not ContactAttempt.dangerously_unscoped.exists()
    client.post(
        reverse("outreach:contact_add", kwargs={"target_id": target.pk}),
        {
            "contacted_on": today.isoformat(),
            "method": "visit",
            "outcome": "talked",
            "note": "玄関先で",
        },
    )
    target.refresh_from_db()
    assert target.stage == Stage.BUILDING and target.engaged_on == today
    person = person_create(user=counselor, data=PersonData(family_name="佐藤", given_name="一"))
    client.post(
        reverse("outreach:identify", kwargs={"target_id": target.pk}), {"person": str(person.pk)}
    )
    target.refresh_from_db()
    assert target.person == person
    page = client.get(reverse("outreach:target", kwargs={"target_id": target.pk})).content.decode()
    assert "玄関先で" in page and "関係構築" in page
    assert AccessLog.objects.filter(
        object_type="outreach.outreachtarget", action="view", person=person
    ).exists()
    # another window: the same 404 as a missing id
    other = client_for(receiver)
    assert other.get(reverse("outreach:target", kwargs={"target_id": target.pk})).status_code == 404
    assert "本町" not in other.get(reverse("outreach:targets")).content.decode()


def test_a_session_and_its_consultations(counselor: User, receiver: User) -> None:
    client = client_for(counselor)
    today = timezone.localdate()
    client.post(
        reverse("outreach:activities"),
        {
            "kind": "session",
            "title": "ふくしなんでも相談所（北公民館）",
            "held_on": (today - dt.timedelta(days=1)).isoformat(),
            "note": "北町の角の家の方が気になると民生委員から",
        },
    )
    session = OutreachActivity.objects.get()
    response = client.post(
        reverse("outreach:session_consultation", kwargs={"outreach_activity_id": session.pk}),
        {
            "received_time": "10:30",
            "requester": "self",
            "main_topic": "care",
            "content": "介護の相談",
            "response": "ongoing",
            "anonymous_label": "北町の方",
        },
    )
    consultation = Consultation.dangerously_unscoped.get()
    assert response.status_code == 302
    assert consultation.organization == counselor.organization
    page = client.get(reverse("outreach:activities")).content.decode()
    assert "1件" in page
    # everyone in the city reads the activity; only the window that ran it records there and
    # reads its 所見 (free text that may be about someone)
    activity_url = reverse("outreach:activity", kwargs={"outreach_activity_id": session.pk})
    assert "北町の角の家" in client.get(activity_url).content.decode()
    other = client_for(receiver).get(activity_url)
    assert other.status_code == 200 and "北町の角の家" not in other.content.decode()
    assert "出張相談会での相談" in client.get(reverse("outreach:counts")).content.decode()
    # bad input: answers over the number asked
    response = client.post(
        reverse("outreach:activities"),
        {
            "kind": "survey",
            "title": "実情アンケート",
            "held_on": today.isoformat(),
            "asked_count": "3",
            "answered_count": "5",
        },
    )
    assert (
        response.status_code == 200
        and "回答数が依頼した数を超えています" in response.content.decode()
    )
    assert OutreachActivity.objects.count() == 1
    assert client.get(reverse("outreach:counts") + "?year=abc").status_code == 404


def test_a_form_sent_twice_writes_once(counselor: User) -> None:
    """The one-time token through `submit_once_then_redirect`: a create page and a form on the
    target's page, each sent twice, write once; the second goes to what the first wrote."""
    client = client_for(counselor)
    today = timezone.localdate()
    sent = {
        "label": "駅前の若い男性",
        "noticed_on": today.isoformat(),
        "source": "resident",
        "form_token": form_token_new(),
    }
    first = client.post(reverse("outreach:target_create"), sent)
    again = client.post(reverse("outreach:target_create"), sent, follow=True)
    target = OutreachTarget.dangerously_unscoped.get()
    assert first["Location"] == again.redirect_chain[0][0]
    assert "既に送信されています" in again.content.decode()
    contact = {
        "contacted_on": today.isoformat(),
        "method": "phone",
        "outcome": "absent",
        "form_token": form_token_new(),
    }
    url = reverse("outreach:contact_add", kwargs={"target_id": target.pk})
    assert "接触を記録しました" in client.post(url, contact, follow=True).content.decode()
    assert "既に送信されています" in client.post(url, contact, follow=True).content.decode()
    assert ContactAttempt.dangerously_unscoped.count() == 1
    # a refusal by the service on a create page: shown on the form, nothing written
    response = client.post(
        reverse("outreach:target_create"),
        {
            "label": "未来の人",
            "noticed_on": (today + dt.timedelta(days=3)).isoformat(),
            "source": "resident",
        },
    )
    assert response.status_code == 200
    assert OutreachTarget.dangerously_unscoped.count() == 1
