from __future__ import annotations

import io
from base64 import b32encode
from urllib.parse import urlencode

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render, resolve_url
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp.middleware import is_verified
from django_otp.plugins.otp_totp.models import TOTPDevice

from tsunagu.accounts.access import user_municipality
from tsunagu.accounts.forms import ApiTokenForm, TokenForm
from tsunagu.accounts.http import AuthenticatedHttpRequest
from tsunagu.accounts.models import ApiToken, User
from tsunagu.accounts.selectors import (
    account_events,
    account_status,
    can_manage,
    city_staff,
    has_confirmed_device,
    staff_roster,
    two_factor_required,
)
from tsunagu.accounts.services import (
    account_unlock,
    sessions_end,
    two_factor_check,
    two_factor_enrol_confirm,
    two_factor_enrol_start,
    two_factor_reset,
)
from tsunagu.accounts.signals import client_ip
from tsunagu.accounts.tokens import api_token_create, api_token_revoke, api_tokens_of
from tsunagu.core.fiscal import fiscal_year_of, parse_wareki_fiscal_year

PENDING_DEVICE = "tsunagu_pending_totp"


def roster(request: AuthenticatedHttpRequest) -> HttpResponse:
    """業務担当名簿 of a fiscal year, printable, shared with all the city's agencies."""
    municipality = user_municipality(request.user)
    today_fy = fiscal_year_of(
        timezone.localdate(), start_month=municipality.fiscal_year_start_month
    )
    requested = request.GET.get("fy", "")
    try:
        fiscal_year = parse_wareki_fiscal_year(requested) if requested else today_fy
    except ValueError as exc:
        raise Http404("年度が読めません") from exc
    context = {
        "municipality": municipality,
        "fiscal_year": fiscal_year,
        "roster": staff_roster(municipality=municipality, fiscal_year=fiscal_year),
        "years": range(today_fy - 2, today_fy + 2),
    }
    return render(request, "accounts/roster.html", context)


# --- second factor ------------------------------------------------------------------------


