"""Writes of the evaluation: actuals entered by hand."""

from __future__ import annotations

import unicodedata
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction

from tsunagu.accounts.models import User
from tsunagu.cityplan.models import Indicator
from tsunagu.evaluation.models import ManualActual


def parse_actual(text: str) -> Decimal:
    """A figure as staff type it (全角, 1,234, 12.5); a clear message otherwise."""
    cleaned = unicodedata.normalize("NFKC", text or "").strip().replace(",", "")
    if not cleaned:
        raise ValidationError("実績を入力してください")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise ValidationError(
            f"実績は数値で入力してください（「{text}」は数値ではありません）"
        ) from None
    if not value.is_finite() or value < 0:
        raise ValidationError("実績は0以上の数値で入力してください")
    if value != value.quantize(Decimal("0.001")):
        raise ValidationError("実績の小数点以下は3桁までです")
    if abs(value) >= Decimal("1e11"):
        raise ValidationError("実績の桁数が多すぎます")
    return value


@transaction.atomic
def manual_actual_set(
    *, user: User, indicator: Indicator, fiscal_year: int, value: Decimal, note: str = ""
) -> ManualActual:
    """Enter (or correct) the actual of an indicator that is not computed from the records; who
    entered it and when are kept on the row."""
    if indicator.computation:
        raise ValidationError("この指標は記録から計算します（手入力はできません）")
    entry = (
        ManualActual.objects.select_for_update()
        .filter(
            municipality_id=indicator.municipality_id,
            indicator_code=indicator.code,
            fiscal_year=fiscal_year,
        )
        .first()
    ) or ManualActual(
        municipality_id=indicator.municipality_id,
        indicator_code=indicator.code,
        fiscal_year=fiscal_year,
    )
    entry.value = value
    entry.note = note
    entry.entered_by = user
    entry.full_clean()
    entry.save()
    return entry
