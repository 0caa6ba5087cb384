"""A generation asked for in the background (`runs.py`): what to generate, and how it ended.

A synthetic city holds fictional people only, so a run is not personal data; it is the platform
operator's, seen in the admin site.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q


class GenerationRun(models.Model):
    """One `tsunagu generate --background`: a background task generates the city in one
    transaction (nothing is left by a run that fails). While it runs, its progress lines are in
    the shared cache (`runs.generation_progress`): the generation's own transaction cannot show
    them to anyone else before it commits."""

    class Status(models.TextChoices):
        QUEUED = "queued", "順番待ち"
        RUNNING = "running", "生成中"
        DONE = "done", "完了"
        FAILED = "failed", "失敗"

    residents = models.PositiveIntegerField("住民の数")
    years = models.PositiveSmallIntegerField("記録の年数")
    seed = models.IntegerField("乱数の種")
    city = models.CharField("体制の元にする市", max_length=32)
    slug = models.SlugField("作る市の識別名", max_length=50)
    until = models.DateField("記録の最終日", null=True, blank=True)
    status = models.CharField("状態", max_length=8, choices=Status.choices, default=Status.QUEUED)
    message = models.CharField("失敗の理由", max_length=500, blank=True)
    counts = models.JSONField("書いた行の数", default=dict, blank=True)
    seconds = models.FloatField("かかった秒数", null=True, blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField("依頼日時", auto_now_add=True)
    started_at = models.DateTimeField("開始日時", null=True, blank=True)
    finished_at = models.DateTimeField("完了日時", null=True, blank=True)

    class Meta:
        verbose_name = "市の生成"
        verbose_name_plural = "市の生成"
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["queued", "running", "done", "failed"]),
                name="generation_run_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(residents__gte=1000) & Q(years__gte=1),
                name="generation_run_size_valid",
            ),
        ]

    def __str__(self) -> str:
        size = f"住民 {self.residents:,} 人・{self.years} 年"
        return f"{self.slug}（{size}）{self.get_status_display()}"

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)
