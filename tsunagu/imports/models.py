"""Imports of the agencies' own records (CSV) and the progress of one import through the web.

The command line imports a file in one go; the web keeps an `ImportJob` so a large file can be
checked a chunk at a time, with a progress bar, before everything is written in one transaction.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from tsunagu.access.scoping import ScopedManager, ScopedQuerySet, UnscopedManager
from tsunagu.organizations.models import Organization


class ImportKind(models.TextChoices):
    PERSONS = "persons", "本人"
    CONSULTATIONS = "consultations", "相談"


class ImportJobQuerySet(ScopedQuerySet["ImportJob"]):
    def visibility(self, organization: Organization) -> Q:
        return Q(organization=organization)  # a job, like what it imports, is its org's


class ImportJob(models.Model):
    """One uploaded file on its way into the database.

    `text` holds the decoded file only while it is being checked: it is personal data, so it
    is emptied as soon as the job is done or has failed.
    """

    class Status(models.TextChoices):
        VALIDATING = "validating", "確認中"
        # every row is fine, but some look like persons the city already knows: the importer
        # decides row by row (link to the existing record, or register anew) before anything
        # is written
        CONFIRMING = "confirming", "同一人物の確認待ち"
        # decided (or nothing to decide): the write runs as a background task
        WRITING = "writing", "登録中"
        FAILED = "failed", "エラーあり（登録なし）"
        DONE = "done", "完了"

    organization = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        related_name="import_jobs",
        verbose_name="取り込み先の機関",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="取り込んだ職員",
    )
    kind = models.CharField("種類", max_length=16, choices=ImportKind.choices)
    file_name = models.CharField("ファイル名", max_length=255)
    encoding = models.CharField("文字コード", max_length=32, blank=True)
    text = models.TextField("ファイルの内容", blank=True)
    # Where the next chunk starts: a character offset into `text` and the lines before it.
    next_offset = models.PositiveBigIntegerField(default=0)
    next_line = models.PositiveIntegerField(default=0)
    total_rows = models.PositiveIntegerField("行数", default=0)
    processed_rows = models.PositiveIntegerField("確認した行数", default=0)
    status = models.CharField(
        "状態", max_length=16, choices=Status.choices, default=Status.VALIDATING
    )
    errors = models.JSONField("エラー", default=list, blank=True)
    error_count = models.PositiveIntegerField("エラーの数", default=0)
    created_count = models.PositiveIntegerField("新規", default=0)
    updated_count = models.PositiveIntegerField("更新", default=0)
    unchanged_count = models.PositiveIntegerField("変更なし", default=0)
    skipped_count = models.PositiveIntegerField("取り込み済み", default=0)
    linked_count = models.PositiveIntegerField("既存の記録に結び付け", default=0)
    # Rows that look like a person the city already knows (see services.KnownPerson.as_json).
    known = models.JSONField("同一人物の可能性", default=list, blank=True)
    # The importer's decision per row: {"<line>": <id of the own record to link to> or 0 (new)}
    decisions = models.JSONField("結び付けの判断", default=dict, blank=True)
    decided_at = models.DateTimeField("判断日時", null=True, blank=True)
    # the background task that writes the rows (core/tasks.py), to show its state
    task_id = models.CharField("登録の処理", max_length=64, blank=True)
    created_at = models.DateTimeField("開始日時", auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    finished_at = models.DateTimeField("終了日時", null=True, blank=True)

    objects = ScopedManager["ImportJob"](ImportJobQuerySet)
    dangerously_unscoped = UnscopedManager()

    class Meta:
        default_manager_name = "dangerously_unscoped"
        verbose_name = "取り込み"
        verbose_name_plural = "取り込み"
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["organization", "created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=ImportKind.values), name="import_job_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["validating", "confirming", "writing", "failed", "done"]),
                name="import_job_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(processed_rows__lte=F("total_rows")),
                name="import_job_processed_within_total",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["validating", "confirming", "writing"])
                | Q(finished_at__isnull=False),
                name="import_job_finished_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.file_name}"

    @property
    def percent(self) -> int:
        if not self.total_rows:
            return 100 if not self.in_progress else 0
        return self.processed_rows * 100 // self.total_rows

    @property
    def in_progress(self) -> bool:
        return self.status in (self.Status.VALIDATING, self.Status.CONFIRMING, self.Status.WRITING)

    @property
    def linkable(self) -> list[dict[str, object]]:
        """The rows the importer decides on: link to an existing record of their own
        organization, or register as the same person as an earlier row of the file."""
        return [k for k in self.known if k.get("person_id") or k.get("first_line")]
