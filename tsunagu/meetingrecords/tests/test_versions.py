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
    page = client_for(coordinator).get(f"/meetings/{meeting.pk}/")
    assert 'name="version" value="1"' in page.content.decode()
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
