from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from tsunagu.accounts.models import RoleAssignment, User


class RoleAssignmentInline(admin.TabularInline[RoleAssignment, User]):
    model = RoleAssignment
    extra = 0


@admin.register(User)
class UserAdmin(DjangoUserAdmin[User]):
    list_display = ["username", "last_name", "first_name", "organization", "is_active"]
    list_filter = ["organization__municipality", "is_active"]
    raw_id_fields = ["organization"]
    inlines = [RoleAssignmentInline]
    fieldsets = (
        *(DjangoUserAdmin.fieldsets or ()),
        ("所属", {"fields": ("organization", "phone")}),
    )
