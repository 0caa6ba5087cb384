"""Typed requests: LoginRequiredMiddleware guarantees a signed-in user on every view that is
not marked `login_not_required`, so views may say so in their signature."""

from django.http import HttpRequest

from tsunagu.accounts.models import User


class AuthenticatedHttpRequest(HttpRequest):
    user: User