def _next_url(request: AuthenticatedHttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def _with_next(name: str, request: AuthenticatedHttpRequest) -> str:
    return f"{reverse(name)}?{urlencode({'next': _next_url(request)})}"


def _qr_svg(data: str) -> str:
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    out = io.BytesIO()
    image.save(out)
    svg = out.getvalue().decode()
    return svg[svg.index("<svg") :]  # inline: drop the XML declaration


def two_factor_setup(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Enrol an authenticator app: a QR code made here (no outside service), then one code from
    the app. Someone who has an app must first prove it before replacing it."""
    user = request.user
    if has_confirmed_device(user) and not is_verified(user):
        return redirect(
            f"{reverse('accounts:two_factor_verify')}?{urlencode({'next': _next_url(request)})}"
        )
    device = TOTPDevice.objects.filter(
        pk=request.session.get(PENDING_DEVICE), user=user, confirmed=False
    ).first()
    form = TokenForm(request.POST or None)
    if request.method == "POST" and device is not None and form.is_valid():
        if two_factor_enrol_confirm(
            user=user,
            device=device,
            token=form.cleaned_data["token"],
            ip_address=client_ip(request),
        ):
            del request.session[PENDING_DEVICE]
            otp_login(request, device)
            messages.success(request, "認証アプリを登録しました。次回から確認コードを入力します。")
            return HttpResponseRedirect(_next_url(request))
        form.add_error("token", "確認コードが違います。アプリの最新のコードを入力してください。")
    if device is None:
        device = two_factor_enrol_start(user=user)
        request.session[PENDING_DEVICE] = device.pk
    secret = b32encode(device.bin_key).decode()
    context = {
        "form": form,
        "qr": mark_safe(_qr_svg(device.config_url)),  # noqa: S308  (SVG we generated)
        "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
        "next": _next_url(request),
        "required": two_factor_required(user),
    }
    return render(request, "accounts/two_factor_setup.html", context)


def two_factor_verify(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The second step of signing in: a code from the enrolled authenticator app."""
    user = request.user
    if not has_confirmed_device(user):
        return redirect(
            f"{reverse('accounts:two_factor_setup')}?{urlencode({'next': _next_url(request)})}"
        )
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = two_factor_check(
            user=user, token=form.cleaned_data["token"], ip_address=client_ip(request)
        )
        if device is not None:
            otp_login(request, device)
            return HttpResponseRedirect(_next_url(request))
        form.add_error(
            "token",
            "確認コードが違います。続けて間違えると、しばらく入力できなくなります。"
            "アプリを失くしたときは所属の管理者に連絡してください。",
        )
    return render(
        request, "accounts/two_factor_verify.html", {"form": form, "next": _next_url(request)}
    )


# --- the user's own account ---------------------------------------------------------------


def security(request: AuthenticatedHttpRequest) -> HttpResponse:
    """My account: second factor, API tokens, sessions and sign-in history."""
    return _account_page(request, request.user, own=True)


def _account_page(request: AuthenticatedHttpRequest, user: User, *, own: bool) -> HttpResponse:
    context = {
        "account": user,
        "own": own,
        "status": account_status(user),
        "required": two_factor_required(user),
        "tokens": api_tokens_of(user=user),
        "events": account_events(user=user),
        "token_form": ApiTokenForm(),
        "new_key": request.session.pop("tsunagu_new_api_key", None) if own else None,
        "token_days": settings.API_TOKEN_DAYS,
        "manages_staff": can_manage(request.user, request.user),
    }
    return render(request, "accounts/security.html", context)


@require_POST
def logout_everywhere(request: AuthenticatedHttpRequest) -> HttpResponse:
    ended = sessions_end(user=request.user)
    logout(request)
    return redirect(f"{reverse('accounts:login')}?everywhere={ended}")


@require_POST
def token_issue(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = ApiTokenForm(request.POST)
    if form.is_valid():
        key = api_token_create(
            user=request.user,
            label=form.cleaned_data["label"] or "",
            days=form.cleaned_data["days"],
        )
        request.session["tsunagu_new_api_key"] = key  # shown once, on the next page
    else:
        messages.error(request, "有効日数は1〜366日で指定してください")
    return redirect("accounts:security")


@require_POST
def token_revoke(request: AuthenticatedHttpRequest, token_id: int) -> HttpResponse:
    token = get_object_or_404(ApiToken.objects.select_related("user__organization"), pk=token_id)
    own = token.user_id == request.user.pk
    if not (own or can_manage(request.user, token.user)):
        raise Http404
    if api_token_revoke(token=token, actor=request.user):
        messages.success(request, f"APIトークン {token.pk} を失効させました")
    if own:
        return redirect("accounts:security")
    return redirect("accounts:staff_detail", user_id=token.user_id)


# --- managers: the city's staff accounts --------------------------------------------------


def _manageable(request: AuthenticatedHttpRequest, user_id: int) -> User:
    staff = User.objects.select_related("organization__municipality").filter(pk=user_id).first()
    if staff is None or not can_manage(request.user, staff):
        raise Http404
    return staff


def staff_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Managers and administrators: the city's accounts, with locks and second factors."""
    if not can_manage(request.user, request.user):
        raise Http404
    rows = [account_status(u) for u in city_staff(manager=request.user)]
    return render(request, "accounts/staff_list.html", {"rows": rows})


def staff_detail(request: AuthenticatedHttpRequest, user_id: int) -> HttpResponse:
    staff = _manageable(request, user_id)
    return _account_page(request, staff, own=staff.pk == request.user.pk)


@require_POST
def staff_unlock(request: AuthenticatedHttpRequest, user_id: int) -> HttpResponse:
    staff = _manageable(request, user_id)
    account_unlock(user=staff, actor=request.user)
    messages.success(request, f"{staff.full_name} さんのロックを解除しました")
    return redirect("accounts:staff_detail", user_id=staff.pk)


@require_POST
def staff_two_factor_reset(request: AuthenticatedHttpRequest, user_id: int) -> HttpResponse:
    staff = _manageable(request, user_id)
    two_factor_reset(user=staff, actor=request.user)
    messages.success(
        request,
        f"{staff.full_name} さんの認証アプリを削除しました。次のログインで登録し直します。",
    )
    if staff.pk == request.user.pk:
        return redirect("accounts:login")
    return redirect("accounts:staff_detail", user_id=staff.pk)


@require_POST
def staff_logout_everywhere(request: AuthenticatedHttpRequest, user_id: int) -> HttpResponse:
    staff = _manageable(request, user_id)
    ended = sessions_end(user=staff, actor=request.user)
    messages.success(request, f"{staff.full_name} さんのセッションを {ended} 件終了しました")
    if staff.pk == request.user.pk:
        return redirect("accounts:login")
    return redirect("accounts:staff_detail", user_id=staff.pk)


@require_POST
def keepalive(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The idle warning's 続ける button: a request from the user, so the session goes on."""
    return HttpResponse(status=204)
