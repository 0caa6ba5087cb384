import datetime as dt

import pytest

from tsunagu.core import fiscal


@pytest.mark.parametrize(
    ("day", "expected"),
    [(dt.date(2026, 4, 1), 2026), (dt.date(2027, 3, 31), 2026), (dt.date(2026, 3, 31), 2025)],
)
def test_fiscal_year_of(day: dt.date, expected: int) -> None:
    assert fiscal.fiscal_year_of(day) == expected


@pytest.mark.parametrize(
    ("fy", "label"),
    [
        (2026, "令和8年度"),
        (2019, "令和元年度"),
        (2018, "平成30年度"),
        (1989, "平成元年度"),
        (1988, "昭和63年度"),
    ],
)
def test_wareki_fiscal_year(fy: int, label: str) -> None:
    assert fiscal.wareki_fiscal_year(fy) == label
    assert fiscal.parse_wareki_fiscal_year(label) == fy


def test_wareki_date_switches_era_on_the_day() -> None:
    assert fiscal.wareki_date(dt.date(2019, 4, 30)) == "平成31年4月30日"
    assert fiscal.wareki_date(dt.date(2019, 5, 1)) == "令和元年5月1日"
    assert fiscal.wareki_date(dt.date(2026, 11, 22)) == "令和8年11月22日"


def test_fiscal_year_bounds() -> None:
    assert fiscal.fiscal_year_bounds(2026) == (dt.date(2026, 4, 1), dt.date(2027, 3, 31))


@pytest.mark.parametrize("text", ["R8", "令和８年度", "2026", "令和8"])
def test_parse_variants(text: str) -> None:
    assert fiscal.parse_wareki_fiscal_year(text) == 2026


@pytest.mark.parametrize("text", ["", "令和", "R0", "来年度"])
def test_parse_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="年度"):
        fiscal.parse_wareki_fiscal_year(text)


def test_wareki_filter_uses_the_day_in_tokyo() -> None:
    from zoneinfo import ZoneInfo

    from tsunagu.core.templatetags.tsunagu import wareki

    early_morning_in_tokyo = dt.datetime(2026, 6, 20, 22, 13, tzinfo=ZoneInfo("UTC"))
    assert wareki(early_morning_in_tokyo) == "令和8年6月21日"
    assert wareki(dt.date(2026, 6, 20)) == "令和8年6月20日"


def test_staff_names_are_family_name_first() -> None:
    from tsunagu.accounts.models import User

    assert User(last_name="相談", first_name="花子").get_full_name() == "相談 花子"
    assert User(username="u1").full_name == "u1"
