"""Sign-in is required for every page; the JSON API authenticates by token instead (and denies
by default on its own), so it is not sent to the login page."""

from typing import Any

from django.contrib.auth.middleware import LoginRequiredMiddleware as DjangoLoginRequired
from django.http import HttpRequest, HttpResponseBase

API_PREFIX = "/api/"


class LoginRequiredMiddleware(DjangoLoginRequired):
    def process_view(
        self, request: HttpRequest, view_func: Any, view_args: Any, view_kwargs: Any
    ) -> HttpResponseBase | None:
        if request.path_info.startswith(API_PREFIX):
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)
