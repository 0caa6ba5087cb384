"""Reads of the access log (the log is personal data too: only its holder's managers read it)."""

from __future__ import annotations

from django.db.models import QuerySet

from tsunagu.access.models import AccessLog


def person_access_log(*, person_id: int) -> QuerySet[AccessLog]:
    """Every logged read and write of one person record, newest first."""
    return (
        AccessLog.objects.filter(person_id=person_id)
        .select_related("user", "organization", "grant__meeting_agenda_item__meeting__body")
        .order_by("-at", "-pk")
    )
