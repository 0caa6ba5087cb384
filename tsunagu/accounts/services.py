"""Writes of staff accounts."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from tsunagu.accounts.models import Role, RoleAssignment, User
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
