"""Counts per fiscal year for the evaluation (伊勢市's list: 集いの場 か所, 養成講座 参加者,
地域づくり相談 市民・団体, マッチング 新規・延べ, 来所者 延べ・実人数)."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from tsunagu.accounts.models import User
from tsunagu.resources import selectors
from tsunagu.resources.categories import CATEGORIES, category_uuid
from tsunagu.resources.models import Category, CommunityResource
from tsunagu.resources.services import (
    ActivityData,
    activity_create,
    attendance_record,
    community_consultation_record,
    matching_record,
)

pytestmark = pytest.mark.django_db


def test_the_migrated_vocabulary_is_the_one_in_the_code() -> None:
    rows = list(Category.objects.order_by("sort_order").values_list("code", "name", "hsds_id"))
    assert rows == [(code, name, category_uuid(code)) for code, name, _ in CATEGORIES]


def test_counts_per_fiscal_year(lsc: User, salon: CommunityResource) -> None:
    city = salon.municipality
    for day, people in (
        (dt.date(2026, 4, 10), 20),
        (dt.date(2027, 3, 31), 15),
        (dt.date(2027, 4, 1), 9),
    ):
        activity_create(
            user=lsc,
            data=ActivityData(
                kind="course", title="生活支援サポーター養成講座", held_on=day, participants=people
            ),
        )
    activity_create(
        user=lsc,
        data=ActivityData(kind="staff_training", title="職員研修", held_on=dt.date(2026, 7, 1)),
    )
    for party, n in (("resident", 3), ("group", 2)):
        for _ in range(n):
            community_consultation_record(
                user=lsc, received_on=dt.date(2026, 5, 1), party=party, summary="相談"
            )
    matching_record(
        user=lsc, matched_on=dt.date(2026, 6, 1), party="company", party_name="A社", resource=salon
    )
    matching_record(
        user=lsc,
        matched_on=dt.date(2026, 7, 1),
        party="company",
        party_name="A社",
        resource=salon,
        is_new=False,
    )
    matching_record(user=lsc, matched_on=dt.date(2025, 7, 1), party="company", resource=salon)
    for month in (4, 5):
        attendance_record(
            user=lsc,
            resource=salon,
            period_start=dt.date(2026, month, 1),
            period_end=dt.date(2026, month, 28),
            visits=100,
            unique_visitors=30,
        )

    activities = selectors.activity_counts(municipality=city, fiscal_year=2026)
    course = next(r for r in activities if "養成講座" in r.label)
    assert (course.count, course.participants) == (2, 35)  # 2026-04-10 and 2027-03-31
    kinds = selectors.activity_kind_counts(municipality=city, fiscal_year=2026)
    assert kinds["staff_training"].count == 1 and kinds["staff_training"].participants == 0
    assert selectors.community_consultation_counts(municipality=city, fiscal_year=2026) == {
        "resident": 3,
        "group": 2,
    }
    matchings = selectors.matching_counts(municipality=city, fiscal_year=2026)
    assert (matchings["company"].new, matchings["company"].total) == (1, 2)
    [attendance] = selectors.attendance_totals(municipality=city, fiscal_year=2026)
    assert attendance.visits == 200
    assert attendance.unique_visitors is None  # 実人数 of months do not add up
    by_category = selectors.resource_counts_by_category(municipality=city, fiscal_year=2026)
    assert [(r.label, r.count) for r in by_category] == [("サロン", 1)]
    assert selectors.resource_counts_by_category(municipality=city, fiscal_year=2020) == []
    by_area = selectors.resource_counts_by_area(municipality=city)
    assert [(r.label, r.count) for r in by_area] == [("北地区", 1)]


def test_attendance_rules(lsc: User, salon: CommunityResource) -> None:
    with pytest.raises(ValidationError) as exc:
        attendance_record(
            user=lsc,
            resource=salon,
            period_start=dt.date(2026, 5, 1),
            period_end=dt.date(2026, 4, 1),
            visits=10,
            unique_visitors=20,
        )
    assert set(exc.value.message_dict) == {"period_end", "unique_visitors"}
