"""The API refuses what it does not understand: a query parameter that the operation does not
declare in the OpenAPI document is a 422 naming it (a mistyped filter must not silently widen a
list), and a path under /api/ that matches no operation is a JSON 404."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache

from django.http import HttpRequest, HttpResponse, JsonResponse

API_ROOT = "/api/v1/"


@cache
def _operations() -> list[tuple[re.Pattern[str], int, dict[str, frozenset[str]]]]:
    """Each path template of the document, with how many parameters it has and the query
    parameters each of its methods declares."""
    from tsunagu.portal.api import api

    schema = api.get_openapi_schema(path_prefix=API_ROOT.rstrip("/"))
    out = []
    for template, methods in schema["paths"].items():
        pattern = re.compile("^" + re.sub(r"\{[^}]+\}", r"[^/]+", template) + "/?$")
        declared = {
            method.upper(): frozenset(
                p["name"] for p in operation.get("parameters", []) if p.get("in") == "query"
            )
            for method, operation in methods.items()
        }
        out.append((pattern, template.count("{"), declared))
    return out


def _declared(path: str, method: str) -> frozenset[str] | None:
    """The query parameters of the operation the path and method reach, or None when none does
    (the router then answers 404 or 405). A literal segment wins over a parameter, as in the
    router: `PATCH /persons/search` is not `PATCH /persons/{person_id}`."""
    matches = [
        (params, declared) for pattern, params, declared in _operations() if pattern.match(path)
    ]
    if not matches:
        return None
    _, declared = min(matches, key=lambda match: match[0])
    return declared.get(method)


class StrictApiQueryMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info.startswith(API_ROOT) and request.GET:
            declared = _declared(request.path_info, request.method or "GET")
            if declared is not None:
                unknown = sorted(set(request.GET.keys()) - declared)
                if unknown:
                    message = f"この操作にないパラメーターです: {', '.join(unknown)}"
                    return JsonResponse(
                        {"detail": message, "errors": {name: [message] for name in unknown}},
                        status=422,
                        json_dumps_params={"ensure_ascii": False},
                    )
        return self.get_response(request)


def api_not_found(request: HttpRequest, rest: str = "") -> HttpResponse:
    """A path under /api/ that is no operation: the API's own 404, in JSON."""
    return JsonResponse(
        {"detail": "見つかりません"}, status=404, json_dumps_params={"ensure_ascii": False}
    )
