from typing import Any

from django.conf import settings
from django.http import HttpRequest


def idle_timeout(request: HttpRequest) -> dict[str, Any]:
    """The idle timeout and its warning, for the page's own timer (app.js)."""
    return {
        "idle_timeout_seconds": settings.IDLE_TIMEOUT_SECONDS,
        "idle_warning_seconds": settings.IDLE_WARNING_SECONDS,
    }
