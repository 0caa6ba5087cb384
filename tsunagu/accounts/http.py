"""Typed requests: LoginRequiredMiddleware guarantees a signed-in user on every view that is
not marked `login_not_required`, so views may say so in their signature."""

from django.http import Http404, HttpRequest

from tsunagu.accounts.models import User


class AuthenticatedHttpRequest(HttpRequest):
    user: User


def id_param(value: object) -> int:
    """A record id sent in a form or query ("12"); anything else ("abc", "²", "1.5", "") is the
    same 404 as a record that does not exist, never a server error."""
    text = value if isinstance(value, str) else ""
    if not (text.isascii() and text.isdecimal()) or len(text) > 18:
        raise Http404
    return int(text)
