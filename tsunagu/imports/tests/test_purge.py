"""An import left unfinished does not keep residents' data: after a day it is failed and its
file text dropped."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from tsunagu.accounts.models import User
from tsunagu.imports.models import ImportJob
from tsunagu.imports.services import import_job_start, import_jobs_purge_abandoned

CSV = "external_id,family_name,given_name\nX1,山田,花子\n".encode()


def test_abandoned_jobs_lose_their_text(counselor: User) -> None:
    job = import_job_start(user=counselor, kind="persons", file_name="a.csv", data=CSV)
    assert job.status == ImportJob.Status.VALIDATING and "山田" in job.text
    assert import_jobs_purge_abandoned() == 0  # fresh: kept
    later = timezone.now() + dt.timedelta(hours=25)
    assert import_jobs_purge_abandoned(now=later) == 1
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED and job.text == "" and job.finished_at


def test_starting_a_job_purges_old_ones(counselor: User) -> None:
    old = import_job_start(user=counselor, kind="persons", file_name="a.csv", data=CSV)
    ImportJob.dangerously_unscoped.filter(pk=old.pk).update(
        updated_at=timezone.now() - dt.timedelta(days=2)
    )
    import_job_start(user=counselor, kind="persons", file_name="b.csv", data=CSV)
    old.refresh_from_db()
    assert old.text == ""
