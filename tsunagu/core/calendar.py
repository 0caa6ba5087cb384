"""Business days of a Japanese municipal office: weekdays that are not public holidays
(jpholiday) nor the year-end closure (12/29–1/3)."""

import datetime as dt

import jpholiday


def is_business_day(day: dt.date) -> bool:
    if day.weekday() >= 5 or jpholiday.is_holiday(day):
        return False
    return not ((day.month == 12 and day.day >= 29) or (day.month == 1 and day.day <= 3))


def add_business_days(day: dt.date, days: int) -> dt.date:
    """The business day `days` business days after `day` (day itself does not count)."""
    if days < 0:
        raise ValueError("days must not be negative")
    current = day
    remaining = days
    while remaining > 0:
        current += dt.timedelta(days=1)
        if is_business_day(current):
            remaining -= 1
    return current
