from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.http import HttpRequest

from tsunagu.accounts.models import ApiToken, RoleAssignment, User
from tsunagu.core.admin_scope import CityScopedAdmin, CityScopedInline, is_operator

# what only the platform operator may set on an account
OPERATOR_FIELDS = {"is_superuser", "groups", "user_permissions"}


class RoleAssignmentInline(CityScopedInline[RoleAssignment, User]):
    model = RoleAssignment
    extra = 0


@admin.register(User)
class UserAdmin(CityScopedAdmin[User], DjangoUserAdmin[User]):
    """Staff of the administrator's own city; a city administrator never makes a superuser."""

    city_lookup = "organization__municipality"
    list_display = ["username", "last_name", "first_name", "organization", "is_active"]
    list_filter = ["is_active"]
    raw_id_fields = ["organization"]
    inlines = [RoleAssignmentInline]
    fieldsets = (
        *(DjangoUserAdmin.fieldsets or ()),
        ("所属", {"fields": ("organization", "phone")}),
    )

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        fieldsets = super().get_fieldsets(request, obj)
        if is_operator(request):
            return fieldsets
        return [
            (name, {**opts, "fields": [f for f in opts["fields"] if f not in OPERATOR_FIELDS]})
            for name, opts in fieldsets
        ]


@admin.register(ApiToken)
class ApiTokenAdmin(CityScopedAdmin[ApiToken]):
    """API tokens of the city's staff: listed and revoked here (only a hash is stored)."""

    city_lookup = "user__organization__municipality"
    list_display = ["user", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["user", "key_hash", "created_at", "last_used_at", "revoked_at"]
    actions = ["revoke"]

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False  # tokens are issued by `tsunagu issue-token`, shown once

    @admin.action(description="選んだトークンを失効させる")
    def revoke(self, request: HttpRequest, queryset: Any) -> None:
        from tsunagu.accounts.tokens import api_token_revoke

        for token in queryset:
            api_token_revoke(token=token)
