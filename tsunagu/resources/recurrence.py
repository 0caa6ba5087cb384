"""When a resource is open: weekly, the nth weekday of each month, or on listed dates.

Pure Python (no Django). The codes follow RFC 5545 as HSDS 3.0 schedules use them: weekdays
`MO TU WE TH FR SA SU`, a monthly rule's `BYDAY` as `2TU` (the second Tuesday) or `-1FR` (the
last Friday).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator

WEEKDAYS: tuple[str, ...] = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
WEEKDAY_LABELS: dict[str, str] = dict(zip(WEEKDAYS, "月火水木金土日", strict=True))
WEEK_OF_MONTH_LABELS: dict[int, str] = {
    1: "第1",
    2: "第2",
    3: "第3",
    4: "第4",
    5: "第5",
    -1: "最終",
}


def weekdays_parse(text: str) -> list[str]:
    """'MO,TH' -> ['MO', 'TH'] in week order; ValueError naming an unknown code."""
    codes = [c.strip().upper() for c in text.split(",") if c.strip()]
    unknown = [c for c in codes if c not in WEEKDAYS]
    if unknown:
        raise ValueError(f"曜日のコードが正しくありません: {', '.join(unknown)}")
    return sorted(set(codes), key=WEEKDAYS.index)


def nth_weekday(year: int, month: int, weekday: str, nth: int) -> dt.date | None:
    """The nth (1..5, or -1 for the last) given weekday of a month; None when there is none."""
    index = WEEKDAYS.index(weekday)
    first = dt.date(year, month, 1)
    offset = (index - first.weekday()) % 7
    days = []
    day = first + dt.timedelta(days=offset)
    while day.month == month:
        days.append(day)
        day += dt.timedelta(days=7)
    if nth == -1:
        return days[-1]
    return days[nth - 1] if 1 <= nth <= len(days) else None


def _months(start: dt.date, end: dt.date) -> Iterator[tuple[int, int]]:
    year, month = start.year, start.month
    while (year, month) <= (end.year, end.month):
        yield year, month
        month += 1
        if month == 13:
            year, month = year + 1, 1


def occurrences(
    *,
    kind: str,
    weekdays: Iterable[str],
    week_of_month: int | None,
    dates: Iterable[dt.date],
    start: dt.date,
    end: dt.date,
) -> list[dt.date]:
    """Every day the schedule occurs on between start and end (inclusive), in order.

    kind: `weekly`, `monthly` (the `week_of_month`-th of each weekday) or `dates`."""
    if end < start:
        return []
    codes = list(weekdays)
    if kind == "dates":
        return sorted({d for d in dates if start <= d <= end})
    if kind == "weekly":
        wanted = {WEEKDAYS.index(c) for c in codes}
        days = (end - start).days + 1
        if days > 7 * 60:  # enough to know it occurs; callers page by month or year
            end = start + dt.timedelta(days=7 * 60)
        out, day = [], start
        while day <= end:
            if day.weekday() in wanted:
                out.append(day)
            day += dt.timedelta(days=1)
        return out
    if kind == "monthly" and week_of_month is not None:
        out = []
        for year, month in _months(start, end):
            for code in codes:
                found = nth_weekday(year, month, code, week_of_month)
                if found is not None and start <= found <= end:
                    out.append(found)
        return sorted(out)
    return []


def describe(
    *, kind: str, weekdays: Iterable[str], week_of_month: int | None, dates: Iterable[dt.date]
) -> str:
    """毎週 月・木 / 毎月 第2 火 / 4月5日、5月10日 — the Japanese a resident reads."""
    days = "・".join(WEEKDAY_LABELS[c] for c in weekdays)
    if kind == "weekly":
        return f"毎週 {days}曜日"
    if kind == "monthly" and week_of_month is not None:
        return f"毎月 {WEEK_OF_MONTH_LABELS.get(week_of_month, '')} {days}曜日"
    listed = sorted(dates)
    if not listed:
        return "不定期"
    shown = "、".join(f"{d.month}月{d.day}日" for d in listed[:6])
    return f"{shown}{' ほか' if len(listed) > 6 else ''}"
