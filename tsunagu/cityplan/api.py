"""API of the city's structure: the active organizations of the user's own city (no personal
data), so that other systems can name a referral's receiver or a consent's scope by code."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema
from pydantic import Field

from tsunagu.accounts.access import organizations_visible_to
from tsunagu.accounts.tokens import request_user

router = Router(tags=["organizations"])


class OrganizationOut(Schema):
    code: str
    name: str
    kind: str = Field(description="agency | department | community")
    fields: list[str] = Field(description="分野のコード（elderly, poverty, …）")


@router.get("", response=list[OrganizationOut], summary="市の機関の一覧")
def list_organizations(request: HttpRequest) -> list[OrganizationOut]:
    organizations = (
        organizations_visible_to(request_user(request))
        .prefetch_related("support_fields")
        .order_by("kind", "sort_order", "code")
    )
    return [
        OrganizationOut(
            code=o.code,
            name=o.name,
            kind=o.kind,
            fields=[f.field for f in o.support_fields.all()],
        )
        for o in organizations
    ]
