"""The portal's background tasks."""

from __future__ import annotations

from django.tasks import task

from tsunagu.portal.idempotency import idempotency_purge


@task
def idempotency_purge_task() -> int:
    """Delete the expired API idempotency keys (their kept answers may name a person).
    Enqueued by `portal.idempotency.idempotency_purge_schedule` when a key is stored."""
    return idempotency_purge()
