"""One-time form tokens: a create form that is sent twice writes once.

Every create form carries a signed token (`OnceFormMixin`). `submit_once` writes the token's
row and the record in one transaction; the token is unique in the database, so a double
click, a resent form or the browser's back-and-resend finds the first submission's row and is
taken to what it created (`AlreadySubmitted`), and two requests at the same moment cannot both
succeed (the second waits for the first's row, then fails on the unique token).

`submit_once_then_redirect` is the whole shape of a view around it: submit once, say what was
written and go to it; a resend goes to the first submission's result; a refusal goes back.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable
from typing import Any, Literal, overload

from django import forms
from django.contrib import messages
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect
from django.utils import timezone

from tsunagu.core.forms import add_service_errors
from tsunagu.core.models import FormSubmission

TOKEN_FIELD = "form_token"  # noqa: S105 (a field name, not a secret)
_SALT = "tsunagu.core.once"
MAX_AGE = dt.timedelta(days=2)
EXPIRED = "この画面は古くなりました。入力内容を確かめて、もう一度送信してください"
MISSING = "送信の識別子がありません。画面を開き直してから入力してください"


def form_token_new() -> str:
    return signing.dumps(secrets.token_urlsafe(24), salt=_SALT)


def form_token_read(value: str) -> str:
    """The token's nonce; raises signing.BadSignature (incl. expired) for anything else."""
    nonce = signing.loads(value, salt=_SALT, max_age=MAX_AGE)
    if not isinstance(nonce, str) or not nonce:
        raise signing.BadSignature("not a form token")
    return nonce


class AlreadySubmitted(Exception):
    """This form was sent before; `url` shows what the first submission created."""

    message = (
        "この入力は既に送信されています（二重に登録されないよう、最初の送信だけを記録しました）"
    )

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.url = url


class OnceFormMixin(forms.Form):
    """A hidden one-time token on a create form; `submit_once` uses it.

    An unbound form gets a fresh token. A bound form whose token is missing, forged or too old
    is invalid, with a new token in place so that sending again (after reading the message)
    works and nothing typed is lost.
    """

    form_token = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """`once=False`: the same form class editing a record, which carries no token."""
        once = bool(kwargs.pop("once", True))
        super().__init__(*args, **kwargs)
        if not once:
            del self.fields[TOKEN_FIELD]
        elif not self.is_bound:
            self.initial[TOKEN_FIELD] = form_token_new()

    def clean_form_token(self) -> str:
        value = self.cleaned_data.get(TOKEN_FIELD) or ""
        try:
            return form_token_read(value)
        except signing.BadSignature:
            data = dict(self.data.lists()) if hasattr(self.data, "lists") else dict(self.data)
            fresh = QueryDict(mutable=True)
            for key, values in data.items():
                fresh.setlist(key, values if isinstance(values, list) else [values])
            fresh[TOKEN_FIELD] = form_token_new()
            self.data = fresh
            self.add_error(None, EXPIRED if value else MISSING)
            return ""


def submit_once[T](*, form: OnceFormMixin, write: Callable[[], T], url: Callable[[T], str]) -> T:
    """Run `write` once per form token, in one transaction with the token's row.

    Raises AlreadySubmitted when the token was used; anything `write` raises (a
    ValidationError) rolls the token back too, so the corrected form can be sent again.
    """
    nonce: str = form.cleaned_data[TOKEN_FIELD]
    with transaction.atomic():
        try:
            with transaction.atomic():
                row = FormSubmission.objects.create(token=nonce)
        except IntegrityError:
            first = FormSubmission.objects.filter(token=nonce).first()
            raise AlreadySubmitted(first.result_url if first else "") from None
        result = write()
        row.result_url = url(result)
        row.save(update_fields=["result_url"])
    FormSubmission.objects.filter(created_at__lt=timezone.now() - MAX_AGE).delete()
    return result


@overload
def submit_once_then_redirect[T](
    request: HttpRequest,
    *,
    form: OnceFormMixin,
    write: Callable[[], T],
    url: Callable[[T], str],
    success: str,
    back: str,
    errors_on_form: Literal[False] = False,
) -> HttpResponse: ...


@overload
def submit_once_then_redirect[T](
    request: HttpRequest,
    *,
    form: OnceFormMixin,
    write: Callable[[], T],
    url: Callable[[T], str],
    success: str,
    back: str,
    errors_on_form: Literal[True],
) -> HttpResponse | None: ...


def submit_once_then_redirect[T](
    request: HttpRequest,
    *,
    form: OnceFormMixin,
    write: Callable[[], T],
    url: Callable[[T], str],
    success: str,
    back: str,
    errors_on_form: bool = False,
) -> HttpResponse | None:
    """The shape of a view that creates through a one-time form: `submit_once`, then say so and
    go to what was written (`url(result)`).

    A form sent before goes to what its first submission created (or `back`), with the notice.
    A service refusal (ValidationError) is put on the form when `errors_on_form` (the caller
    renders the form again: the return is None), else shown as a message on `back`.
    """
    try:
        result = submit_once(form=form, write=write, url=url)
    except AlreadySubmitted as done:
        messages.info(request, done.message)
        return redirect(done.url or back)
    except ValidationError as exc:
        if errors_on_form:
            add_service_errors(form, exc)
            return None
        messages.error(request, " ".join(exc.messages))
        return redirect(back)
    messages.success(request, success)
    return redirect(url(result))
