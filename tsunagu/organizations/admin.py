from django.contrib import admin

from tsunagu.organizations.models import Area, Municipality, Organization, OrganizationField


@admin.register(Municipality)
class MunicipalityAdmin(admin.ModelAdmin[Municipality]):
    list_display = [
        "name",
        "prefecture",
        "code",
        "plan_name",
        "plan_start_fiscal_year",
        "plan_end_fiscal_year",
    ]


@admin.register(Area)
class AreaAdmin(admin.ModelAdmin[Area]):
    list_display = ["name", "kind", "municipality", "parent"]
    list_filter = ["municipality", "kind"]
    search_fields = ["name", "code"]


class OrganizationFieldInline(admin.TabularInline[OrganizationField, Organization]):
    model = OrganizationField
    extra = 0


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin[Organization]):
    list_display = ["name", "kind", "operation", "operator", "municipality", "is_active"]
    list_filter = ["municipality", "kind", "operation", "is_active"]
    search_fields = ["name", "code", "operator", "address"]
    filter_horizontal = ["areas", "departments"]
    inlines = [OrganizationFieldInline]
