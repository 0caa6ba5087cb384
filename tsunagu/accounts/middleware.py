"""Sign-in and the protections that apply to every page: sign-in required (the JSON API
authenticates by token instead and denies by default on its own, so it is not sent to the login
page), the idle timeout, the second factor, and no-store on everything seen signed in."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.middleware import LoginRequiredMiddleware as DjangoLoginRequired
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.urls import reverse
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.functional import LazyObject, empty

from tsunagu.accounts.models import AccountEvent
from tsunagu.accounts.selectors import has_confirmed_device, two_factor_required
from tsunagu.accounts.services import account_event_record
from tsunagu.accounts.signals import client_ip

API_PREFIX = "/api/"
LAST_ACTIVITY = "tsunagu_last_activity"
SIGNED_IN_AT = "tsunagu_signed_in_at"
# A request the page makes by itself (the idle warning's own check) is not activity.
BACKGROUND_HEADER = "HTTP_X_TSUNAGU_BACKGROUND"
ACTIVITY_RESOLUTION = 60  # seconds


def _is_session_request(request: HttpRequest) -> bool:
    return not request.path_info.startswith(API_PREFIX) and not request.path_info.startswith(
        settings.STATIC_URL
    )


class SessionUserMiddleware:
    """A page seen signed in reads its user hundreds of times (scoping, logging, the menu), and
    Django and django-otp each wrap it in a lazy object that costs a Python call on every read.
    For a session request the user is read anyway (the idle timeout, the second factor), so it
    is read here once, with the second factor's state, and the object itself handed down."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if _is_session_request(request):
            user: Any = getattr(request, "user", None)
            while isinstance(user, LazyObject):
                if user._wrapped is empty:
                    user._setup()
                user = user._wrapped
            if user is not None:
                request.user = user
        return self.get_response(request)


class IdleTimeoutMiddleware:
    """Ends a session after TSUNAGU_IDLE_TIMEOUT_MINUTES without a request from the user (the
    page shows a warning before that, `app.js`; this is the enforcement), and in any case
    SESSION_COOKIE_AGE (8 hours) after signing in, however active."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and _is_session_request(request):
            now = int(time.time())
            last = request.session.get(LAST_ACTIVITY)
            started = request.session.setdefault(SIGNED_IN_AT, now)
            too_old = isinstance(started, int) and now - started > settings.SESSION_COOKIE_AGE
            if too_old or (isinstance(last, int) and now - last > settings.IDLE_TIMEOUT_SECONDS):
                account_event_record(
                    kind=AccountEvent.Kind.IDLE_TIMEOUT, user=user, ip_address=client_ip(request)
                )
                request.tsunagu_idle_logout = True  # type: ignore[attr-defined]
                logout(request)
                back = request.get_full_path() if request.method == "GET" else "/"
                query = urlencode({"timeout": "1", "next": back})
                return HttpResponseRedirect(f"{reverse(settings.LOGIN_URL)}?{query}")
            # Saved at most once a minute: a session write on every request is not needed.
            active = not request.META.get(BACKGROUND_HEADER)
            if not isinstance(last, int) or (active and now - last >= ACTIVITY_RESOLUTION):
                request.session[LAST_ACTIVITY] = now
        return self.get_response(request)


TWO_FACTOR_OPEN = ("accounts:two_factor_verify", "accounts:two_factor_setup", "accounts:logout")


class TwoFactorMiddleware:
    """A signed-in user who must give a second factor and has not yet done so in this session
    sees only the verification page (or, the first time, the enrolment page) and logout."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response
        self._open: set[str] | None = None

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and _is_session_request(request)
            and request.path_info not in self._open_paths()
            and not user.is_verified()
            and two_factor_required(user)
        ):
            name = (
                "accounts:two_factor_verify"
                if has_confirmed_device(user)
                else "accounts:two_factor_setup"
            )
            query = urlencode({"next": request.get_full_path()})
            if request.headers.get("HX-Request"):
                response = HttpResponse(status=204)
                response["HX-Redirect"] = f"{reverse(name)}?{query}"
                return response
            return HttpResponseRedirect(f"{reverse(name)}?{query}")
        return self.get_response(request)

    def _open_paths(self) -> set[str]:
        if self._open is None:
            self._open = {reverse(name) for name in TWO_FACTOR_OPEN}
        return self._open


class LoginRequiredMiddleware(DjangoLoginRequired):
    def process_view(
        self, request: HttpRequest, view_func: Any, view_args: Any, view_kwargs: Any
    ) -> HttpResponseBase | None:
        if request.path_info.startswith(API_PREFIX):
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)


class NoStoreMiddleware:
    """`Cache-Control: no-store` on every response that may carry personal data: every page
    seen signed in (screens, prints, CSV), and every API response. Neither the browser nor a
    proxy keeps a copy on disk, and Back after logout does not show the page again."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        signed_in = user is not None and user.is_authenticated
        if signed_in or request.path_info.startswith(API_PREFIX):
            patch_cache_control(response, no_store=True, private=True, max_age=0)
            patch_vary_headers(response, ["Cookie"])
        return response
