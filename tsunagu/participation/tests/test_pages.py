"""参加支援's pages: needs profile → ranked suggestions → proposal → 体験 → 利用開始 → attendance →
終了 → follow-up through the forms; what the host's staff see; bad input answered in Japanese."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils import timezone

from conftest import client_for
from tsunagu.accounts.models import User
from tsunagu.participation.models import Attendance, FollowUp, Placement, PlacementStage
from tsunagu.participation.tests.conftest import Host


def test_a_placement_through_the_pages(
    counselor: User, third: User, receiver: User, host: Host
) -> None:
    client = client_for(counselor)
    today = timezone.localdate()
    person_url = reverse("participation:person", kwargs={"person_id": host.person.pk})
    response = client.post(
        person_url,
        {
            "interests": "土いじり",
            "kinds": ["agri_welfare"],
            "weekdays": ["MO"],
            "limits": "朝が苦手",
        },
    )
    assert response.status_code == 302
    page = client.get(person_url).content.decode()
    assert "畑作業の体験" in page and "希望する種類（農福連携）です" in page
    response = client.post(
        reverse("participation:propose", kwargs={"person_id": host.person.pk}),
        {
            "offer": str(host.offer.pk),
            "proposed_on": (today - dt.timedelta(days=30)).isoformat(),
            "consent": str(host.consent.pk),
            "share_profile": "on",
        },
    )
    placement = Placement.dangerously_unscoped.get()
    assert response["Location"] == reverse(
        "participation:placement", kwargs={"placement_id": placement.pk}
    )

    def step(name: str, on: dt.date, reason: str = "") -> str:
        url = reverse("participation:step", kwargs={"placement_id": placement.pk, "step": name})
        return client.post(
            url, {"on": on.isoformat(), "reason": reason}, follow=True
        ).content.decode()

    # a date before the proposal: refused, nothing changed
    assert "提案日" in step("trial", today - dt.timedelta(days=31))
    step("trial", today - dt.timedelta(days=25))
    step("start", today - dt.timedelta(days=20))
    client.post(
        reverse("participation:attendance", kwargs={"placement_id": placement.pk}),
        {"attended_on": (today - dt.timedelta(days=20)).isoformat(), "attended": "1"},
    )
    assert Attendance.dangerously_unscoped.count() == 1
    work = client.get(reverse("participation:work")).content.decode()
    assert "北ファーム" in work  # no attendance for two weeks
    # the host's staff: the person and the profile shared, not the contact nor the notes
    host_page = client_for(third).get(
        reverse("participation:placement", kwargs={"placement_id": placement.pk})
    )
    text = host_page.content.decode()
    assert host_page.status_code == 200 and "朝が苦手" in text and "0766-11-2222" not in text
    assert "参加を記録" not in text
    assert (
        client_for(receiver)
        .get(reverse("participation:placement", kwargs={"placement_id": placement.pk}))
        .status_code
        == 404
    )
    # a follow-up before the end is refused; after the end it is due three months later
    assert (
        "利用終了の後"
        in client.post(
            reverse("participation:follow_up", kwargs={"placement_id": placement.pk}),
            {"done_on": today.isoformat(), "result": "holding"},
            follow=True,
        ).content.decode()
    )
    step("end", today - dt.timedelta(days=1), "就職")
    placement.refresh_from_db()
    assert placement.stage == PlacementStage.ENDED
    assert FollowUp.dangerously_unscoped.get().due_on > today
    client.post(
        reverse("participation:follow_up", kwargs={"placement_id": placement.pk}),
        {"done_on": today.isoformat(), "result": "holding", "note": "元気"},
    )
    assert FollowUp.dangerously_unscoped.get().done_on == today
    counts = client.get(reverse("participation:counts")).content.decode()
    assert "協力事業者数" in counts


def test_no_room_left_is_a_clear_message(counselor: User, manager: User, host: Host) -> None:
    client = client_for(manager)
    host_url = reverse("participation:host", kwargs={"host_id": host.resource.pk})
    assert "畑作業の体験" in client.get(host_url).content.decode()
    response = client.post(host_url, {"kind": "salon", "title": "お茶会", "capacity": "0"})
    assert response.status_code == 200 and "受け入れ人数" in response.content.decode()
    host.offer.capacity = 1
    host.offer.save()
    today = timezone.localdate()
    counselor_client = client_for(counselor)
    for _ in range(2):
        counselor_client.post(
            reverse("participation:propose", kwargs={"person_id": host.person.pk}),
            {"offer": str(host.offer.pk), "proposed_on": today.isoformat()},
        )
    first, second = Placement.dangerously_unscoped.order_by("pk")
    counselor_client.post(
        reverse("participation:step", kwargs={"placement_id": first.pk, "step": "start"}),
        {"on": today.isoformat()},
    )
    response = counselor_client.post(
        reverse("participation:step", kwargs={"placement_id": second.pk, "step": "start"}),
        {"on": today.isoformat()},
        follow=True,
    )
    assert "満員" in response.content.decode()
    second.refresh_from_db()
    assert second.stage == PlacementStage.PROPOSED
    assert (
        counselor_client.post(
            reverse("participation:step", kwargs={"placement_id": second.pk, "step": "nonsense"}),
            {"on": today.isoformat()},
        ).status_code
        == 404
    )


def test_a_host_supports_note_stays_with_its_writer(
    counselor: User, manager: User, host: Host
) -> None:
    """Support given to a host is structure (every staff member sees that it was given), but its
    内容 may name a participant: only the organization that gave it reads it."""
    host_url = reverse("participation:host", kwargs={"host_id": host.resource.pk})
    writer = client_for(manager)
    response = writer.post(
        reverse("participation:host_support", kwargs={"host_id": host.resource.pk}),
        {
            "supported_on": timezone.localdate().isoformat(),
            "kind": "consultation",
            "note": "受け入れ中の方への声かけの相談",
        },
        follow=True,
    )
    assert "受け入れ先への支援を記録しました" in response.content.decode()
    assert "受け入れ中の方への声かけの相談" in writer.get(host_url).content.decode()
    page = client_for(counselor).get(host_url).content.decode()
    assert "相談対応" in page and "受け入れ中の方への声かけの相談" not in page
