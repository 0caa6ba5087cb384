"""API of consent: record a person's consent to share, with its scope, purpose and period, and
correct it (the organization that obtained it). A correction (PATCH) names the version it was made
from (`If-Match` or `version`); made from an older one it is 409, naming who changed what."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Router, Schema, Status
from ninja.errors import HttpError
from pydantic import Field

from tsunagu.access.models import AccessLog
from tsunagu.accounts.access import organizations_visible_to
from tsunagu.accounts.models import User
from tsunagu.accounts.tokens import request_user
from tsunagu.consent import services
from tsunagu.consent.models import Consent, ConsentAttachment
from tsunagu.consent.selectors import (
    consent_scan_get_for,
    consent_scan_response,
    consent_scans_list_for,
)
from tsunagu.consent.services import (
    MAX_SCAN_BYTES,
    consent_attach,
    consent_record,
    consent_update,
    scan_kind,
)
from tsunagu.core.history import api_version
from tsunagu.core.tokyo import TokyoDateTime
from tsunagu.organizations.models import Organization
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
    version: int = Field(0, description="版。変更（PATCH）のときに version か If-Match で送り返す")


class ConsentPatch(Schema):
    """Only the fields sent change; `version` (or If-Match) is the version read."""

    version: int | None = Field(None, ge=1, description="読んだときの版（If-Match でも可）")
    method: Consent.Method | None = None
    purpose: str | None = Field(None, max_length=2000)
    scope_organizations: list[str] | None = Field(None, description="提供先の機関コード")
    valid_from: dt.date | None = None
    valid_until: dt.date | None = Field(None, description="null で期限なし")


def _scope(user: User, codes: list[str]) -> list[Organization]:
    codes = list(dict.fromkeys(codes))
    scope = list(organizations_visible_to(user).filter(code__in=codes).order_by("code"))
    unknown = sorted(set(codes) - {o.code for o in scope})
    if unknown:
        raise ValidationError(
            {"scope_organizations": [f"不明な機関コードです: {', '.join(unknown)}"]}
        )
    return scope


def consent_out(consent: Consent) -> ConsentOut:
    return ConsentOut(
        id=consent.pk,
        person=consent.person_id,
        organization=consent.organization.code,
        method=consent.method,
        purpose=consent.purpose,
        scope_organizations=[o.code for o in consent.scope_organizations.order_by("code")],
        valid_from=consent.valid_from,
        valid_until=consent.valid_until,
        withdrawn_at=consent.withdrawn_at,
        version=consent.version,
    )


@router.post("", response={201: ConsentOut}, summary="本人同意を記録する")
def create(request: HttpRequest, payload: ConsentIn) -> Status[ConsentOut]:
    user = request_user(request)
    person = person_get_for(
        user=user, person_id=payload.person, channel=AccessLog.Channel.API
    ).person
    scope = _scope(user, payload.scope_organizations)
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
        version=consent.version,
    )
    return Status(201, out)


@router.patch(
    "/{int:consent_id}",
    response=ConsentOut,
    summary="本人同意を訂正する（同意を得た機関のみ。古い版からの変更は409）",
    description=(
        "同意書のとおりに訂正します。提供先から外した機関との共有と、新しい期限を過ぎる共有は"
        "その時点で終わります。撤回された同意は変更できません。"
    ),
)
def update(
    request: HttpRequest, consent_id: int, payload: ConsentPatch, response: HttpResponse
) -> ConsentOut:
    user = request_user(request)
    # who may change it is decided first: another organization's consent answers as missing
    consent = Consent.objects.held_by(user).filter(pk=consent_id).select_related("person").first()
    if consent is None:
        raise Http404
    person_get_for(user=user, person_id=consent.person_id, channel=AccessLog.Channel.API, own=True)
    version = api_version(if_match=request.headers.get("If-Match"), version=payload.version)
    sent = payload.model_dump(exclude_unset=True, exclude={"version"})
    scope = (
        _scope(user, sent["scope_organizations"])
        if sent.get("scope_organizations") is not None
        else list(consent.scope_organizations.all())
    )
    consent = consent_update(
        user=user,
        consent=consent,
        method=sent.get("method") or consent.method,
        purpose=sent["purpose"] if sent.get("purpose") is not None else consent.purpose,
        scope_organizations=scope,
        valid_from=sent.get("valid_from") or consent.valid_from,
        valid_until=sent.get("valid_until", consent.valid_until),
        expected_version=version,
        channel=AccessLog.Channel.API,
    )
    response["ETag"] = f'"{consent.version}"'
    return consent_out(consent)


# --- scanned consent forms (同意書の写し) ---------------------------------------------------


class ConsentScanOut(Schema):
    id: int
    consent: int
    content_type: str = Field(description="application/pdf・image/jpeg・image/png")
    size: int = Field(description="バイト数")
    sha256: str
    original_name: str
    uploaded_at: TokyoDateTime
    url: str = Field(description="ファイル本体（GET /api/v1/consents/scans/{id}）")


def _scan_out(scan: ConsentAttachment) -> ConsentScanOut:
    return ConsentScanOut(
        id=scan.pk,
        consent=scan.consent_id,
        content_type=scan.content_type,
        size=scan.size,
        sha256=scan.sha256,
        original_name=scan.original_name,
        uploaded_at=scan.uploaded_at,
        url=f"/api/v1/consents/scans/{scan.pk}",
    )


_LIMIT_MB = MAX_SCAN_BYTES // (1024 * 1024)
_SCAN_ERRORS = {
    413: f"ファイルが大きすぎます（{_LIMIT_MB}MBまで）",
    415: "PDF・JPEG・PNGのファイルを送ってください（中身がそのどれでもありません）",
}
_ERROR_CONTENT = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}


_UPLOAD_BODY = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "properties": {
                    "file": {
                        "type": "string",
                        "format": "binary",
                        "description": "署名済みの同意書（PDF・JPEG・PNG、10MBまで）",
                    }
                },
                "required": ["file"],
            }
        }
    },
}


@router.post(
    "/{int:consent_id}/scans",
    response={201: ConsentScanOut},
    summary="署名済みの同意書の写しを登録する",
    description=(
        "multipart/form-data の file に、PDF・JPEG・PNG（中身で判定、10MBまで）を付けて送ります。"
        "同意を得た機関だけが登録できます。"
    ),
    openapi_extra={
        "requestBody": _UPLOAD_BODY,
        "responses": {
            str(code): {"description": text, "content": _ERROR_CONTENT}
            for code, text in _SCAN_ERRORS.items()
        },
    },
)
def scan_add(request: HttpRequest, consent_id: int) -> Status[ConsentScanOut]:
    user = request_user(request)
    # who may attach is decided before the upload is looked at: another organization's consent
    # answers as a missing one, whatever was sent
    consent = Consent.objects.held_by(user).filter(pk=consent_id).select_related("person").first()
    if consent is None:
        raise Http404
    files = request.FILES.getlist("file") if request.content_type == "multipart/form-data" else []
    if len(files) != 1:
        raise ValidationError(
            {"file": ["multipart/form-data の file に同意書のファイルを1つ付けてください"]}
        )
    upload = files[0]
    # the answers the web form gives as messages, here with their own status; nothing is saved
    if (upload.size or 0) > services.MAX_SCAN_BYTES:
        raise HttpError(413, _SCAN_ERRORS[413])
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    if head and scan_kind(head) is None:
        raise HttpError(415, _SCAN_ERRORS[415])
    scan = consent_attach(user=user, consent=consent, upload=upload, channel=AccessLog.Channel.API)
    return Status(201, _scan_out(scan))


@router.get(
    "/{int:consent_id}/scans",
    response=list[ConsentScanOut],
    summary="同意書の写しの一覧（内容は含みません）",
)
def scan_list(request: HttpRequest, consent_id: int) -> list[ConsentScanOut]:
    user = request_user(request)
    scans = consent_scans_list_for(user=user, consent_id=consent_id, channel=AccessLog.Channel.API)
    return [_scan_out(s) for s in scans]


@router.get(
    "/scans/{int:attachment_id}",
    response={200: None},
    summary="同意書の写しのファイル",
    description="画面と同じ権限で確かめ、記録します。キャッシュされません（no-store）。",
    openapi_extra={
        "responses": {
            "200": {
                "description": "ファイル本体",
                "content": {
                    kind: {"schema": {"type": "string", "format": "binary"}}
                    for kind in ConsentAttachment.Kind.values
                },
            }
        }
    },
)
def scan_file(request: HttpRequest, attachment_id: int) -> HttpResponse:
    user = request_user(request)
    attachment = consent_scan_get_for(
        user=user, attachment_id=attachment_id, channel=AccessLog.Channel.API
    )
    return consent_scan_response(attachment)
