"""Fiscal years and 和暦: the one place that knows how Japanese cities count years.

A fiscal year (年度) is named by the Western year in which it starts: FY2026 runs from
1 April 2026 to 31 March 2027 and is shown as 令和8年度.
"""

import datetime as dt

FISCAL_YEAR_START_MONTH = 4

# (first Western year of the era, era name), newest first. A fiscal year takes the era of the
# calendar year it starts in: FY2019 is 令和元年度 by municipal convention, though 令和 began
# on 1 May 2019.
_ERAS: tuple[tuple[int, str], ...] = ((2019, "令和"), (1989, "平成"), (1926, "昭和"))


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


def era_year(year: int) -> tuple[str, int]:
    """The era name and year number of a Western year (1926 onwards)."""
    for first_year, name in _ERAS:
        if year >= first_year:
            return name, year - first_year + 1
    raise ValueError(f"{year} is before 昭和")


def _era_label(year: int) -> str:
    name, number = era_year(year)
    return f"{name}{'元' if number == 1 else number}"


def wareki_fiscal_year(fiscal_year: int) -> str:
    """令和8年度 for 2026."""
    return f"{_era_label(fiscal_year)}年度"


def wareki_date(day: dt.date) -> str:
    """令和8年4月1日 for 2026-04-01 (the era in force on that day)."""
    if day < dt.date(2019, 5, 1) <= dt.date(day.year, 12, 31) and day.year == 2019:
        label = "平成31"
    elif day < dt.date(1989, 1, 8) and day.year == 1989:
        label = "昭和64"
    else:
        label = _era_label(day.year)
    return f"{label}年{day.month}月{day.day}日"


def parse_wareki_fiscal_year(text: str) -> int:
    """2026 for 令和8年度, R8, 令和８年度 or 2026; raises ValueError otherwise."""
    import unicodedata

    s = unicodedata.normalize("NFKC", text).strip().removesuffix("年度").strip()
    if s.isdigit() and len(s) == 4:
        return int(s)
    prefixes = {"令和": 2019, "R": 2019, "平成": 1989, "H": 1989, "昭和": 1926, "S": 1926}
    for prefix, first_year in prefixes.items():
        if s.upper().startswith(prefix):
            rest = s[len(prefix) :].strip()
            number = 1 if rest == "元" else int(rest) if rest.isdigit() else 0
            if number >= 1:
                return first_year + number - 1
    raise ValueError(f"年度として読めません: {text!r}")
