"""Actuals entered by hand, for indicators the records cannot count (manual bindings); the
annual report's runs and their downloads."""

from django.conf import settings
from django.db import models

from tsunagu.core.tasks import RunProgress
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


class ReportRun(RunProgress, models.Model):
    """One annual report asked for on the page: made by a background task, kept for download.

    The report holds counts, not anyone's record, so the run is the city's: its managers and
    administrators follow and download it (`report_runs.py`)."""

    class Format(models.TextChoices):
        XLSX = "xlsx", "Excel（.xlsx）"
        PDF = "pdf", "PDF（A4）"
        JSON = "json", "JSON"

    class Status(models.TextChoices):
        QUEUED = "queued", "順番待ち"
        RUNNING = "running", "作成中"
        DONE = "done", "完了"
        FAILED = "failed", "失敗"

    municipality = models.ForeignKey(
        Municipality, on_delete=models.CASCADE, related_name="+", verbose_name="市"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="依頼者"
    )
    fiscal_year = models.PositiveSmallIntegerField("年度")
    format = models.CharField("形式", max_length=4, choices=Format.choices)
    status = models.CharField("状態", max_length=8, choices=Status.choices, default=Status.QUEUED)
    done_steps = models.PositiveIntegerField("済んだ段階", default=0)
    total_steps = models.PositiveIntegerField("段階の数", default=0)
    step_label = models.CharField("作成中の部分", max_length=200, blank=True)
    message = models.CharField("失敗の理由", max_length=500, blank=True)
    file_name = models.CharField("ファイル名", max_length=120, blank=True)
    content = models.BinaryField("ファイル", blank=True, editable=False)
    size = models.PositiveIntegerField("大きさ（バイト）", default=0)
    task_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField("依頼日時", auto_now_add=True)
    finished_at = models.DateTimeField("完了日時", null=True, blank=True)

    class Meta:
        verbose_name = "実施状況報告の作成"
        verbose_name_plural = "実施状況報告の作成"
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(format__in=["xlsx", "pdf", "json"]),
                name="report_run_format_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=["queued", "running", "done", "failed"]),
                name="report_run_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.municipality} {self.fiscal_year} {self.format} {self.status}"


class ReportDownload(models.Model):
    """Who downloaded a report and when (the report's own log)."""

    run = models.ForeignKey(ReportRun, on_delete=models.CASCADE, related_name="downloads")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "実施状況報告のダウンロード"
        verbose_name_plural = "実施状況報告のダウンロード"
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.run_id} {self.user_id} {self.at}"
