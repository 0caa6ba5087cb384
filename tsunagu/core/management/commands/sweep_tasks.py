"""`tsunagu sweep_tasks`: settle now the tasks that dead workers left running (what every
`tsunagu db_worker` also does as it starts and every few minutes; core/lost_tasks.py)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from tsunagu.core.lost_tasks import lost_tasks_sweep


class Command(BaseCommand):
    help = "Fail the background tasks whose worker has died and put their records right"

    def handle(self, *args: Any, **options: Any) -> None:
        settled = lost_tasks_sweep()
        for lost in settled:
            recovered = "recovered" if lost.recovered else "no recovery"
            self.stdout.write(
                f"{lost.result_id} {lost.task_path} failed ({recovered}): {lost.reason}"
            )
        self.stdout.write(f"{len(settled)} lost task(s) settled")
