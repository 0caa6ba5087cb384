"""API of consent: record a person's consent to share, with its scope, purpose and period."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils import timezone
from ninja import Router, Schema, Status
from pydantic import Field

from tsunagu.access.models import AccessLog
from tsunagu.accounts.access import organizations_visible_to
from tsunagu.accounts.tokens import request_user
from tsunagu.consent.models import Consent
from tsunagu.consent.services import consent_record
from tsunagu.core.tokyo import TokyoDateTime
from tsunagu.people.access import person_get_for

router = Router(tags=["consents"])


class ConsentIn(Schema):
    person: int = Field(description="本人のID（自機関の記録）")
    method: Consent.Method
    purpose: str = Field(max_length=2000)
    scope_organizations: list[str] = Field(description="提供先の機関コード")
    valid_from: dt.date | None = Field(None, description="省略すると今日")
    valid_until: dt.date | None = None


class ConsentOut(Schema):
    id: int
    person: int
    organization: str = Field(description="同意を得た機関のコード")
    method: str
    purpose: str
    scope_organizations: list[str]
    valid_from: dt.date
    valid_until: dt.date | None
    withdrawn_at: TokyoDateTime | None


@router.post("", response={201: ConsentOut}, summary="本人同意を記録する")
def create(request: HttpRequest, payload: ConsentIn) -> Status[ConsentOut]:
    user = request_user(request)
    person = person_get_for(
        user=user, person_id=payload.person, channel=AccessLog.Channel.API
    ).person
    codes = list(dict.fromkeys(payload.scope_organizations))
    scope = list(organizations_visible_to(user).filter(code__in=codes).order_by("code"))
    unknown = sorted(set(codes) - {o.code for o in scope})
    if unknown:
        raise ValidationError(
            {"scope_organizations": [f"不明な機関コードです: {', '.join(unknown)}"]}
        )
    consent = consent_record(
        user=user,
        person=person,
        method=payload.method,
        purpose=payload.purpose,
        scope_organizations=scope,
        valid_from=payload.valid_from or timezone.localdate(),
        valid_until=payload.valid_until,
        channel=AccessLog.Channel.API,
    )
    out = ConsentOut(
        id=consent.pk,
        person=person.pk,
        organization=consent.organization.code,
        method=consent.method,
        purpose=consent.purpose,
        scope_organizations=[o.code for o in scope],
        valid_from=consent.valid_from,
        valid_until=consent.valid_until,
        withdrawn_at=consent.withdrawn_at,
    )
    return Status(201, out)
