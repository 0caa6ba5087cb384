"""Per-user rate limits on reads that reach across the city (person search).

Counted in Django's cache, in fixed windows. Production runs several server processes, so the
cache there must be shared (the database cache or a cache server; see docs/security.md).
"""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import cache

from tsunagu.accounts.models import User


class Throttled(Exception):
    """Too many requests of one kind from one user in the current window."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"しばらく待ってから、もう一度検索してください（約{retry_after}秒後）")
        self.retry_after = retry_after


def throttle(*, user: User, kind: str, limit: int | None = None, window: int = 60) -> None:
    """Count one request; raise `Throttled` past `limit` requests in the window."""
    limit = limit if limit is not None else settings.PERSON_SEARCH_RATE_PER_MINUTE
    now = int(time.time())
    start = now - now % window
    key = f"throttle:{kind}:{user.pk}:{start}"
    cache.add(key, 0, timeout=window + 1)
    try:
        count = cache.incr(key)
    except ValueError:  # evicted between add and incr
        cache.set(key, 1, timeout=window + 1)
        count = 1
    if count > limit:
        raise Throttled(retry_after=start + window - now)
