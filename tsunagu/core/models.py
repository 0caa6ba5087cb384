"""What the core keeps: one row per create form that was sent, so it is written once."""

from django.db import models


class FormSubmission(models.Model):
    """A one-time form token that has been used, and where its result is.

    A second submission with the same token (a double click, the browser's resend, back and
    send again) finds this row and is taken to the record the first one created. The token is
    unique in the database, so two requests sent at the same moment cannot both write.
    """

    token = models.CharField("フォームの識別子", max_length=64, unique=True)
    result_url = models.CharField("作成した記録", max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = "フォームの送信"
        verbose_name_plural = "フォームの送信"

    def __str__(self) -> str:
        return self.token
