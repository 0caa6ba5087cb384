import datetime as dt

import pytest

from tsunagu.core.calendar import add_business_days, is_business_day


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        (dt.date(2026, 11, 20), 2, dt.date(2026, 11, 25)),  # Fri → Mon 23rd is 勤労感謝の日
        (dt.date(2026, 12, 25), 2, dt.date(2027, 1, 4)),  # 28th, then 年末年始 to the 3rd
        (dt.date(2026, 4, 28), 2, dt.date(2026, 5, 1)),  # 昭和の日 on the 29th
        (dt.date(2026, 5, 1), 1, dt.date(2026, 5, 7)),  # Golden Week
        (dt.date(2026, 6, 1), 0, dt.date(2026, 6, 1)),
    ],
)
def test_add_business_days(start: dt.date, days: int, expected: dt.date) -> None:
    assert add_business_days(start, days) == expected


def test_weekends_and_holidays_are_not_business_days() -> None:
    assert not is_business_day(dt.date(2026, 11, 22))  # Sunday
    assert not is_business_day(dt.date(2026, 11, 23))  # 勤労感謝の日
    assert not is_business_day(dt.date(2027, 1, 2))
    assert is_business_day(dt.date(2026, 11, 24))


def test_negative_days_are_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        add_business_days(dt.date(2026, 1, 5), -1)
