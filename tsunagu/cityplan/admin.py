from django.contrib import admin

from tsunagu.cityplan.models import Indicator, IndicatorValue, Program, ProgramOrganization
from tsunagu.core.admin_scope import CityScopedAdmin, CityScopedInline


class ProgramOrganizationInline(CityScopedInline[ProgramOrganization, Program]):
    model = ProgramOrganization
    extra = 0
    raw_id_fields = ["organization"]


@admin.register(Program)
class ProgramAdmin(CityScopedAdmin[Program]):
    list_display = ["name", "clause", "municipality", "start_fiscal_year"]
    list_filter = ["clause"]
    search_fields = ["name", "code", "existing_scheme"]
    inlines = [ProgramOrganizationInline]
    filter_horizontal = ["departments"]


class IndicatorValueInline(CityScopedInline[IndicatorValue, Indicator]):
    model = IndicatorValue
    extra = 0


@admin.register(Indicator)
class IndicatorAdmin(CityScopedAdmin[Indicator]):
    list_display = ["name", "unit", "program", "organization", "municipality"]
    list_filter = []
    search_fields = ["name", "code"]
    inlines = [IndicatorValueInline]
    raw_id_fields = ["program", "organization"]
