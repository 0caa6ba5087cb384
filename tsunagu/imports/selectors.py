"""Reads of import jobs, and who may import.

A job, like the records it brings in, belongs to one organization: only that organization's
staff see it ("not allowed" and "not found" are the same 404).
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from tsunagu.accounts.models import Role, User
from tsunagu.imports.models import ImportJob

IMPORT_ROLES = (Role.COUNSELOR, Role.COORDINATOR, Role.MANAGER, Role.ADMIN)


def user_may_import(user: User) -> bool:
    """Staff with one of these roles may import into their own organization."""
    return user.organization_id is not None and user.has_role(*IMPORT_ROLES)


def import_job_get(*, user: User, pk: int) -> ImportJob:
    job = (
        ImportJob.objects.held_by(user).select_related("organization", "user").filter(pk=pk).first()
    )
    if job is None:
        raise Http404
    return job


def import_jobs_recent(*, user: User, limit: int = 20) -> QuerySet[ImportJob]:
    """The user's organization's latest jobs, without the file contents."""
    return ImportJob.objects.held_by(user).select_related("user").defer("text", "errors")[:limit]
