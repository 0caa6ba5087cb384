"""Sign-in history rows from Django's and django-axes' authentication signals."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from tsunagu.accounts.models import AccountEvent, User
from tsunagu.accounts.services import account_event_record


def client_ip(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    address = getattr(request, "axes_ip_address", None) or request.META.get("REMOTE_ADDR")
    return str(address) if address else None


def on_login(sender: Any, request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    account_event_record(kind=AccountEvent.Kind.LOGIN, user=user, ip_address=client_ip(request))


def on_login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    username = str(credentials.get("username") or "")[:150]
    if getattr(request, "axes_locked_out", False):
        return  # recorded once, as the lock itself (on_locked_out)
    account_event_record(
        kind=AccountEvent.Kind.LOGIN_FAILED,
        user=User.objects.filter(username=username).first() if username else None,
        username=username,
        ip_address=client_ip(request),
    )


def on_locked_out(
    sender: Any, request: HttpRequest | None, username: str | None, **kwargs: Any
) -> None:
    name = (username or "")[:150]
    account_event_record(
        kind=AccountEvent.Kind.LOCKED_OUT,
        user=User.objects.filter(username=name).first() if name else None,
        username=name,
        ip_address=client_ip(request),
    )


def on_logout(sender: Any, request: HttpRequest | None, user: User | None, **kwargs: Any) -> None:
    if user is None or getattr(request, "tsunagu_idle_logout", False):
        return  # an idle sign-out is recorded by the middleware, as such
    account_event_record(kind=AccountEvent.Kind.LOGOUT, user=user, ip_address=client_ip(request))
