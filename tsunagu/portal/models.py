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
