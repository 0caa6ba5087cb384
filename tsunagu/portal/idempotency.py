"""`Idempotency-Key` on the API's creating operations (POST answered with 201).

A client that did not get the answer to a POST (a timeout, a dropped connection) sends it again
with the same key: the first answer comes back (the same status and body) and nothing is created
twice. The same key with a different request (another body or operation) is refused with 422;
the same key while the first request is still running gets 409. Keys are per staff member (the
API token's user) and expire after `settings.IDEMPOTENCY_KEY_HOURS`. Only a successful (2xx)
answer is kept: after a refusal nothing was created, so a retry simply runs again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Callable
from functools import cache

from django.conf import settings
from django.core.cache import cache as shared_cache
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.tasks import task
from django.utils import timezone

from tsunagu.access.services import access_log_captured, access_log_replayed, logged_records
from tsunagu.accounts.models import User
from tsunagu.accounts.tokens import api_token_user
from tsunagu.core.lost_tasks import task_recovery
from tsunagu.core.tasks import task_enqueue
from tsunagu.portal.models import IdempotencyKey

HEADER = "Idempotency-Key"
API_ROOT = "/api/v1/"
_KEY = re.compile(r"[\x21-\x7e]{1,255}")  # printable ASCII without spaces (UUIDs and the like)

CONFLICT = "同じ冪等キーのリクエストを処理中です。少し待ってから送り直してください"


def _ttl() -> dt.timedelta:
    return dt.timedelta(hours=getattr(settings, "IDEMPOTENCY_KEY_HOURS", 24))


@cache
def _creating_operations() -> list[re.Pattern[str]]:
    from tsunagu.portal.api import api

    schema = api.get_openapi_schema(path_prefix=API_ROOT.rstrip("/"))
    return [
        re.compile("^" + re.sub(r"\{[^}]+\}", r"[^/]+", template) + "/?$")
        for template, methods in schema["paths"].items()
        if {201, "201"} & set(methods.get("post", {}).get("responses", {}))
    ]


def creates(path: str) -> bool:
    return any(p.match(path) for p in _creating_operations())


def _error(status: int, message: str) -> JsonResponse:
    return JsonResponse(
        {"detail": message, "errors": {HEADER: [message]}},
        status=status,
        json_dumps_params={"ensure_ascii": False},
    )


def _user(request: HttpRequest) -> User | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme != "Token" or not token or " " in token:
        return None
    return api_token_user(key=token)


def idempotency_purge(*, now: dt.datetime | None = None) -> int:
    """Delete the expired keys (their answers may name a person)."""
    cutoff = (now or timezone.now()) - _ttl()
    deleted, _ = IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()
    return deleted


@task
def idempotency_purge_task() -> int:
    """`idempotency_purge` in the background (`tsunagu db_worker`), as scheduled by
    `idempotency_purge_schedule`."""
    return idempotency_purge()


@task_recovery(idempotency_purge_task)
def idempotency_purge_lost() -> None:
    """The worker died during a purge (core/lost_tasks.py): its one delete was rolled back, so
    another purge is enqueued at once (no key is to outlive its expiry by much)."""
    task_enqueue(idempotency_purge_task)


# set in the cache for an hour when a purge is scheduled: at most one is enqueued an hour
PURGE_MARK = "tsunagu:idempotency-purge-scheduled"
PURGE_EVERY = dt.timedelta(hours=1)


def idempotency_purge_schedule(*, now: dt.datetime) -> bool:
    """Enqueue a purge (`idempotency_purge_task`, run by `tsunagu db_worker`) for
    when a key stored now will have expired, unless one was enqueued in the last hour. A key
    stored at `now` is then gone at most an hour after it expires, whether or not the API is
    used again. Returns whether a purge was enqueued."""
    if not shared_cache.add(PURGE_MARK, now.isoformat(), timeout=int(PURGE_EVERY.total_seconds())):
        return False
    task = idempotency_purge_task
    if task.get_backend().supports_defer:
        task = task.using(run_after=now + _ttl() + PURGE_EVERY)
    transaction.on_commit(lambda: task_enqueue(task))
    return True


class IdempotencyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        key = request.headers.get(HEADER)
        if (
            key is None
            or request.method != "POST"
            or not request.path_info.startswith(API_ROOT)
            or not creates(request.path_info)
        ):
            return self.get_response(request)
        if not _KEY.fullmatch(key):
            return _error(
                422, "Idempotency-Key は半角英数記号（空白なし）255 文字までで指定してください"
            )
        user = _user(request)
        if user is None:
            return self.get_response(request)  # the API answers 401
        digest = hashlib.sha256(
            b"\n".join([b"POST", request.path_info.encode(), request.body])
        ).hexdigest()
        now = timezone.now()
        IdempotencyKey.objects.filter(user=user, key=key, created_at__lt=now - _ttl()).delete()
        try:
            with transaction.atomic():
                record = IdempotencyKey.objects.create(
                    user=user, key=key, request_hash=digest, created_at=now
                )
        except IntegrityError:
            first = IdempotencyKey.objects.filter(user=user, key=key).first()
            if first is None:  # deleted in between: run it as new
                return self.get_response(request)
            if first.request_hash != digest:
                return _error(
                    422,
                    "この Idempotency-Key は別の内容のリクエストに使われています。"
                    "新しい登録には新しいキーを使ってください",
                )
            if first.status is None:
                return _error(409, CONFLICT)
            replay = HttpResponse(
                bytes(first.body), status=first.status, content_type=first.content_type
            )
            replay["Idempotent-Replayed"] = "true"
            # the answer may name a person: showing it again is a read of what it showed
            access_log_replayed(user=user, rows=first.logged)
            return replay
        try:
            with access_log_captured() as logged:
                response = self.get_response(request)
        except BaseException:
            record.delete()
            raise
        if 200 <= response.status_code < 300 and not response.streaming:
            record.status = response.status_code
            record.content_type = response.get("Content-Type", "application/json")
            record.body = response.content
            record.logged = logged_records(logged)
            record.save(update_fields=["status", "content_type", "body", "logged"])
            idempotency_purge_schedule(now=now)
        else:
            record.delete()
        return response
