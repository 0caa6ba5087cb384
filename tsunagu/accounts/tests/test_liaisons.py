"""Each 課 names its 庁内連携担当 under the city's title; the roster lists them per 課."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from conftest import client_for
from tsunagu.accounts.models import Role
from tsunagu.accounts.services import user_create
from tsunagu.organizations.models import Organization


@pytest.mark.django_db
def test_roster_lists_liaisons_per_department() -> None:
    call_command("load_plan", "imizu", stdout=StringIO())
    chiiki = Organization.objects.get(municipality__slug="imizu", name="地域福祉課")
    assert chiiki.liaison_title == "相談支援推進員"
    liaison = user_create(
        username="imizu-liaison",
        organization=chiiki,
        roles=[Role.LIAISON],
        password=None,
        family_name="射水",
        given_name="推進",
    )
    page = client_for(liaison).get("/accounts/roster/").content.decode()
    section = page.split('id="liaisons"', 1)[1]
    row = section.split("地域福祉課", 1)[1].split("</tr>", 1)[0]
    assert "相談支援推進員" in row and "射水 推進" in row
    other = section.split("介護保険課", 1)[1].split("</tr>", 1)[0]
    assert "相談支援推進員" in other and "未登録" in other
    # a 課 outside 福祉保健部 names no liaison
    assert "環境課" not in section
