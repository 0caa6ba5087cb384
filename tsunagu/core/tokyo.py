"""Times as staff read them: Asia/Tokyo everywhere (pages, `__str__`, prints, CSV, the API).

The database keeps UTC; everything that leaves the system says the Tokyo time with its offset,
so a consultation taken at 07:13 is never shown on the day before.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from django.utils import timezone
from pydantic import PlainSerializer, WithJsonSchema

TOKYO_OFFSET = "+09:00"


def tokyo(moment: dt.datetime) -> dt.datetime:
    """The same instant in Asia/Tokyo (the project's TIME_ZONE)."""
    return timezone.localtime(moment) if timezone.is_aware(moment) else moment


def tokyo_iso(moment: dt.datetime) -> str:
    """2026-04-01T07:13:00+09:00"""
    return tokyo(moment).isoformat()


def tokyo_text(moment: dt.datetime, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """2026-04-01 07:13 (for `__str__` and messages)."""
    return tokyo(moment).strftime(fmt)


# A datetime field of the JSON API: written out in Tokyo time with its offset.
TokyoDateTime = Annotated[
    dt.datetime,
    PlainSerializer(tokyo_iso, return_type=str),
    WithJsonSchema(
        {
            "type": "string",
            "format": "date-time",
            "description": "日本時間（Asia/Tokyo、+09:00 付き）",
            "examples": ["2026-04-01T09:30:00+09:00"],
        }
    ),
]
