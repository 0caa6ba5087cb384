"""Rate limits: per user on reads that reach across the city (person search), per address on
the public resource map.

Counted in the database (`RateCount`), in fixed windows: one statement per request, shared by
every server process and every server, atomic, and with one row per user or address however
long the system runs. (Django's file cache counted them before: each window left a file
behind, and each write lists the cache's folder, so once it held its 20,000 files every
search spent about 20 ms listing them.)
"""

from __future__ import annotations

import hashlib
import time

from django.conf import settings
from django.db import connection, transaction

from tsunagu.access.models import RateCount
from tsunagu.accounts.models import User

# Rows of windows that ended this long ago are deleted, by the first count of the first window
# of each hour (of every key counted then: a few small deletes an hour, by the index).
KEPT_SECONDS = 24 * 60 * 60
PURGE_EVERY = 60 * 60


class Throttled(Exception):
    """Too many requests of one kind from one user in the current window."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"しばらく待ってから、もう一度検索してください（約{retry_after}秒後）")
        self.retry_after = retry_after


def _table() -> str:
    return connection.ops.quote_name(RateCount._meta.db_table)


def count_in_window(key: str, window: int = 60) -> tuple[int, int]:
    """Count one request under `key` in the current fixed window of `window` seconds: the
    requests counted in it so far, and the seconds until the next window starts."""
    now = int(time.time())
    start = now - now % window
    digest = hashlib.sha256(key.encode()).hexdigest()
    table = _table()  # names from the model's metadata only; every value is a parameter
    outermost = not connection.in_atomic_block
    # its own transaction, or a part of the caller's (no savepoint: a count that fails fails it)
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        if outermost and connection.vendor == "postgresql":
            # a count lost in a crash costs nothing: its commit need not wait for the disk
            cursor.execute("SET LOCAL synchronous_commit TO OFF")
        cursor.execute(
            f"INSERT INTO {table} (key, window_start, count) VALUES (%s, %s, 1)"  # noqa: S608
            " ON CONFLICT (key) DO UPDATE SET count = CASE"
            f" WHEN {table}.window_start = excluded.window_start THEN {table}.count + 1"
            " ELSE 1 END, window_start = excluded.window_start RETURNING count",
            [digest, start],
        )
        (count,) = cursor.fetchone()
        if count == 1 and start % PURGE_EVERY < window:
            rate_counts_purge(now)
    return int(count), start + window - now


def rate_counts_purge(now: int) -> int:
    """Delete the counts of windows that started more than `KEPT_SECONDS` before `now`."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {_table()} WHERE window_start < %s",  # noqa: S608
            [now - KEPT_SECONDS],
        )
        return int(cursor.rowcount)


def throttle(*, user: User, kind: str, limit: int | None = None, window: int = 60) -> None:
    """Count one request; raise `Throttled` past `limit` requests in the window."""
    limit = limit if limit is not None else settings.PERSON_SEARCH_RATE_PER_MINUTE
    count, retry_after = count_in_window(f"{kind}:{user.pk}", window)
    if count > limit:
        raise Throttled(retry_after=retry_after)
