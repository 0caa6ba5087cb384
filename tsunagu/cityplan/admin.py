from django.contrib import admin

from tsunagu.cityplan.models import Indicator, IndicatorValue, Program, ProgramOrganization


class ProgramOrganizationInline(admin.TabularInline[ProgramOrganization, Program]):
    model = ProgramOrganization
    extra = 0
    raw_id_fields = ["organization"]


@admin.register(Program)
class ProgramAdmin(admin.ModelAdmin[Program]):
    list_display = ["name", "clause", "municipality", "start_fiscal_year"]
    list_filter = ["municipality", "clause"]
    search_fields = ["name", "code", "existing_scheme"]
    inlines = [ProgramOrganizationInline]
    filter_horizontal = ["departments"]


class IndicatorValueInline(admin.TabularInline[IndicatorValue, Indicator]):
    model = IndicatorValue
    extra = 0


@admin.register(Indicator)
class IndicatorAdmin(admin.ModelAdmin[Indicator]):
    list_display = ["name", "unit", "program", "organization", "municipality"]
    list_filter = ["municipality"]
    search_fields = ["name", "code"]
    inlines = [IndicatorValueInline]
    raw_id_fields = ["program", "organization"]
