from django.contrib import admin

from tsunagu.cityplan.models import (
    Indicator,
    IndicatorValue,
    Milestone,
    PlanVersion,
    Program,
    ProgramOperation,
    ProgramOrganization,
)
from tsunagu.core.admin_scope import CityScopedAdmin, CityScopedInline


class ProgramOrganizationInline(CityScopedInline[ProgramOrganization, Program]):
    model = ProgramOrganization
    extra = 0
    raw_id_fields = ["organization"]


class ProgramOperationInline(CityScopedInline[ProgramOperation, Program]):
    model = ProgramOperation
    extra = 0


@admin.register(Program)
class ProgramAdmin(CityScopedAdmin[Program]):
    list_display = ["name", "category", "clause", "status", "municipality", "is_active"]
    list_filter = ["category", "clause", "is_active"]
    search_fields = ["name", "code", "existing_scheme"]
    inlines = [ProgramOperationInline, ProgramOrganizationInline]
    filter_horizontal = ["departments"]


class MilestoneInline(CityScopedInline[Milestone, PlanVersion]):
    model = Milestone
    extra = 0
    raw_id_fields = ["program"]


@admin.register(PlanVersion)
class PlanVersionAdmin(CityScopedAdmin[PlanVersion]):
    """Versions of the plan: loaded from plan files (`tsunagu load-plan`), not typed in."""

    operator_only_add_delete = True
    list_display = ["name", "start_fiscal_year", "end_fiscal_year", "published", "loaded_at"]
    readonly_fields = ["loaded_at"]
    inlines = [MilestoneInline]


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
