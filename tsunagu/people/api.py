"""API of persons: register, list, read, search and update, scoped as in the UI.

An update (PATCH) is the holder's only, through the same service as the edit page; it names the
version it was made from (`If-Match` or `version`; a read answers with `ETag`), and an update
made from an older version is 409 naming who changed which fields.

A person's contact and address fields go out only as `PersonAccess` lets the user see them
(empty when not shared, masked under 住所秘匿). Every person shown is logged, channel "api".
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from django.http import HttpRequest, HttpResponse
from ninja import Router, Schema, Status
from ninja.params.functions import Query
from pydantic import Field

from tsunagu.access.models import AccessLog
from tsunagu.access.throttle import Throttled
from tsunagu.accounts.tokens import request_user
from tsunagu.core.history import api_version
from tsunagu.core.paging import CURSOR_HELP, CURSOR_MAX_LENGTH, NEXT_HELP
from tsunagu.people.access import PersonAccess, person_accesses, person_get_for
from tsunagu.people.models import Sex
from tsunagu.people.selectors import person_search, persons_page_for
from tsunagu.people.services import PersonData, person_create, person_update

router = Router(tags=["persons"])

API = AccessLog.Channel.API

PAGE_SIZE = 50
MAX_PAGE_SIZE = 200


class PersonIn(Schema):
    family_name: str = Field("", max_length=50)
    given_name: str = Field("", max_length=50)
    family_name_kana: str = Field("", max_length=100)
    given_name_kana: str = Field("", max_length=100)
    birth_date: dt.date | None = None
    sex: Sex = Sex.UNKNOWN
    postal_code: str = Field("", max_length=10)
    address: str = Field("", max_length=300)
    phone: str = Field("", max_length=30)
    address_protected: bool = False
    address_protection_until: dt.date | None = None


class PersonOut(Schema):
    id: int
    organization: str = Field(description="記録した機関のコード")
    family_name: str
    given_name: str
    family_name_kana: str
    given_name_kana: str
    birth_date: dt.date | None
    sex: str
    postal_code: str = Field(description="共有されていなければ空、住所秘匿なら空")
    address: str = Field(description="共有されていなければ空、住所秘匿なら「（住所秘匿）」")
    phone: str = Field(description="共有されていなければ空")
    address_protected: bool
    version: int = Field(description="版。変更（PATCH）のときに version か If-Match で送り返す")


NULLABLE = {"birth_date", "address_protection_until"}


class PersonPatch(Schema):
    """Only the fields sent change; `version` (or If-Match) is the version read."""

    version: int | None = Field(None, ge=1, description="読んだときの版（If-Match でも可）")
    family_name: str | None = Field(None, max_length=50)
    given_name: str | None = Field(None, max_length=50)
    family_name_kana: str | None = Field(None, max_length=100)
    given_name_kana: str | None = Field(None, max_length=100)
    birth_date: dt.date | None = None
    sex: Sex | None = None
    postal_code: str | None = Field(None, max_length=10)
    address: str | None = Field(None, max_length=300)
    phone: str | None = Field(None, max_length=30)
    address_protected: bool | None = None
    address_protection_until: dt.date | None = None


class PersonPage(Schema):
    page_size: int
    next: str | None = Field(description=NEXT_HELP)
    items: list[PersonOut]


class ErrorOut(Schema):
    detail: str


class SearchHitOut(Schema):
    person: PersonOut
    score: float
    # likely (同一人物の可能性が高い), review (要確認) or "" (names alike only)
    tier: str
    reasons: list[str]


class SearchOut(Schema):
    hits: list[SearchHitOut]
    known_elsewhere: list[str] = Field(
        description="見られない記録で一致した本人を知っている機関の名前（それ以上は示さない）"
    )


def person_out(access: PersonAccess) -> PersonOut:
    """A person as this user may see it. Built field by field: nothing leaks by default."""
    p = access.person
    return PersonOut(
        id=p.pk,
        organization=p.organization.code,
        family_name=p.family_name,
        given_name=p.given_name,
        family_name_kana=p.family_name_kana,
        given_name_kana=p.given_name_kana,
        birth_date=p.birth_date,
        sex=p.sex,
        postal_code=access.postal_code_text,
        address=access.address_text,
        phone=access.phone_text,
        address_protected=p.address_protection_applies,
        version=p.version,
    )


@router.post("", response={201: PersonOut}, summary="本人を登録")
def create(request: HttpRequest, payload: PersonIn) -> Status[PersonOut]:
    user = request_user(request)
    data = PersonData(**payload.model_dump())
    person = person_create(user=user, data=data, channel=API)
    return Status(201, person_out(person_accesses(user=user, persons=[person])[person.pk]))


@router.get("", response=PersonPage, summary="見られる本人の一覧（ふりがな順）")
def list_persons(
    request: HttpRequest,
    cursor: str | None = Query(None, max_length=CURSOR_MAX_LENGTH, description=CURSOR_HELP),
    page_size: int = Query(PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE),
) -> PersonPage:
    user = request_user(request)
    found = persons_page_for(user=user, cursor=cursor, size=page_size, channel=API)
    return PersonPage(
        page_size=page_size,
        next=found.next or None,
        items=[person_out(a) for a in found.accesses],
    )


@router.get("/search", response={200: SearchOut, 429: ErrorOut}, summary="本人を市全体から探す")
def search(
    request: HttpRequest,
    q: str = Query(..., min_length=1, max_length=200, description="氏名・ふりがな・電話・住所"),
    birth_date: dt.date | None = None,
    limit: int = Query(20, ge=1, le=50),
) -> SearchOut | Status[ErrorOut]:
    user = request_user(request)
    try:
        result = person_search(user=user, query=q, birth_date=birth_date, limit=limit, channel=API)
    except Throttled as exc:
        return Status(429, ErrorOut(detail=str(exc)))
    return SearchOut(
        hits=[
            SearchHitOut(
                person=person_out(h.access),
                score=h.match.score,
                tier=h.match.tier,
                reasons=list(h.match.reasons),
            )
            for h in result.hits
        ],
        known_elsewhere=result.known_elsewhere,
    )


@router.get("/{int:person_id}", response=PersonOut, summary="本人を見る")
def detail(request: HttpRequest, person_id: int, response: HttpResponse) -> PersonOut:
    user = request_user(request)
    access = person_get_for(user=user, person_id=person_id, channel=API)
    response["ETag"] = f'"{access.person.version}"'
    return person_out(access)


@router.patch(
    "/{int:person_id}",
    response=PersonOut,
    summary="本人の記録を変更する（記録した機関のみ。古い版からの変更は409）",
)
def update(
    request: HttpRequest, person_id: int, payload: PersonPatch, response: HttpResponse
) -> PersonOut:
    user = request_user(request)
    # who may change it is decided first: another organization's record answers as missing
    access = person_get_for(user=user, person_id=person_id, channel=API, own=True)
    version = api_version(if_match=request.headers.get("If-Match"), version=payload.version)
    person = access.person
    data = PersonData(**{f.name: getattr(person, f.name) for f in dataclasses.fields(PersonData)})
    sent = payload.model_dump(exclude_unset=True, exclude={"version"})
    # null clears a date; any other field sent as null is left as it is
    sent = {k: v for k, v in sent.items() if v is not None or k in NULLABLE}
    person = person_update(
        user=user,
        person=person,
        data=dataclasses.replace(data, **sent),
        channel=API,
        expected_version=version,
    )
    response["ETag"] = f'"{person.version}"'
    return person_out(person_accesses(user=user, persons=[person])[person.pk])
