"""No silent overwrite of a resource: a stale edit is refused naming what changed (the one
`refuse_stale` of core/history.py); a check (確認済み) counts as a change."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest
from django.core.exceptions import ValidationError

from conftest import client_for
from tsunagu.accounts.models import User
from tsunagu.core.history import StaleEdit
from tsunagu.resources.models import (
    Activity,
    CommunityResource,
    CommunityWorker,
    Location,
    Provider,
)
from tsunagu.resources.services import (
    ActivityData,
    LocationData,
    ProviderData,
    ResourceData,
    WorkerData,
    activity_create,
    activity_update,
    location_update,
    provider_update,
    resource_update,
    resource_verify,
    worker_create,
    worker_update,
)

WORKER_KIND = CommunityWorker.Kind.VOLUNTEER


def _data(resource: CommunityResource) -> ResourceData:
    return ResourceData(
        provider=resource.provider,
        name=resource.name,
        name_kana=resource.name_kana,
        description=resource.description,
        categories=list(resource.categories.all()),
        locations=list(resource.locations.all()),
        is_public=resource.is_public,
    )


def test_a_stale_resource_edit_is_refused_naming_what_changed(
    salon: CommunityResource, lsc: User
) -> None:
    opened = salon.version
    first = CommunityResource.objects.get(pk=salon.pk)
    resource_update(
        user=lsc,
        resource=first,
        data=replace(_data(first), description="毎週おしゃべり"),
        expected_version=opened,
    )
    stale = CommunityResource.objects.get(pk=salon.pk)
    with pytest.raises(ValidationError, match=r"画面を開いた後に.*内容"):
        resource_update(
            user=lsc,
            resource=stale,
            data=replace(_data(stale), description="古い画面からの保存"),
            expected_version=opened,
        )
    salon.refresh_from_db()
    assert salon.description == "毎週おしゃべり" and salon.version == opened + 1
    # the refused form comes back with the current version: saving again overwrites on purpose
    assert stale.version == opened + 1
    resource_update(
        user=lsc,
        resource=stale,
        data=replace(_data(stale), description="確かめて保存"),
        expected_version=stale.version,
    )
    salon.refresh_from_db()
    assert salon.description == "確かめて保存" and salon.version == opened + 2


def test_a_check_moves_the_version_and_the_edit_screen_is_told(
    salon: CommunityResource, lsc: User
) -> None:
    opened = salon.version
    resource_verify(user=lsc, resource=CommunityResource.objects.get(pk=salon.pk))
    page = client_for(lsc).get(f"/resources/{salon.pk}/edit/")
    assert f'name="version" value="{opened + 1}"' in page.content.decode()
    with pytest.raises(ValidationError, match="画面を開いた後に"):
        resource_update(user=lsc, resource=salon, data=_data(salon), expected_version=opened)


def test_providers_locations_activities_and_records_refuse_a_stale_save(
    provider: Provider, hall: Location, lsc: User
) -> None:
    """The same check on every edited record of resources: the edit page carries the version,
    a save from an older one is refused naming who changed which fields."""
    url = f"/resources/providers/{provider.pk}/edit/"
    page = client_for(lsc).get(url)
    assert 'name="version" value="1"' in page.content.decode()
    provider_update(
        user=lsc,
        provider=Provider.objects.get(pk=provider.pk),
        data=ProviderData(name=provider.name, description="見守り活動の団体"),
        expected_version=1,
    )
    refused = client_for(lsc).post(url, {"name": "古い画面から", "version": "1"})
    body = refused.content.decode()
    assert refused.status_code == 200 and "画面を開いた後に" in body and "団体の紹介" in body
    assert 'name="version" value="2"' in body
    provider.refresh_from_db()
    assert provider.name == "北地区ささえあいの会" and provider.version == 2

    def location(accessibility: str) -> LocationData:
        return LocationData(name=hall.name, area=hall.area, accessibility=accessibility)

    location_update(
        user=lsc,
        location=Location.objects.get(pk=hall.pk),
        data=location("段差なし"),
        expected_version=1,
    )
    with pytest.raises(StaleEdit, match="画面を開いた後に"):
        location_update(user=lsc, location=hall, data=location("古い"), expected_version=1)
    hall.refresh_from_db()
    assert hall.accessibility == "段差なし" and hall.version == 2

    activity = activity_create(
        user=lsc,
        data=ActivityData(kind="event", title="健康体操", held_on=dt.date(2026, 5, 1)),
    )
    activity_update(
        user=lsc,
        activity=Activity.objects.get(pk=activity.pk),
        data=ActivityData(kind="event", title="健康体操（午後）", held_on=dt.date(2026, 5, 1)),
        expected_version=1,
    )
    with pytest.raises(StaleEdit, match="画面を開いた後に"):
        activity_update(
            user=lsc,
            activity=activity,
            data=ActivityData(kind="event", title="古い", held_on=dt.date(2026, 5, 1)),
            expected_version=1,
        )
    activity.refresh_from_db()
    assert activity.title == "健康体操（午後）" and activity.version == 2

    worker = worker_create(user=lsc, data=WorkerData(kind=WORKER_KIND, name="見守り 花子"))
    worker_update(
        user=lsc,
        worker=CommunityWorker.dangerously_unscoped.get(pk=worker.pk),
        data=WorkerData(kind=WORKER_KIND, name="見守り 花子", phone="090-0000-0000"),
        expected_version=1,
    )
    page = client_for(lsc).get(f"/resources/workers/{worker.pk}/edit/")
    assert 'name="version" value="2"' in page.content.decode()
    with pytest.raises(StaleEdit):
        worker_update(
            user=lsc,
            worker=worker,
            data=WorkerData(kind=WORKER_KIND, name="古い"),
            expected_version=1,
        )
