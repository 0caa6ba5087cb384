"""The JSON API for the agencies' own systems: /api/v1/, OpenAPI at /api/v1/openapi.json.

Every app adds its endpoints as a Router in its own `api.py`; they are mounted here, behind
token authentication (`Authorization: Token <key>`, see `tsunagu.accounts.tokens`). `/api/` is
exempt from the login middleware, so every operation denies by default: no valid token, 401.
Not allowed and not found are the same 404, as in the UI.

Errors are JSON with Japanese messages: `{"detail": "...", "errors": {field: [messages]}}`.
A service's `ValidationError`, a request that does not validate (missing fields, impossible
dates, unknown codes) and a body that is not JSON are all 422. An update (PATCH) names the version
it was made from (`If-Match` or `version`); made from an older one it is 409, naming who changed
which fields, with `current_version` (`core.history.refuse_stale`, the pages' one check).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.datastructures import MultiValueDict
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as RequestValidationError
from ninja.parser import Parser
from ninja.security import APIKeyHeader

from tsunagu.accounts.models import User
from tsunagu.accounts.tokens import api_token_user
from tsunagu.cases.api import gaps_router as resource_gaps_router
from tsunagu.cases.api import plans_router
from tsunagu.cases.api import router as cases_router
from tsunagu.cityplan.api import router as organizations_router
from tsunagu.consent.api import router as consent_router
from tsunagu.consultations.api import router as consultations_router
from tsunagu.core.history import StaleEdit
from tsunagu.meetingrecords.api import router as meetings_router
from tsunagu.outreach.api import router as outreach_router
from tsunagu.participation.api import router as participation_router
from tsunagu.people.api import router as people_router
from tsunagu.referrals.api import router as referrals_router
from tsunagu.resources.api import router as hsds_router

TOKEN_SCHEME = "Token"  # noqa: S105  (the name of the HTTP auth scheme, not a secret)
NON_FIELD = "__all__"


class TokenAuth(APIKeyHeader):
    """`Authorization: Token <key>`; anything else is no authentication at all."""

    param_name = "Authorization"
    openapi_description = (
        "職員ごとのAPIトークン: `Authorization: Token <key>`（`tsunagu issue-token` で発行）"
    )

    def authenticate(self, request: HttpRequest, key: str | None) -> User | None:
        scheme, _, token = (key or "").partition(" ")
        if scheme != TOKEN_SCHEME or not token or " " in token:
            return None
        return api_token_user(key=token)


class BadRequestData(Exception):
    """The request cannot be read as data (not JSON, not UTF-8, contains NUL)."""


def _reject_nul(value: object) -> None:
    # PostgreSQL cannot store NUL in text; refuse it at the door rather than fail later.
    if isinstance(value, str):
        if "\x00" in value:
            raise BadRequestData("文字列に使えない文字（NUL）が含まれています")
    elif isinstance(value, Mapping):
        for k, v in value.items():
            _reject_nul(k)
            _reject_nul(v)
    elif isinstance(value, list):
        for v in value:
            _reject_nul(v)


class StrictJsonParser(Parser):
    def parse_body(self, request: HttpRequest) -> dict[str, Any]:
        try:
            data = json.loads(request.body)
        except (ValueError, RecursionError) as exc:  # JSONDecodeError and UnicodeDecodeError
            raise BadRequestData("リクエストの本文が正しいJSONではありません") from exc
        _reject_nul(data)
        return data  # type: ignore[no-any-return]  # validated by the operation's schema

    def parse_querydict(
        self, data: MultiValueDict[str, Any], list_fields: list[str], request: HttpRequest
    ) -> dict[str, Any]:
        result = super().parse_querydict(data, list_fields, request)
        _reject_nul(result)
        return result


# The answers every operation may give besides its own, from the handlers below: the document
# states them, so that a client (and the schema fuzzer in tests/attack) can rely on them.
COMMON_ERRORS = {
    "401": "認証が必要です（トークンがないか、無効・失効しています）",
    "404": "見つかりません（見る権限がない場合も同じ答えです）",
    "422": "入力に誤りがあります（errors に項目ごとの理由）",
}
ERROR_SCHEMA = {
    "type": "object",
    "properties": {
        "detail": {"type": "string"},
        "errors": {"type": "object", "additionalProperties": {"type": "array"}},
    },
    "required": ["detail"],
}
ERROR_SCHEMA["properties"]["current_version"] = {  # type: ignore[index]
    "type": "integer",
    "description": "409（古い版からの変更）のとき、記録の現在の版",
}

# core/history.py: an update names the version it was made from
IF_MATCH_HEADER = {
    "name": "If-Match",
    "in": "header",
    "required": False,
    "description": (
        "読んだときの版（応答の ETag、または本文の version と同じ数字）。"
        "本文の version か、このヘッダーのどちらかが必要です。"
    ),
    "schema": {"type": "string", "maxLength": 20},
}
STALE = (
    "読んだ後に他の人が変更しました。上書きはしていません"
    "（detail に誰がどの項目を変えたか、current_version に現在の版）"
)


# portal/idempotency.py: the header every creating operation (POST answered with 201) takes
IDEMPOTENCY_HEADER = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": (
        "冪等キー（任意、半角英数記号 255 文字まで。UUID など）。"
        "応答を受け取れなかった登録を同じキー・同じ本文で送り直すと、"
        "最初の応答（同じ状態コードと本文）を返し、二重には登録しません。"
        "同じキーで別の内容を送ると 422、最初のリクエストの処理中は 409。"
        "キーは職員（APIトークン）ごとで、一定時間（既定 24 時間）で失効します。"
    ),
    "schema": {"type": "string", "maxLength": 255},
}
IDEMPOTENCY_CONFLICT = "同じ冪等キーのリクエストを処理中です。少し待ってから送り直してください"


class TsunaguAPI(NinjaAPI):
    def get_openapi_schema(self, *args: Any, **kwargs: Any) -> Any:
        schema = super().get_openapi_schema(*args, **kwargs)
        schema["components"].setdefault("schemas", {})["Error"] = ERROR_SCHEMA
        for methods in schema["paths"].values():
            creating = methods.get("post", {})
            if {201, "201"} & set(creating.get("responses", {})):  # portal/idempotency.py
                creating.setdefault("parameters", []).append(IDEMPOTENCY_HEADER)
                creating["responses"]["409"] = {
                    "description": IDEMPOTENCY_CONFLICT,
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
                    },
                }
            for method in ("patch", "put"):
                if method in methods:  # an update made from an older version
                    methods[method].setdefault("responses", {})["409"] = {
                        "description": STALE,
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
                        },
                    }
            if "patch" in methods:
                methods["patch"].setdefault("parameters", []).append(IF_MATCH_HEADER)
            for operation in methods.values():
                responses = operation.setdefault("responses", {})
                for status, description in COMMON_ERRORS.items():
                    responses.setdefault(
                        status,
                        {
                            "description": description,
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/Error"}
                                }
                            },
                        },
                    )
        return schema


api = TsunaguAPI(
    title="tsunagu API",
    version="1",
    description=(
        "重層的支援体制整備事業の相談・つなぎ・多機関協働を、"
        "各機関のシステムとやりとりするためのAPIです。"
    ),
    urls_namespace="api",
    auth=TokenAuth(),
    parser=StrictJsonParser(),
    # The interactive docs page loads scripts from a CDN, which a closed municipal network
    # (LGWAN) cannot reach; the OpenAPI document itself is served at /api/v1/openapi.json.
    docs_url=None,
)

api.add_router("/persons", people_router)
api.add_router("/consultations", consultations_router)
api.add_router("/consents", consent_router)
api.add_router("/referrals", referrals_router)
api.add_router("/organizations", organizations_router)
api.add_router("/hsds", hsds_router)
api.add_router("/cases", cases_router)
api.add_router("/plans", plans_router)
api.add_router("/resource-gaps", resource_gaps_router)
api.add_router("/meetings", meetings_router)
api.add_router("/outreach", outreach_router)
api.add_router("/participation", participation_router)


def _error(request: HttpRequest, status: int, detail: str, errors: object = None) -> HttpResponse:
    body: dict[str, object] = {"detail": detail}
    if errors is not None:
        body["errors"] = errors
    return api.create_response(request, body, status=status)


def _unprocessable(request: HttpRequest, errors: dict[str, list[str]]) -> HttpResponse:
    first = next((m for messages in errors.values() for m in messages), "入力に誤りがあります")
    return _error(request, 422, first, errors)


@api.exception_handler(AuthenticationError)
def _unauthorized(request: HttpRequest, exc: Exception) -> HttpResponse:
    response = _error(
        request, 401, "認証が必要です。Authorization: Token <key> ヘッダーを付けてください"
    )
    response["WWW-Authenticate"] = TOKEN_SCHEME
    return response


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
    return _error(request, 404, "見つかりません")


@api.exception_handler(DjangoValidationError)
def _service_error(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
    if hasattr(exc, "error_dict"):
        errors = {field: list(messages) for field, messages in exc.message_dict.items()}
    else:
        errors = {NON_FIELD: list(exc.messages)}
    return _unprocessable(request, errors)


@api.exception_handler(StaleEdit)
def _stale(request: HttpRequest, exc: StaleEdit) -> HttpResponse:
    body: dict[str, object] = {"detail": " ".join(exc.messages)}
    if exc.current is not None:
        body["current_version"] = exc.current
    response = api.create_response(request, body, status=409)
    if exc.current is not None:
        response["ETag"] = f'"{exc.current}"'
    return response


@api.exception_handler(BadRequestData)
def _bad_data(request: HttpRequest, exc: BadRequestData) -> HttpResponse:
    return _unprocessable(request, {NON_FIELD: [str(exc)]})


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    # ninja wraps any failure of the body parser in a 400; ours says what was wrong
    if isinstance(exc.__cause__, BadRequestData):
        return _bad_data(request, exc.__cause__)
    return _error(request, exc.status_code, str(exc))


def _constraint_message(error: Mapping[str, Any]) -> str:
    kind = str(error.get("type", ""))
    ctx: Mapping[str, Any] = error.get("ctx") or {}
    if kind == "missing":
        return "必須項目です"
    if kind.startswith("datetime"):
        return "日時は 2026-04-01T09:30:00+09:00 のようにタイムゾーン付きで指定してください"
    if kind.startswith("date"):
        return "日付は YYYY-MM-DD の形で、実在する日付を指定してください"
    if kind.startswith("int") or kind == "float_parsing":
        return "整数で指定してください"
    if kind.startswith("bool"):
        return "true か false で指定してください"
    if kind in {"enum", "literal_error"}:
        expected = str(ctx.get("expected", "")).replace(" or ", ", ")
        return f"次のどれかを指定してください: {expected}"
    if kind == "string_too_long":
        return f"長すぎます（{ctx.get('max_length')}文字まで）"
    if kind == "string_too_short":
        return "空にはできません"
    if kind == "greater_than_equal":
        return f"{ctx.get('ge')} 以上を指定してください"
    if kind == "less_than_equal":
        return f"{ctx.get('le')} 以下を指定してください"
    if kind in {"string_type", "string_sub_type"}:
        return "文字列で指定してください"
    if kind in {"list_type", "tuple_type", "set_type"}:
        return "配列で指定してください"
    if kind in {"model_attributes_type", "dict_type", "model_type"}:
        return "JSONのオブジェクトで指定してください"
    return "値が正しくありません"


def _field_name(loc: Sequence[object]) -> str:
    """("body", "payload", "topics", 2) -> "topics"; ("query", "box") -> "box"."""
    parts = list(loc[1:])
    if loc and loc[0] == "body":
        parts = parts[1:]  # the operation's parameter name, not a field of the request
    names = [str(p) for p in parts if isinstance(p, str)]
    return names[0] if names else NON_FIELD


@api.exception_handler(RequestValidationError)
def _invalid_request(request: HttpRequest, exc: RequestValidationError) -> HttpResponse:
    errors: dict[str, list[str]] = {}
    for error in exc.errors:
        field = _field_name(error.get("loc", ()))
        if field == NON_FIELD and error.get("type") == "missing":
            message = "リクエストの本文（JSONのオブジェクト）が必要です"
        else:
            message = _constraint_message(error)
        messages = errors.setdefault(field, [])
        if message not in messages:
            messages.append(message)
    return _unprocessable(request, errors)
