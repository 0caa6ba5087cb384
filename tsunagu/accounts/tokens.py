"""API tokens: a staff member's key for the JSON API (`Authorization: Token <key>`).

Only the SHA-256 of a key is stored; the raw key is returned once, when it is created. A key is
looked up by its hash (so no secret is compared in Python), and only a live key (not revoked,
not expired) of an active staff member who belongs to an organization authenticates. Keys are
listed and revoked on the account page (/accounts/security/), by a manager of the same city,
and with `tsunagu tokens --user U` / `tsunagu revoke-token ID`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from tsunagu.accounts.models import AccountEvent, ApiToken, User
from tsunagu.accounts.services import account_event_record

# A recognisable prefix lets secret scanners and people tell a leaked key for what it is.
KEY_PREFIX = "tsunagu_"


def _key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@transaction.atomic
def api_token_create(
    *, user: User, label: str = "", days: int | None = None, actor: User | None = None
) -> str:
    """Issue a new key for `user` and return it; it cannot be shown again. It expires after
    `days` (TSUNAGU_API_TOKEN_DAYS by default)."""
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user=user, key_hash=_key_hash(key), label=label.strip())
    if days is not None:
        if days < 1:
            raise ValidationError("有効日数は1日以上にしてください")
        token.expires_at = timezone.now() + dt.timedelta(days=days)
    token.full_clean()
    token.save()
    account_event_record(
        kind=AccountEvent.Kind.TOKEN_CREATED,
        user=user,
        actor=actor if actor and actor.pk != user.pk else None,
        detail=f"トークン {token.pk}（{token.expires_at:%Y-%m-%d} まで）",
    )
    return key


@transaction.atomic
def api_token_revoke(*, token: ApiToken, actor: User | None = None) -> bool:
    """Revoke a key at once; False when it was already revoked."""
    changed = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    if changed:
        account_event_record(
            kind=AccountEvent.Kind.TOKEN_REVOKED,
            user=token.user,
            actor=actor if actor and actor.pk != token.user_id else None,
            detail=f"トークン {token.pk}",
        )
    return bool(changed)


def api_tokens_of(*, user: User) -> list[ApiToken]:
    """A staff member's keys, newest first (live, expired and revoked)."""
    return list(ApiToken.objects.filter(user=user).order_by("-created_at", "-pk"))


# A key's last use is written at most this often: the account page shows it to the minute, and
# a write on every API request would cost each one a round trip and a commit.
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)


def api_token_user(*, key: str) -> User | None:
    """The staff member a key acts for, or None for an unknown, revoked or orphaned key. Notes
    the key's use (`last_used_at`, to `LAST_USED_RESOLUTION`)."""
    if not key:
        return None
    token = (
        ApiToken.objects.select_related("user__organization__municipality")
        .filter(key_hash=_key_hash(key), revoked_at__isnull=True, expires_at__gt=timezone.now())
        .first()
    )
    if token is None:
        return None
    user = token.user
    if not user.is_active or user.organization is None:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return user


def request_user(request: HttpRequest) -> User:
    """The staff member an API request was authenticated as (set by the API's token auth)."""
    user = getattr(request, "auth", None)
    if not isinstance(user, User):  # the API denies by default, so this is a wiring error
        raise PermissionDenied("API request without token authentication")
    return user
