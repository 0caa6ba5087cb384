import datetime as dt

from django import template

from tsunagu.accounts.models import User
from tsunagu.resources.access import edits_whole_city
from tsunagu.resources.models import Schedule
from tsunagu.resources.recurrence import describe

register = template.Library()


@register.filter
def schedule_text(schedule: Schedule) -> str:
    """毎週 月・木曜日 / 毎月 第2 火曜日 / 5月10日、6月14日"""
    return describe(
        kind=schedule.kind,
        weekdays=schedule.weekday_codes(),
        week_of_month=schedule.week_of_month,
        dates=[dt.date.fromisoformat(d) for d in schedule.dates],
    )


@register.filter
def keeps_roster(user: object) -> bool:
    """Whether the user sees the roster of 担い手 (the city's editors only)."""
    return isinstance(user, User) and edits_whole_city(user)
