"""Fiscal years and 和暦: the one place that knows how Japanese cities count years.

A fiscal year (年度) is named by the Western year in which it starts: FY2026 runs from
1 April 2026 to 31 March 2027 and is shown as 令和8年度.
"""

import datetime as dt
import re
import unicodedata

from django.utils import timezone
from japanera import ERA_DATA_GENERAL, Era

FISCAL_YEAR_START_MONTH = 4

# The eras from 明治 on, newest first, with the days they began (japanera's table: 大正 from
# 1912-07-30, 昭和 from 1926-12-25, 平成 from 1989-01-08, 令和 from 2019-05-01).
_MODERN_ERAS: tuple[Era, ...] = tuple(
    sorted(
        (e for e in ERA_DATA_GENERAL if e.kanji in {"明治", "大正", "昭和", "平成", "令和"}),
        key=lambda e: e.since,
        reverse=True,
    )
)

# (first Western year of the era, era name), newest first. A fiscal year takes the era of the
# calendar year it starts in: FY2019 is 令和元年度 by municipal convention, though 令和 began
# on 1 May 2019.
_ERAS: tuple[tuple[int, str], ...] = (
    (2019, "令和"),
    (1989, "平成"),
    (1926, "昭和"),
    (1912, "大正"),
    (1868, "明治"),
)


def fiscal_year_of(day: dt.date, *, start_month: int = FISCAL_YEAR_START_MONTH) -> int:
    """The fiscal year a date falls in, as the Western year of its start."""
    return day.year if day.month >= start_month else day.year - 1


def fiscal_year_bounds(
    fiscal_year: int, *, start_month: int = FISCAL_YEAR_START_MONTH
) -> tuple[dt.date, dt.date]:
    """First and last day of a fiscal year."""
    first = dt.date(fiscal_year, start_month, 1)
    next_first = dt.date(fiscal_year + 1, start_month, 1)
    return first, next_first - dt.timedelta(days=1)


def fiscal_year_span(
    fiscal_year: int, *, start_month: int = FISCAL_YEAR_START_MONTH
) -> tuple[dt.datetime, dt.datetime]:
    """The fiscal year as a half-open range of instants [start, end): local midnight of its
    first day and of the next year's first day (Asia/Tokyo). Filter a timestamp with
    `__gte=start, __lt=end`, not by its `__date`, so an index on the timestamp serves it."""
    tz = timezone.get_default_timezone()
    first = dt.date(fiscal_year, start_month, 1)
    next_first = dt.date(fiscal_year + 1, start_month, 1)
    return (
        dt.datetime.combine(first, dt.time.min, tzinfo=tz),
        dt.datetime.combine(next_first, dt.time.min, tzinfo=tz),
    )


def era_year(year: int) -> tuple[str, int]:
    """The era name and year number of a Western year (1868 onwards), as fiscal years count."""
    for first_year, name in _ERAS:
        if year >= first_year:
            return name, year - first_year + 1
    raise ValueError(f"{year}年は明治より前です")


def _era_label(year: int) -> str:
    name, number = era_year(year)
    return f"{name}{'元' if number == 1 else number}"


def wareki_fiscal_year(fiscal_year: int) -> str:
    """令和8年度 for 2026."""
    return f"{_era_label(fiscal_year)}年度"


def _era_of_day(day: dt.date) -> Era | None:
    for era in _MODERN_ERAS:  # newest first
        if day >= era.since:
            return era
    return None


def wareki_date(day: dt.date) -> str:
    """令和8年4月1日 for 2026-04-01: the era in force on that day, from 明治 on (大正15年12月24日,
    昭和元年12月25日, 昭和64年1月7日, 平成元年1月8日). Earlier days are given in the Western
    calendar."""
    era = _era_of_day(day)
    if era is None:
        return f"{day.year}年{day.month}月{day.day}日"
    number = era.absolute_year_to_relative_year(day.year)
    return f"{era.kanji}{'元' if number == 1 else number}年{day.month}月{day.day}日"


_WESTERN_DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")
_ERA_DATE = re.compile(
    r"(明治|大正|昭和|平成|令和|[MTSHR])\s*(元|\d{1,2})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?",
    re.IGNORECASE,
)
_ERA_LETTERS = {"M": "明治", "T": "大正", "S": "昭和", "H": "平成", "R": "令和"}
DATE_FORMATS = "2026-04-01、2026/4/1、令和8年4月1日、R8.4.1、S23/3/3 など"


def parse_wareki_date(text: str) -> dt.date:
    """A date as Japanese offices write it: 2026-04-01, 2026/4/1, 2026年4月1日, 昭和23年3月3日,
    S23.3.3, R8/4/1, 令和元年5月1日 (full-width digits too). A day outside its era (昭和64年1月8日,
    平成31年5月1日) or that does not exist raises ValueError with a Japanese message."""
    s = unicodedata.normalize("NFKC", text).strip()
    western = _WESTERN_DATE.fullmatch(s)
    if western:
        try:
            return dt.date(int(western[1]), int(western[2]), int(western[3]))
        except ValueError:
            raise ValueError("存在しない日付です") from None
    match = _ERA_DATE.fullmatch(s)
    if match is None:
        raise ValueError(f"日付として読めません: {text}（例: {DATE_FORMATS}）")
    name = _ERA_LETTERS.get(match[1].upper(), match[1])
    era = next(e for e in _MODERN_ERAS if e.kanji == name)
    number = 1 if match[2] == "元" else int(match[2])
    if number < 1:
        raise ValueError(f"{name}0年はありません")
    try:
        day = dt.date(era.relative_year_to_absolute_year(number), int(match[3]), int(match[4]))
    except ValueError:
        raise ValueError("存在しない日付です") from None
    if day < era.since or (era.until is not None and day >= era.until):
        last = f"{wareki_date(era.until - dt.timedelta(days=1))}まで" if era.until else ""
        raise ValueError(
            f"{name}{match[2]}年{int(match[3])}月{int(match[4])}日はありません"
            f"（{name}は{wareki_date(era.since)}から{last}）"
        )
    return day


def parse_wareki_fiscal_year(text: str) -> int:
    """2026 for 令和8年度, R8, 令和８年度 or 2026; raises ValueError otherwise."""
    s = unicodedata.normalize("NFKC", text).strip().removesuffix("年度").strip()
    if s.isdigit() and len(s) == 4:
        return int(s)
    prefixes = {
        "令和": 2019,
        "R": 2019,
        "平成": 1989,
        "H": 1989,
        "昭和": 1926,
        "S": 1926,
        "大正": 1912,
        "T": 1912,
        "明治": 1868,
        "M": 1868,
    }
    for prefix, first_year in prefixes.items():
        if s.upper().startswith(prefix):
            rest = s[len(prefix) :].strip()
            number = 1 if rest == "元" else int(rest) if rest.isdigit() else 0
            if number >= 1:
                return first_year + number - 1
    raise ValueError(f"年度として読めません: {text!r}")
