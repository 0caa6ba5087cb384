"""Template filters for Japanese dates and fiscal years."""

import datetime as dt
from decimal import Decimal

from django import template
from django.forms import BoundField
from django.utils import timezone

from tsunagu.core import fiscal

register = template.Library()


@register.filter
def wareki_fy(fiscal_year: int | None) -> str:
    """{{ 2026|wareki_fy }} → 令和8年度"""
    if fiscal_year is None:
        return ""
    return fiscal.wareki_fiscal_year(int(fiscal_year))


@register.filter
def wareki(day: dt.date | None) -> str:
    """{{ date|wareki }} → 令和8年4月1日"""
    if day is None:
        return ""
    if isinstance(day, dt.datetime):
        # the day in Tokyo, not in UTC (a 07:13 visit is not on the day before)
        day = timezone.localtime(day).date() if timezone.is_aware(day) else day.date()
    return fiscal.wareki_date(day)


@register.filter
def number(value: Decimal | int | float | None) -> str:
    """A figure without trailing zeros and with thousands separators: 6,500 / 7.5"""
    if value is None:
        return ""
    d = Decimal(value)
    if d == d.to_integral_value():
        return f"{int(d):,}"
    return f"{d.normalize():,f}"


@register.filter
def with_errors(fields: list[BoundField]) -> list[BoundField]:
    """The fields of a form that have errors, for the summary above a form."""
    return [f for f in fields if f.errors]


@register.simple_tag(takes_context=True)
def page_query(context: template.Context, name: str, number: int) -> str:
    """`?status=x&page=3`: the current query string with one page parameter set (one `?`)."""
    query = context["request"].GET.copy()
    query[name] = str(number)
    return f"?{query.urlencode()}"


@register.simple_tag(takes_context=True)
def keyset_query(context: template.Context, name: str, cursor: str) -> str:
    """`?status=x&after=…`: the current query string moved to a keyset page (`core.paging`);
    with no name, back to the first page."""
    query = context["request"].GET.copy()
    for key in ("after", "before", "page"):
        query.pop(key, None)
    if name:
        query[name] = cursor
    return f"?{query.urlencode()}"
