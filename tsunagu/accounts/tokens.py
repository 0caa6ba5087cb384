"""API tokens: a staff member's key for the JSON API (`Authorization: Token <key>`).

Only the SHA-256 of a key is stored; the raw key is returned once, when it is created. A key is
looked up by its hash (so no secret is compared in Python), and only a live key of an active
staff member who belongs to an organization authenticates.
"""

from __future__ import annotations

import hashlib
import secrets

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from tsunagu.accounts.models import ApiToken, User

# A recognisable prefix lets secret scanners and people tell a leaked key for what it is.
KEY_PREFIX = "tsunagu_"


def _key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@transaction.atomic
def api_token_create(*, user: User) -> str:
    """Issue a new key for `user` and return it; it cannot be shown again."""
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    ApiToken.objects.create(user=user, key_hash=_key_hash(key))
    return key


def api_token_revoke(*, token: ApiToken) -> None:
    ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())


def api_token_user(*, key: str) -> User | None:
    """The staff member a key acts for, or None for an unknown, revoked or orphaned key."""
    if not key:
        return None
    token = (
        ApiToken.objects.select_related("user__organization__municipality")
        .filter(key_hash=_key_hash(key), revoked_at__isnull=True)
        .first()
    )
    if token is None:
        return None
    user = token.user
    if not user.is_active or user.organization is None:
        return None
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    return user


def request_user(request: HttpRequest) -> User:
    """The staff member an API request was authenticated as (set by the API's token auth)."""
    user = getattr(request, "auth", None)
    if not isinstance(user, User):  # the API denies by default, so this is a wiring error
        raise PermissionDenied("API request without token authentication")
    return user
