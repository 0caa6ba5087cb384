from __future__ import annotations

from typing import Any, cast

from django import forms

from tsunagu.cityplan.models import PlanVersion
from tsunagu.core.fiscal import wareki_fiscal_year
from tsunagu.core.once import OnceFormMixin
from tsunagu.evaluation.models import ReportRun
from tsunagu.organizations.models import Municipality


def plan_fiscal_years(municipality: Municipality) -> list[int]:
    years: set[int] = set()
    for version in PlanVersion.objects.filter(municipality=municipality):
        years.update(version.fiscal_years())
    return sorted(years, reverse=True)


class ReportForm(OnceFormMixin):
    fiscal_year = forms.TypedChoiceField(label="年度", coerce=int)
    format = forms.ChoiceField(label="形式", choices=ReportRun.Format.choices)

    def __init__(self, *args: Any, municipality: Municipality, today_year: int, **kw: Any) -> None:
        super().__init__(*args, **kw)
        years = plan_fiscal_years(municipality)
        field = cast(forms.TypedChoiceField, self.fields["fiscal_year"])
        field.choices = [(y, f"{wareki_fiscal_year(y)}（{y}年度）") for y in years]
        field.error_messages["invalid_choice"] = "計画期間の年度から選んでください"
        if not self.is_bound and years:
            self.initial.setdefault("fiscal_year", today_year if today_year in years else years[0])
