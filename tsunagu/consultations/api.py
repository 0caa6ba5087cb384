"""API of consultations: record one, list and read those the user may see (own, or shared with
content by a live grant), and correct one (the window that took it). Every consultation shown is
logged, channel "api". A correction (PATCH) names the version it was made from (`If-Match` or
`version`); made from an older one it is 409, naming who changed which fields."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Router, Schema, Status
from ninja.params.functions import Query
from pydantic import Field

from tsunagu.access.models import AccessLog
from tsunagu.accounts.tokens import request_user
from tsunagu.consultations.access import consultation_get_for
from tsunagu.consultations.models import Channel, Consultation, Requester, Topic
from tsunagu.consultations.models import Response as ResponseKind
from tsunagu.consultations.selectors import visible_consultation_page_for
from tsunagu.consultations.services import (
    ConsultationData,
    consultation_create,
    consultation_update,
)
from tsunagu.core.history import api_version
from tsunagu.core.paging import CURSOR_HELP, CURSOR_MAX_LENGTH, NEXT_HELP
from tsunagu.core.tokyo import TokyoDateTime
from tsunagu.people.access import person_get_for

API = AccessLog.Channel.API

router = Router(tags=["consultations"])

PAGE_SIZE = 50
MAX_PAGE_SIZE = 200


class ConsultationIn(Schema):
    person: int | None = Field(None, description="本人のID（匿名・未特定なら省略）")
    anonymous_label: str = Field("", max_length=100, description="匿名・未特定のときの呼び名")
    received_at: dt.datetime = Field(
        description="受付日時（タイムゾーン付き。例: 2026-04-01T09:30:00+09:00）"
    )
    channel: Channel
    requester: Requester
    requester_detail: str = Field("", max_length=200)
    main_topic: Topic
    topics: list[Topic] = Field(default_factory=list)
    content: str
    response: ResponseKind
    is_new: bool = True
    external_id: str = Field("", max_length=64)


class ConsultationOut(Schema):
    id: int
    organization: str = Field(description="受付機関のコード")
    person: int | None
    anonymous_label: str
    follows: int | None
    received_at: TokyoDateTime
    channel: str
    requester: str
    requester_detail: str
    main_topic: str
    topics: list[str]
    content: str
    response: str
    is_new: bool
    external_id: str
    version: int = Field(description="版。変更（PATCH）のときに version か If-Match で送り返す")


class ConsultationPatch(Schema):
    """Only the fields sent change (the person stays); `version` (or If-Match) is the version
    read."""

    version: int | None = Field(None, ge=1, description="読んだときの版（If-Match でも可）")
    anonymous_label: str | None = Field(None, max_length=100)
    received_at: dt.datetime | None = Field(None, description="受付日時（タイムゾーン付き）")
    channel: Channel | None = None
    requester: Requester | None = None
    requester_detail: str | None = Field(None, max_length=200)
    main_topic: Topic | None = None
    topics: list[Topic] | None = None
    content: str | None = None
    response: ResponseKind | None = None
    is_new: bool | None = None


class ConsultationPage(Schema):
    page_size: int
    next: str | None = Field(description=NEXT_HELP)
    items: list[ConsultationOut]


def consultation_out(c: Consultation) -> dict[str, Any]:
    """Only for a consultation the user may read (own, or shared with its content). The fields
    of `ConsultationOut` as plain values, which the answer's schema checks once as it is sent
    (an instance built here would be checked again inside the page and the answer)."""
    return {
        "id": c.pk,
        "organization": c.organization.code,
        "person": c.person_id,
        "anonymous_label": c.anonymous_label,
        "follows": c.follows_id,
        "received_at": c.received_at,
        "channel": c.channel,
        "requester": c.requester,
        "requester_detail": c.requester_detail,
        "main_topic": c.main_topic,
        "topics": [t.topic for t in c.topics.all()],
        "content": c.content,
        "response": c.response,
        "is_new": c.is_new,
        "external_id": c.external_id,
        "version": c.version,
    }


@router.post("", response={201: ConsultationOut}, summary="相談を受け付ける")
def create(request: HttpRequest, payload: ConsultationIn) -> Status[dict[str, Any]]:
    user = request_user(request)
    person = None
    if payload.person is not None:
        person = person_get_for(user=user, person_id=payload.person, channel=API).person
    data = ConsultationData(**payload.model_dump(exclude={"person"}))
    consultation = consultation_create(user=user, person=person, data=data, channel=API)
    return Status(201, consultation_out(consultation))


@router.get("", response=ConsultationPage, summary="見られる相談の一覧（新しい順）")
def list_consultations(
    request: HttpRequest,
    cursor: str | None = Query(None, max_length=CURSOR_MAX_LENGTH, description=CURSOR_HELP),
    page_size: int = Query(PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE),
) -> dict[str, Any]:
    user = request_user(request)
    found = visible_consultation_page_for(user=user, cursor=cursor, size=page_size, channel=API)
    return {
        "page_size": page_size,
        "next": found.after or None,
        "items": [consultation_out(c) for c in found.object_list],
    }


@router.get("/{int:consultation_id}", response=ConsultationOut, summary="相談を見る")
def detail(request: HttpRequest, consultation_id: int, response: HttpResponse) -> dict[str, Any]:
    user = request_user(request)
    access = consultation_get_for(user=user, consultation_id=consultation_id, channel=API)
    response["ETag"] = f'"{access.consultation.version}"'
    return consultation_out(access.consultation)


@router.patch(
    "/{int:consultation_id}",
    response=ConsultationOut,
    summary="相談の記録を訂正する（受け付けた機関のみ。古い版からの変更は409）",
)
def update(
    request: HttpRequest, consultation_id: int, payload: ConsultationPatch, response: HttpResponse
) -> dict[str, Any]:
    user = request_user(request)
    # who may change it is decided first: another organization's answers as missing
    access = consultation_get_for(user=user, consultation_id=consultation_id, channel=API, own=True)
    version = api_version(if_match=request.headers.get("If-Match"), version=payload.version)
    c = access.consultation
    data = ConsultationData(
        received_at=c.received_at,
        channel=c.channel,
        requester=c.requester,
        main_topic=c.main_topic,
        content=c.content,
        response=c.response,
        topics=[t.topic for t in c.topics.all()],
        requester_detail=c.requester_detail,
        is_new=c.is_new,
        anonymous_label=c.anonymous_label,
        external_id=c.external_id,
        site_id=c.site_id,
    )
    sent = payload.model_dump(exclude_unset=True, exclude={"version"})
    sent = {k: v for k, v in sent.items() if v is not None}
    c = consultation_update(
        user=user,
        consultation=c,
        data=dataclasses.replace(data, **sent),
        expected_version=version,
        channel=API,
    )
    c.refresh_from_db()  # the record its holder just saved through the door, as stored
    response["ETag"] = f'"{c.version}"'
    return consultation_out(c)
