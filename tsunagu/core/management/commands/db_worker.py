"""`tsunagu db_worker`: django-tasks-db's worker, named after its process and sweeping up the
tasks of dead workers (core/lost_tasks.py).

This command replaces the package's because `tsunagu.core` comes before `django_tasks_db` in
INSTALLED_APPS (Django takes a command from the first app that has it). Everything else is the
package's: its options, its worker loop.

- The default --worker-id is `<host>:<pid>` (`worker_id_default`), so a sweep can tell whether
  the worker that claimed a task still runs; another id may still be given.
- A sweep runs as the worker starts and then every `TASK_SWEEP_MINUTES` in a thread beside the
  loop. It never touches a task whose worker is alive (this worker's own included), so it needs
  no pause in the loop; on SQLite a sweep that meets a lock waits for the next round.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.db import OperationalError, connection
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV
from django_tasks_db.management.commands import db_worker

from tsunagu.core.lost_tasks import lost_tasks_sweep, worker_id_default

logger = logging.getLogger(__name__)


def sweep_logged() -> None:
    """One sweep; what it settled goes to the log (the sweep logs each lost task)."""
    try:
        lost_tasks_sweep()
    except OperationalError as exc:  # SQLite busy with a task's write: the next round
        logger.warning("sweeping lost tasks put off: %s", exc)


def _sweep_every(seconds: float) -> None:
    while True:
        time.sleep(seconds)
        try:
            sweep_logged()
        except Exception:
            logger.exception("sweeping lost tasks failed")
        finally:
            connection.close()  # this thread's own connection


class Command(db_worker.Command):
    help = (
        "Run the background task worker (django-tasks-db's), named <host>:<pid>, sweeping up "
        "the tasks of workers that died (core/lost_tasks.py)"
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        super().add_arguments(parser)
        parser.set_defaults(worker_id=worker_id_default())
        for action in parser._actions:
            if action.dest == "worker_id":
                action.help = (
                    "Worker id, unique across the pool (default: <host>:<pid>, which lets a "
                    "sweep tell whether the worker still runs)"
                )

    def handle(self, *args: Any, **options: Any) -> None:
        reloader_parent = options.get("reload") and os.environ.get(DJANGO_AUTORELOAD_ENV) != "true"
        if not reloader_parent:  # the reloader's parent only restarts the worker
            sweep_logged()
            minutes = settings.TASK_SWEEP_MINUTES
            if minutes and not options.get("batch"):
                threading.Thread(
                    target=_sweep_every, args=(minutes * 60,), name="lost-tasks-sweep", daemon=True
                ).start()
        super().handle(*args, **options)
