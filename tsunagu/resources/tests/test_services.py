import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from tsunagu.accounts.models import User
from tsunagu.organizations.models import Municipality
from tsunagu.resources.models import (
    Activity,
    CommunityResource,
    Location,
    Provider,
    Schedule,
)
from tsunagu.resources.recurrence import nth_weekday, occurrences
from tsunagu.resources.services import (
    ActivityData,
    LocationData,
    ResourceData,
    ScheduleData,
    activity_create,
    community_consultation_record,
    location_create,
    matching_record,
    resource_create,
    resource_update,
    resource_verify,
    schedule_add,
)

pytestmark = pytest.mark.django_db


def _messages(exc: pytest.ExceptionInfo[ValidationError]) -> str:
    return " ".join(m for ms in exc.value.message_dict.values() for m in ms)


@pytest.mark.parametrize(
    ("lat", "lon", "message"),
    [
        ("51.500000", "-0.120000", "日本の範囲"),  # London
        ("35.000000", "180.000000", "日本の範囲"),
        ("35.000000", None, "両方とも"),
    ],
)
def test_coordinates_outside_japan_are_refused(
    lsc: User, lat: str, lon: str | None, message: str
) -> None:
    with pytest.raises(ValidationError) as exc:
        location_create(
            user=lsc,
            data=LocationData(
                name="どこか",
                latitude=Decimal(lat),
                longitude=Decimal(lon) if lon else None,
            ),
        )
    assert message in _messages(exc)
    assert not Location.objects.exists()


def test_the_database_refuses_coordinates_outside_japan_too(lsc: User, city: Municipality) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        Location.objects.create(
            municipality=city, name="x", latitude=Decimal("10"), longitude=Decimal("100")
        )


def test_a_virtual_place_needs_a_url_and_no_address(lsc: User) -> None:
    with pytest.raises(ValidationError) as exc:
        location_create(
            user=lsc, data=LocationData(name="オンライン", kind="virtual", address="北町1")
        )
    assert "URL" in _messages(exc) and "住所" in _messages(exc)


def test_nth_weekday() -> None:
    assert nth_weekday(2026, 6, "TU", 2) == dt.date(2026, 6, 9)
    assert nth_weekday(2026, 6, "TU", -1) == dt.date(2026, 6, 30)
    assert nth_weekday(2027, 2, "MO", 5) is None  # February 2027 has four Mondays


def test_occurrences_of_each_kind() -> None:
    start, end = dt.date(2026, 6, 1), dt.date(2026, 6, 30)
    weekly = occurrences(
        kind="weekly", weekdays=["MO"], week_of_month=None, dates=[], start=start, end=end
    )
    assert weekly == [dt.date(2026, 6, d) for d in (1, 8, 15, 22, 29)]
    monthly = occurrences(
        kind="monthly", weekdays=["TU", "FR"], week_of_month=2, dates=[], start=start, end=end
    )
    assert monthly == [dt.date(2026, 6, 9), dt.date(2026, 6, 12)]
    listed = occurrences(
        kind="dates",
        weekdays=[],
        week_of_month=None,
        dates=[dt.date(2026, 7, 1), dt.date(2026, 6, 3)],
        start=start,
        end=end,
    )
    assert listed == [dt.date(2026, 6, 3)]


@pytest.mark.parametrize(
    "data",
    [
        # the fifth Monday of February 2027 does not exist
        ScheduleData(
            kind="monthly",
            weekdays=["MO"],
            week_of_month=5,
            valid_from=dt.date(2027, 2, 1),
            valid_to=dt.date(2027, 2, 28),
        ),
        # a Sunday rule valid only from Monday to Saturday
        ScheduleData(
            kind="weekly",
            weekdays=["SU"],
            valid_from=dt.date(2026, 6, 1),
            valid_to=dt.date(2026, 6, 6),
        ),
        # dates all outside the validity
        ScheduleData(kind="dates", dates=[dt.date(2026, 5, 1)], valid_from=dt.date(2026, 6, 1)),
    ],
)
def test_a_schedule_that_never_occurs_is_refused(
    lsc: User, salon: CommunityResource, data: ScheduleData
) -> None:
    before = Schedule.objects.count()
    with pytest.raises(ValidationError) as exc:
        schedule_add(user=lsc, resource=salon, data=data)
    assert "一度も開催日になりません" in _messages(exc)
    assert Schedule.objects.count() == before


