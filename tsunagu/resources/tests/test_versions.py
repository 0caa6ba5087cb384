"""No silent overwrite of a resource: a stale edit is refused naming what changed (the one
`refuse_stale` of core/history.py); a check (確認済み) counts as a change."""

from __future__ import annotations

from dataclasses import replace

import pytest
from django.core.exceptions import ValidationError

from conftest import client_for
from tsunagu.accounts.models import User
from tsunagu.resources.models import CommunityResource
from tsunagu.resources.services import ResourceData, resource_update, resource_verify


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
