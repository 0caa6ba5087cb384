"""The public resource map: no sign-in, published entries only, nothing private revealed."""

import datetime as dt
import uuid

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tsunagu.accounts.models import User
from tsunagu.resources.models import Category, CommunityResource, Provider
from tsunagu.resources.services import ActivityData, ResourceData, activity_create, resource_create

pytestmark = pytest.mark.django_db


def _index(query: str = "") -> str:
    return reverse("public_resources:index", kwargs={"city": "minami"}) + (
        f"?{query}" if query else ""
    )


def _detail(resource: CommunityResource) -> str:
    return reverse(
        "public_resources:detail", kwargs={"city": "minami", "resource_id": resource.hsds_id}
    )


def test_anyone_sees_the_published_resources_only(
    salon: CommunityResource, hidden: CommunityResource
) -> None:
    page = Client().get(_index()).content.decode()
    assert "ふれあいサロン髙田" in page
    assert "準備中の居場所" not in page
    assert "毎週 月・木曜日 10:00〜12:00" in page


def test_a_resource_page_shows_public_contacts_only(salon: CommunityResource) -> None:
    response = Client().get(_detail(salon))
    page = response.content.decode()
    assert response.status_code == 200
    assert "北地区社協 窓口" in page and "0766-00-1111" in page
    assert "山田花子" not in page and "090-0000-2222" not in page
    assert "車いす用トイレあり" in page


def test_anything_not_public_is_the_not_found_page(
    salon: CommunityResource, hidden: CommunityResource, lsc: User
) -> None:
    client = Client()
    missing = client.get(
        reverse("public_resources:detail", kwargs={"city": "minami", "resource_id": uuid.uuid4()})
    )
    unpublished = client.get(_detail(hidden))
    assert unpublished.status_code == missing.status_code == 404
    assert unpublished.content == missing.content
    # a defunct resource, even if still marked public, is gone from the map
    CommunityResource.objects.filter(pk=salon.pk).update(status="defunct")
    from django.core.cache import cache

    cache.clear()
    assert client.get(_detail(salon)).status_code == 404
    # another city's slug does not show this city's resource
    other = reverse(
        "public_resources:detail", kwargs={"city": "kita", "resource_id": salon.hsds_id}
    )
    assert client.get(other).status_code == 404
    # a numeric id is no address at all
    assert client.get(f"/map/minami/{salon.pk}/").status_code == 404


@pytest.mark.parametrize("query", ["ｻﾛﾝ", "さろん", "高田", "フレアイ　サロン", "北地区ささえあい"])
def test_keyword_search_forgives_width_kana_and_variants(
    salon: CommunityResource, query: str
) -> None:
    page = Client().get(_index(f"q={query}")).content.decode()
    assert "ふれあいサロン髙田" in page, query


def test_filters_by_category_area_and_day(salon: CommunityResource) -> None:
    client = Client()
    assert (
        "ふれあいサロン髙田"
        in client.get(_index("category=salon&area=kita&day=MO")).content.decode()
    )
    assert "ふれあいサロン髙田" not in client.get(_index("day=SU")).content.decode()
    assert "ふれあいサロン髙田" not in client.get(_index("q=こども食堂")).content.decode()


def test_bad_input_never_breaks_the_page(salon: CommunityResource) -> None:
    client = Client()
    long = client.get(_index("q=" + "あ" * 10_000))
    assert long.status_code == 200
    assert "はじめの100文字" in long.content.decode()
    odd = client.get(_index("category=%00&area=<script>&day=XX&page=99999"))
    assert odd.status_code == 200
    assert client.get("/map/no-such-city/").status_code == 404
    # one bad filter drops only itself
    kept = client.get(_index("area=city&day=XX")).content.decode()
    assert "ふれあいサロン髙田" not in kept  # the salon is in 北地区, not filed under 市全域


def test_the_map_uses_the_configured_tiles_or_none(
    salon: CommunityResource, settings: object
) -> None:
    settings.MAP_TILE_URL = "https://tiles.example.jp/{z}/{x}/{y}.png"  # type: ignore[attr-defined]
    page = Client().get(_index()).content.decode()
    assert 'data-tile-url="https://tiles.example.jp/{z}/{x}/{y}.png"' in page
    assert '"lat": 36.7' in page
    from django.core.cache import cache

    cache.clear()
    settings.MAP_TILE_URL = ""  # type: ignore[attr-defined]
    page = Client().get(_index()).content.decode()
    assert "resource-map" not in page
    assert "ふれあいサロン髙田" in page  # the list works without a map


def test_public_events_only(salon: CommunityResource, hidden: CommunityResource, lsc: User) -> None:
    soon = timezone.localdate() + dt.timedelta(days=3)
    for title, resource, public in (
        ("公開の体操会", salon, True),
        ("内部の打合せ", salon, False),
        ("非公開資源の会", hidden, True),
    ):
        activity_create(
            user=lsc,
            data=ActivityData(
                kind="event", title=title, held_on=soon, resource=resource, is_public=public
            ),
        )
    page = Client().get(_index()).content.decode()
    assert "公開の体操会" in page
    assert "内部の打合せ" not in page and "非公開資源の会" not in page


def test_rate_limited_per_client(salon: CommunityResource, settings: object) -> None:
    settings.PUBLIC_MAP_RATE_PER_MINUTE = 3  # type: ignore[attr-defined]
    client = Client()
    codes = [client.get(_index(f"q={i}")).status_code for i in range(4)]
    assert codes == [200, 200, 200, 429]


def test_the_list_costs_the_same_queries_for_many_resources(
    salon: CommunityResource, provider: Provider, lsc: User
) -> None:
    def count() -> int:
        from django.core.cache import cache

        cache.clear()
        with CaptureQueriesContext(connection) as ctx:
            assert Client().get(_index()).status_code == 200
        return len(ctx)

    few = count()
    for i in range(8):
        resource_create(
            user=lsc,
            data=ResourceData(
                provider=provider,
                name=f"サロン{i}",
                description="x",
                categories=[Category.objects.get(code="salon")],
                locations=list(salon.locations.all()),
                is_public=True,
            ),
        )
    assert count() == few


def test_no_sign_in_needed_and_no_staff_navigation(salon: CommunityResource) -> None:
    page = Client().get(_index()).content.decode()
    assert "ログアウト" not in page and "相談受付" not in page
    assert "csrf" not in page.lower()
