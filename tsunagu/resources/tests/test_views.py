"""Staff pages: who reads, who edits, forms that cannot be sent twice, clear errors."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from conftest import client_for
from tsunagu.accounts.models import User
from tsunagu.core.once import form_token_new
from tsunagu.resources.models import (
    Activity,
    Category,
    CommunityResource,
    Location,
    Provider,
    Schedule,
)
from tsunagu.resources.services import ResourceData, resource_create

pytestmark = pytest.mark.django_db


def _form(resource: CommunityResource, **changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "provider": resource.provider_id,
        "name": resource.name,
        "description": resource.description,
        "categories": [c.pk for c in resource.categories.all()],
        "status": resource.status,
        "locations": [loc.pk for loc in resource.locations.all()],
        "is_public": "on" if resource.is_public else "",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v != ""}


def test_every_staff_member_of_the_city_reads(
    salon: CommunityResource, third: User, outsider: User
) -> None:
    url = reverse("resources:detail", kwargs={"resource_id": salon.pk})
    page = client_for(third).get(url)
    assert page.status_code == 200
    # staff see the staff-only contact, unlike residents
    assert "世話役 山田花子" in page.content.decode()
    assert "編集" not in page.content.decode()  # but may not edit
    assert client_for(outsider).get(url).status_code == 404


def test_the_providers_own_organization_edits_its_resources(
    salon: CommunityResource, counselor: User, third: User
) -> None:
    url = reverse("resources:edit", kwargs={"resource_id": salon.pk})
    response = client_for(counselor).post(url, _form(salon, description="新しい説明"))
    assert response.status_code == 302
    salon.refresh_from_db()
    assert salon.description == "新しい説明"
    latest = salon.history.order_by("-history_date").first()
    assert latest is not None and latest.history_user == counselor
    # another agency: the same 404 as a resource that does not exist
    denied = client_for(third).post(url, _form(salon, description="乗っ取り"))
    missing = client_for(third).post(
        reverse("resources:edit", kwargs={"resource_id": 987654}), _form(salon)
    )
    assert denied.status_code == missing.status_code == 404
    assert denied.content == missing.content
    salon.refresh_from_db()
    assert salon.description == "新しい説明"


def test_the_life_support_coordinator_edits_every_resource(
    salon: CommunityResource, lsc: User
) -> None:
    url = reverse("resources:edit", kwargs={"resource_id": salon.pk})
    assert client_for(lsc).post(url, _form(salon, status="temporarily_closed")).status_code == 302
    salon.refresh_from_db()
    assert salon.status == "temporarily_closed"


def test_a_create_form_sent_twice_makes_one_resource(lsc: User, provider: Provider) -> None:
    client = client_for(lsc)
    form = client.get(reverse("resources:create"))
    submission = form.context["form"].initial["form_token"]
    data = {
        "form_token": submission,
        "provider": provider.pk,
        "name": "こども食堂きた",
        "description": "月に一度",
        "categories": [Category.objects.get(code="kodomo-shokudo").pk],
        "status": "active",
    }
    first = client.post(reverse("resources:create"), data)
    second = client.post(reverse("resources:create"), data)
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert CommunityResource.objects.filter(name="こども食堂きた").count() == 1


def test_bad_input_gives_japanese_errors_and_saves_nothing(lsc: User, provider: Provider) -> None:
    client = client_for(lsc)
    response = client.post(
        reverse("resources:create"),
        {"form_token": form_token_new(), "provider": provider.pk, "name": "x", "status": "active"},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "このフィールドは必須です" in page  # description and categories
    assert not CommunityResource.objects.filter(name="x").exists()
    place = client.post(
        reverse("resources:location_create"),
        {
            "form_token": form_token_new(),
            "kind": "physical",
            "name": "ロンドン",
            "latitude": "51.5",
            "longitude": "-0.12",
        },
    )
    assert "日本の範囲" in place.content.decode()
    assert not Location.objects.filter(name="ロンドン").exists()


def test_a_schedule_that_never_occurs_is_explained(lsc: User, salon: CommunityResource) -> None:
    before = Schedule.objects.count()
    response = client_for(lsc).post(
        reverse("resources:schedule_add", kwargs={"resource_id": salon.pk}),
        {
            "form_token": form_token_new(),
            "kind": "monthly",
            "weekdays": ["MO"],
            "week_of_month": "5",
            "valid_from": "2027-02-01",
            "valid_to": "2027-02-28",
        },
    )
    assert "一度も開催日になりません" in response.content.decode()
    assert Schedule.objects.count() == before
    bad_date = client_for(lsc).post(
        reverse("resources:schedule_add", kwargs={"resource_id": salon.pk}),
        {"form_token": form_token_new(), "kind": "dates", "dates": "2026-02-30"},
    )
    assert "日付「2026-02-30」を読めません" in bad_date.content.decode()


def test_stale_entries_are_listed_for_the_yearly_check(
    lsc: User, salon: CommunityResource, hidden: CommunityResource
) -> None:
    CommunityResource.objects.filter(pk=salon.pk).update(
        last_verified_on=dt.date.today() - dt.timedelta(days=10)  # noqa: DTZ011
    )
    page = client_for(lsc).get(reverse("resources:index") + "?stale=1").content.decode()
    assert "準備中の居場所" in page  # never verified
    assert "ふれあいサロン髙田" not in page
    client_for(lsc).post(reverse("resources:verify", kwargs={"resource_id": hidden.pk}))
    hidden.refresh_from_db()
    assert hidden.last_verified_on is not None


def test_hosts_for_participation_support(lsc: User, salon: CommunityResource) -> None:
    resource_create(
        user=lsc,
        data=ResourceData(
            provider=salon.provider,
            name="就労体験農園",
            description="畑しごと",
            categories=[Category.objects.get(code="work-experience")],
            is_host=True,
            host_note="週1回から受け入れ",
        ),
    )
    page = client_for(lsc).get(reverse("resources:index") + "?host=1").content.decode()
    assert "就労体験農園" in page and "ふれあいサロン髙田" not in page


def test_activities_are_recorded_by_their_organization(
    counselor: User, third: User, lsc: User
) -> None:
    data = {
        "form_token": form_token_new(),
        "kind": "course",
        "title": "生活支援サポーター養成講座",
        "held_on": "2026-06-01",
        "organizer": counselor.organization_id,
        "participants": "25",
    }
    assert client_for(counselor).post(reverse("resources:activity_create"), data).status_code == 302
    activity = Activity.objects.get()
    edit = reverse("resources:activity_edit", kwargs={"activity_id": activity.pk})
    assert client_for(third).get(edit).status_code == 404
    assert client_for(lsc).get(edit).status_code == 200
    # one's own organization only
    other = dict(data, form_token=form_token_new(), organizer=lsc.organization_id)
    response = client_for(counselor).post(reverse("resources:activity_create"), other)
    assert response.status_code == 200 and Activity.objects.count() == 1


def test_the_list_query_count_does_not_grow(lsc: User, salon: CommunityResource) -> None:
    client = client_for(lsc)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("resources:index")).status_code == 200
        return len(ctx)

    count()  # the first request of a session also writes the session's last activity
    few = count()
    for i in range(6):
        resource_create(
            user=lsc,
            data=ResourceData(
                provider=salon.provider,
                name=f"サロン{i}",
                description="x",
                categories=[Category.objects.get(code="salon")],
                locations=list(salon.locations.all()),
            ),
        )
    assert count() == few


def test_counts_page(lsc: User, salon: CommunityResource) -> None:
    page = client_for(lsc).get(reverse("resources:counts") + "?fy=2026").content.decode()
    assert "令和8年度" in page and "サロン" in page
    assert client_for(lsc).get(reverse("resources:counts") + "?fy=" + "9" * 5000).status_code == 200
