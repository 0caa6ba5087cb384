from __future__ import annotations

from decimal import Decimal

from django import forms

from tsunagu.evaluation.services import parse_actual


class ManualActualForm(forms.Form):
    value = forms.CharField(
        label="実績", max_length=30, error_messages={"required": "実績を入力してください"}
    )
    note = forms.CharField(label="備考", max_length=100, required=False)

    def clean_value(self) -> Decimal:
        return parse_actual(self.cleaned_data["value"])
