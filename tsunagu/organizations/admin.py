from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from tsunagu.core.admin_scope import CityScopedAdmin, CityScopedInline
from tsunagu.organizations.models import Area, Municipality, Organization, OrganizationField


@admin.register(Municipality)
class MunicipalityAdmin(CityScopedAdmin[Municipality]):
    operator_only_add_delete = True  # a city is hosted by the platform operator
    list_display = [
        "name",
        "prefecture",
        "code",
        "plan_name",
        "plan_start_fiscal_year",
        "plan_end_fiscal_year",
    ]


@admin.register(Area)
class AreaAdmin(CityScopedAdmin[Area]):
    list_display = ["name", "kind", "municipality", "parent"]
    list_filter = ["kind"]
    search_fields = ["name", "code"]


class OrganizationFieldInline(CityScopedInline[OrganizationField, Organization]):
    model = OrganizationField
    extra = 0


@admin.register(Organization)
class OrganizationAdmin(CityScopedAdmin[Organization], SimpleHistoryAdmin):  # type: ignore[misc]
    """Organizations of the administrator's city, with their change history (履歴)."""

    list_display = ["name", "kind", "operation", "operator", "municipality", "is_active"]
    list_filter = ["kind", "operation", "is_active"]
    search_fields = ["name", "code", "operator", "address"]
    filter_horizontal = ["areas", "departments"]
    inlines = [OrganizationFieldInline]
