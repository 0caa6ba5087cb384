"""What the home page remembers: when each staff member last looked at it."""

from django.conf import settings
from django.db import models


class HomeVisit(models.Model):
    """The last time a staff member opened their home page, so that it can show what changed
    since (a referral declined, one that went past its due date)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name="職員"
    )
    at = models.DateTimeField("前回の表示")

    class Meta:
        verbose_name = "ホームの表示"
        verbose_name_plural = "ホームの表示"

    def __str__(self) -> str:
        return f"{self.user_id} {self.at:%Y-%m-%d %H:%M}"


class IdempotencyKey(models.Model):
    """The first answer to an API request that created something, under the client's
    `Idempotency-Key`: a retry of the same request (the same key, operation and body) gets this
    answer again instead of creating a second record (`portal/idempotency.py`).

    Keys belong to one staff member (the API token's user) and expire
    (`settings.IDEMPOTENCY_KEY_HOURS`); the stored answer may name a person, so expired rows are
    deleted, not kept."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name="職員"
    )
    key = models.CharField("キー", max_length=255)
    # sha256 of the method, the path and the body: a different request under the same key is
    # refused
    request_hash = models.CharField("リクエストの要約", max_length=64)
    status = models.PositiveSmallIntegerField("応答の状態", null=True, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    body = models.BinaryField("応答の本文", blank=True)
    # the records the first answer's access-log rows named (`access.services.logged_records`):
    # a replay shows them again, so it is logged as a read of each
    logged = models.JSONField("記録した対象", default=list, blank=True)
    created_at = models.DateTimeField("受け付けた日時")

    class Meta:
        verbose_name = "APIの冪等キー"
        verbose_name_plural = "APIの冪等キー"
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_unique_per_user")
        ]
        indexes = [models.Index(fields=["created_at"])]

    def __str__(self) -> str:
        return f"{self.user_id} {self.key}"
