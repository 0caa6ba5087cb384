"""No silent overwrite of meeting minutes: the minutes form carries the agenda item's version;
a save from an older one is refused naming who changed the minutes (`core.history.refuse_stale`),
and every earlier text stays in the item's change history."""

from __future__ import annotations

import pytest

from conftest import client_for
from tsunagu.accounts.models import User
from tsunagu.core.history import StaleEdit
from tsunagu.meetingrecords.models import AgendaItem
from tsunagu.meetingrecords.services import agenda_item_add, minutes_record

from .conftest import convene


def test_stale_minutes_are_refused_naming_who_changed_them(
    coordinator: User, manager: User
) -> None:
    meeting = convene(coordinator, "shien-kaigi")
    item = agenda_item_add(user=coordinator, meeting=meeting, kind="topic", topic="地域の見守り")
    form = client_for(coordinator).get(
        f"/meetings/{meeting.pk}/minutes/form/?item={item.pk}", headers={"HX-Request": "true"}
    )
    assert 'name="version" value="1"' in form.content.decode()
    minutes_record(
        user=manager,
        item=AgendaItem.dangerously_unscoped.get(pk=item.pk),
        minutes="見守りを続ける",
        expected_version=1,
    )
    with pytest.raises(StaleEdit, match=r"manager.*さんが変更しました（変更された項目: 議事録"):
        minutes_record(user=coordinator, item=item, minutes="古い画面から", expected_version=1)
    item.refresh_from_db()
    assert item.minutes == "見守りを続ける" and item.version == 2
    # through the page: the refusal is shown, nothing saved
    response = client_for(coordinator).post(
        f"/meetings/{meeting.pk}/minutes/",
        {"item": item.pk, "minutes": "古い画面から", "version": "1"},
        follow=True,
    )
    assert "画面を開いた後に" in response.content.decode()
    item.refresh_from_db()
    assert item.minutes == "見守りを続ける"
    minutes_record(user=coordinator, item=item, minutes="確かめて保存", expected_version=2)
    texts = list(item.history.order_by("history_id").values_list("minutes", flat=True))
    assert texts == ["", "見守りを続ける", "確かめて保存"]


def test_a_refused_minutes_save_keeps_the_typed_text(coordinator: User, manager: User) -> None:
    """Two staff of the secretariat edit the same minutes: the second is refused by name, and
    what they typed is still in the textarea, the form now standing on the current version."""
    meeting = convene(coordinator, "shien-kaigi")
    item = agenda_item_add(user=coordinator, meeting=meeting, kind="topic", topic="地域の見守り")
    first, second = client_for(manager), client_for(coordinator)
    for c in (first, second):  # both open the item's minutes form at version 1
        opened = c.get(f"/meetings/{meeting.pk}/minutes/form/?item={item.pk}")
        assert 'name="version" value="1"' in opened.content.decode()
    saved = first.post(
        f"/meetings/{meeting.pk}/minutes/",
        {"item": item.pk, "minutes": "見守りを続ける", "version": "1"},
    )
    assert saved.status_code == 302
    typed = "民生委員と月1回訪問する。\n次回は家族も同席。"
    refused = second.post(
        f"/meetings/{meeting.pk}/minutes/",
        {"item": item.pk, "minutes": typed, "version": "1"},
    )
    assert refused.status_code == 200
    body = refused.content.decode()
    assert "manager" in body and "さんが変更しました" in body and "上書きはしていません" in body
    textarea = body.split(f'id="minutes-{item.pk}"', 1)[1].split("</textarea>", 1)[0]
    assert typed in textarea
    assert 'name="version" value="2"' in body  # the current one: saving again is deliberate
    assert "見守りを続ける" in body  # the colleague's minutes are shown above the form
    item.refresh_from_db()
    assert item.minutes == "見守りを続ける" and item.version == 2
    again = second.post(
        f"/meetings/{meeting.pk}/minutes/", {"item": item.pk, "minutes": typed, "version": "2"}
    )
    assert again.status_code == 302
    item.refresh_from_db()
    assert item.minutes == typed and item.version == 3
