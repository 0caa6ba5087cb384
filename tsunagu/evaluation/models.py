"""Actuals entered by hand, for indicators the records cannot count (manual bindings)."""

from django.conf import settings
from django.db import models

from tsunagu.organizations.models import Municipality


class ManualActual(models.Model):
    """実績 of one indicator in one fiscal year, entered by a manager.

    Keyed by the indicator's code, not its row: reloading a plan file recreates a version's
    indicators, and an indicator kept across versions keeps its entered actuals.
    """

    municipality = models.ForeignKey(Municipality, on_delete=models.CASCADE, related_name="+")
    indicator_code = models.SlugField("指標コード", max_length=80)
    fiscal_year = models.PositiveSmallIntegerField("年度")
    value = models.DecimalField("実績", max_digits=14, decimal_places=3)
    note = models.CharField("備考", max_length=100, blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="入力者"
    )
    entered_at = models.DateTimeField("入力日時", auto_now=True)

    class Meta:
        verbose_name = "手入力の実績"
        verbose_name_plural = "手入力の実績"
        ordering = ["municipality", "indicator_code", "fiscal_year"]
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "indicator_code", "fiscal_year"],
                name="manual_actual_unique",
            ),
            models.CheckConstraint(condition=models.Q(value__gte=0), name="manual_actual_nonneg"),
        ]

    def __str__(self) -> str:
        return f"{self.indicator_code} {self.fiscal_year} {self.value}"