def test_schedule_rules_have_clear_messages(lsc: User, salon: CommunityResource) -> None:
    with pytest.raises(ValidationError) as exc:
        schedule_add(
            user=lsc,
            resource=salon,
            data=ScheduleData(
                kind="monthly", weekdays=[], opens_at=dt.time(12), closes_at=dt.time(10)
            ),
        )
    errors = exc.value.message_dict
    assert errors["weekdays"] == ["曜日を1つ以上選んでください"]
    assert errors["week_of_month"] == ["第何週かを選んでください"]
    assert errors["closes_at"] == ["終了時刻は開始時刻より後にしてください"]


def test_monthly_and_dates_schedules_are_stored_as_rules(
    lsc: User, salon: CommunityResource
) -> None:
    monthly = schedule_add(
        user=lsc,
        resource=salon,
        data=ScheduleData(kind="monthly", weekdays=["TU"], week_of_month=2),
    )
    assert (monthly.weekdays, monthly.week_of_month) == ("TU", 2)
    listed = schedule_add(
        user=lsc,
        resource=salon,
        data=ScheduleData(
            kind="dates", dates=[dt.date(2030, 5, 10), dt.date(2030, 4, 5), dt.date(2030, 5, 10)]
        ),
    )
    assert listed.dates == ["2030-04-05", "2030-05-10"]


def test_bad_resource_input_writes_nothing(
    lsc: User, provider: Provider, other_city: object
) -> None:
    other_provider = Provider.objects.create(municipality=other_city, name="北市の会")  # type: ignore[misc]
    with pytest.raises(ValidationError) as exc:
        resource_create(
            user=lsc,
            data=ResourceData(
                provider=other_provider,
                name="x",
                description="y",
                categories=[],
                minimum_age=70,
                maximum_age=60,
                is_host=True,
                audiences=["martians"],
            ),
        )
    errors = exc.value.message_dict
    assert errors["provider"] == ["他の市の運営団体は選べません"]
    assert errors["categories"] == ["分類を1つ以上選んでください"]
    assert "上限が下限より小さく" in errors["maximum_age"][0]
    assert "受け入れの内容" in errors["host_note"][0]
    assert "martians" in errors["audiences"][0]
    assert not CommunityResource.objects.exists()


def test_edits_keep_history_with_who(lsc: User, salon: CommunityResource) -> None:
    data = ResourceData(
        provider=salon.provider,
        name="ふれあいサロン髙田",
        description="内容を変えました",
        categories=list(salon.categories.all()),
        locations=list(salon.locations.all()),
        is_public=True,
    )
    resource_update(user=lsc, resource=salon, data=data)
    resource_verify(user=lsc, resource=salon, on=dt.date(2026, 5, 1))
    latest = salon.history.order_by("-history_date").first()
    assert latest is not None and latest.history_user == lsc
    descriptions = [h.description for h in salon.history.all()]
    assert "内容を変えました" in descriptions
    assert "お茶を飲みながらおしゃべりする集まりです" in descriptions


def test_a_place_used_by_a_schedule_cannot_be_removed(lsc: User, salon: CommunityResource) -> None:
    data = ResourceData(
        provider=salon.provider,
        name=salon.name,
        description=salon.description,
        categories=list(salon.categories.all()),
        locations=[],
    )
    with pytest.raises(ValidationError) as exc:
        resource_update(user=lsc, resource=salon, data=data)
    assert "開催日時に使われている場所" in _messages(exc)
    assert salon.resource_locations.count() == 1


def test_an_event_ending_before_it_starts_is_refused(lsc: User) -> None:
    with pytest.raises(ValidationError) as exc:
        activity_create(
            user=lsc,
            data=ActivityData(
                kind="event",
                title="夏まつり",
                held_on=dt.date(2026, 8, 1),
                starts_at=dt.time(15),
                ends_at=dt.time(13),
            ),
        )
    assert exc.value.message_dict["ends_at"] == ["終了時刻は開始時刻より後にしてください"]
    assert not Activity.objects.exists()


def test_no_resident_is_named_in_community_records(lsc: User, salon: CommunityResource) -> None:
    with pytest.raises(ValidationError) as exc:
        community_consultation_record(
            user=lsc,
            received_on=dt.date(2026, 5, 1),
            party="resident",
            party_name="山田太郎",
            summary="活動に参加したい",
        )
    assert "名前を記録しません" in _messages(exc)
    with pytest.raises(ValidationError):
        matching_record(
            user=lsc,
            matched_on=dt.date(2026, 5, 1),
            party="resident",
            party_name="山田太郎",
            resource=salon,
        )
