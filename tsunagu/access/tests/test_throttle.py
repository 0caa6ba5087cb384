"""Rate limits count in the database: one row per key, moved on to the next window in place,
the key unreadable, long-ended windows purged, and another city's or user's count apart."""

from __future__ import annotations

import time

import pytest

from tsunagu.access.models import RateCount
from tsunagu.access.throttle import KEPT_SECONDS, PURGE_EVERY, count_in_window

pytestmark = pytest.mark.django_db

# a window that is not the first of an hour (no purge runs in it)
NOON_PAST_FIVE = 1_796_000_000 - 1_796_000_000 % PURGE_EVERY + 5 * 60 + 7


def _at(monkeypatch: pytest.MonkeyPatch, now: int) -> None:
    monkeypatch.setattr(time, "time", lambda: float(now))


def test_one_row_per_key_counted_in_its_window_then_reset(monkeypatch: pytest.MonkeyPatch) -> None:
    _at(monkeypatch, NOON_PAST_FIVE)
    assert [count_in_window("person_search:7")[0] for _ in range(3)] == [1, 2, 3]
    assert count_in_window("person_search:8") == (1, 60 - 7)  # another user counts apart
    _at(monkeypatch, NOON_PAST_FIVE + 60)  # the next window starts again from one
    assert count_in_window("person_search:7")[0] == 1
    assert RateCount.objects.count() == 2
    # neither the user nor an address can be read from the table
    assert not RateCount.objects.filter(key__contains="person_search").exists()
    assert all(len(k) == 64 for k in RateCount.objects.values_list("key", flat=True))


def test_windows_ended_a_day_ago_are_purged_in_the_first_window_of_an_hour(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    hour = NOON_PAST_FIVE - NOON_PAST_FIVE % PURGE_EVERY
    RateCount.objects.create(key="a" * 64, window_start=hour - KEPT_SECONDS - 60, count=9)
    RateCount.objects.create(key="b" * 64, window_start=hour - 60, count=9)
    _at(monkeypatch, NOON_PAST_FIVE)  # not the hour's first window: nothing purged
    count_in_window("public-map:192.0.2.1")
    assert RateCount.objects.count() == 3
    _at(monkeypatch, hour + PURGE_EVERY + 3)  # the next hour's first window
    count_in_window("public-map:192.0.2.2")
    assert set(RateCount.objects.values_list("count", flat=True)) == {9, 1}
    assert not RateCount.objects.filter(key="a" * 64).exists()
