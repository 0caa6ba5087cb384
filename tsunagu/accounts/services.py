"""Writes of staff accounts."""

from __future__ import annotations

import datetime as dt
import unicodedata
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from tsunagu.accounts.models import AccountEvent, Role, RoleAssignment, User, UserSession
from tsunagu.organizations.models import Organization


@transaction.atomic
def user_create(
    *,
    username: str,
    organization: Organization,
    roles: list[str],
    password: str | None,
    family_name: str = "",
    given_name: str = "",
    phone: str = "",
    title: str = "",
    start_date: dt.date | None = None,
    check_password: bool = True,
) -> User:
    """Create a staff account holding `roles` from `start_date` (today by default).

    The `admin` role also opens the administration site, for the user's own city only (a city
    administrator is never a superuser; see `core/admin_scope.py`). No personal-data model is
    registered there. Without a password the account cannot sign in until one is set.
    """
    unknown = [r for r in roles if r not in Role.values]
    if unknown:
        raise ValidationError(
            f"不明な役割です: {', '.join(unknown)}（使える役割: {', '.join(Role.values)}）"
        )
    if not roles:
        raise ValidationError("役割を1つ以上指定してください")
    if User.objects.filter(username=username).exists():
        raise ValidationError(f"ユーザー名 {username} は既に使われています")
    user = User(
        username=username,
        organization=organization,
        last_name=family_name,
        first_name=given_name,
        phone=phone,
        is_staff=Role.ADMIN in roles,
        is_superuser=False,
    )
    if password is None:
        user.set_unusable_password()
    else:
        if check_password:
            validate_password(password, user)
        user.set_password(password)
    user.full_clean()
    user.save()
    for role in roles:
        RoleAssignment.objects.create(
            user=user, role=role, title=title, start_date=start_date or timezone.localdate()
        )
    return user


@transaction.atomic
def operator_create(*, username: str, password: str) -> User:
    """The platform operator: hosts cities, belongs to none (a superuser without an
    organization). Created only on the server, by `tsunagu create-operator`."""
    if User.objects.filter(username=username).exists():
        raise ValidationError(f"ユーザー名 {username} は既に使われています")
    user = User(username=username, is_staff=True, is_superuser=True)
    validate_password(password, user)
    user.set_password(password)
    user.full_clean()
    user.save()
    return user


# --- sign-in security ---------------------------------------------------------------------


def account_event_record(
    *,
    kind: str,
    user: User | None = None,
    username: str = "",
    actor: User | None = None,
    ip_address: str | None = None,
    detail: str = "",
) -> AccountEvent:
    """One row of the sign-in history (called by the auth signal receivers and the services
    below; never edited afterwards)."""
    event = AccountEvent(
        kind=kind,
        user=user,
        username=(username or (user.username if user else ""))[:150],
        actor=actor,
        ip_address=ip_address or None,
        detail=detail[:200],
    )
    event.full_clean()
    event.save()
    return event


def _totp_model() -> Any:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    return TOTPDevice


@transaction.atomic
def two_factor_enrol_start(*, user: User) -> Any:
    """The authenticator app a user is about to enrol: a new secret, unconfirmed until a code
    from the app proves it was copied (an earlier unconfirmed one is replaced)."""
    device_model = _totp_model()
    device_model.objects.filter(user=user, confirmed=False).delete()
    return device_model.objects.create(user=user, name="認証アプリ", confirmed=False)


@transaction.atomic
def two_factor_enrol_confirm(
    *, user: User, device: Any, token: str, ip_address: str | None
) -> bool:
    """Confirm `device` with a code from the app; it then replaces any earlier device."""
    if device.user_id != user.pk or device.confirmed:
        return False
    if not device.verify_token(_digits(token)):
        account_event_record(
            kind=AccountEvent.Kind.TWO_FACTOR_FAILED,
            user=user,
            ip_address=ip_address,
            detail="登録時",
        )
        return False
    _totp_model().objects.filter(user=user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    account_event_record(
        kind=AccountEvent.Kind.TWO_FACTOR_ENROLLED, user=user, ip_address=ip_address
    )
    return True


def two_factor_check(*, user: User, token: str, ip_address: str | None) -> Any | None:
    """The confirmed device that accepts `token`, or None. django-otp slows down guessing: after
    each wrong code the device refuses codes for an exponentially growing time."""
    for device in _totp_model().objects.filter(user=user, confirmed=True):
        with transaction.atomic():
            locked = device.__class__.objects.select_for_update().get(pk=device.pk)
            if locked.verify_token(_digits(token)):
                account_event_record(
                    kind=AccountEvent.Kind.TWO_FACTOR_OK, user=user, ip_address=ip_address
                )
                return locked
    account_event_record(kind=AccountEvent.Kind.TWO_FACTOR_FAILED, user=user, ip_address=ip_address)
    return None


def _digits(token: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFKC", token) if ch.isdigit())


@transaction.atomic
def two_factor_reset(*, user: User, actor: User) -> None:
    """A manager's recovery for a lost phone: remove the user's authenticator apps and end their
    sessions; at the next sign-in they enrol a new app."""
    _totp_model().objects.filter(user=user).delete()
    UserSession.objects.filter(user=user).delete()
    account_event_record(kind=AccountEvent.Kind.TWO_FACTOR_RESET, user=user, actor=actor)


@transaction.atomic
def account_unlock(*, user: User, actor: User) -> int:
    """Lift a lockout (django-axes' failure counters for the user name) before it expires."""
    from axes.utils import reset

    removed = int(reset(username=user.username))
    account_event_record(kind=AccountEvent.Kind.UNLOCKED, user=user, actor=actor)
    return removed


@transaction.atomic
def sessions_end(*, user: User, actor: User | None = None) -> int:
    """Log out everywhere: end every session of `user`, on every device."""
    ended, _ = UserSession.objects.filter(user=user).delete()
    account_event_record(
        kind=AccountEvent.Kind.LOGOUT_EVERYWHERE,
        user=user,
        actor=actor if actor and actor.pk != user.pk else None,
        detail=f"{ended} 件のセッションを終了",
    )
    return int(ended)
