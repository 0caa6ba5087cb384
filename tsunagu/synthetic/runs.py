"""Generation as a background task: `tsunagu generate --background` records a `GenerationRun`
and enqueues it; the task worker (`tsunagu db_worker`) generates; `tsunagu generate --follow N`
and the admin site show how far it is.

The generation writes in one transaction, which nobody else can see into before it commits, so
its progress goes through the cache every process shares (settings.CACHES): the last few lines
the generator said. The run's own state (queued, running, done, failed) is in the database.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.tasks import task
from django.utils import timezone

from tsunagu.cityplan.planfile import known_cities
from tsunagu.core.lost_tasks import task_recovery
from tsunagu.core.tasks import run_enqueue
from tsunagu.synthetic.generate import GenerateError, Options, generate
from tsunagu.synthetic.models import GenerationRun

PROGRESS_LINES = 20  # the newest lines kept for the page and `--follow`
PROGRESS_SECONDS = 7 * 24 * 3600  # long enough for any run; gone with the cache otherwise


@dataclass(frozen=True)
class Progress:
    lines: list[str]  # the newest lines, numbered from `first`
    first: int
    done: int  # phases done: the structure, one per organization's activity, the finish
    total: int

    @property
    def percent(self) -> int:
        return 100 * self.done // self.total if self.total else 0


def _progress_key(run_id: int) -> str:
    return f"synthetic:generation:{run_id}"


def generation_progress(run_id: int) -> Progress:
    """What the generator of a run has said so far (its newest lines)."""
    kept = cache.get(_progress_key(run_id)) or {}
    return Progress(
        lines=list(kept.get("lines", [])),
        first=int(kept.get("first", 0)),
        done=int(kept.get("done", 0)),
        total=int(kept.get("total", 0)),
    )


def _keep(run_id: int, progress: Progress) -> None:
    drop = max(0, len(progress.lines) - PROGRESS_LINES)
    kept = {
        "lines": progress.lines[drop:],
        "first": progress.first + drop,
        "done": progress.done,
        "total": progress.total,
    }
    cache.set(_progress_key(run_id), kept, PROGRESS_SECONDS)


def _say(run_id: int, line: str) -> None:
    p = generation_progress(run_id)
    _keep(run_id, Progress([*p.lines, line], p.first, p.done, p.total))


def _steps(run_id: int, done: int, total: int) -> None:
    p = generation_progress(run_id)
    _keep(run_id, Progress(p.lines, p.first, done, total))


def generation_run_create(opts: Options) -> GenerationRun:
    """Record a generation to run in the background (enqueue it with `generation_run_enqueue`
    once this has committed)."""
    if opts.city not in known_cities():
        raise ValidationError({"city": f"市 {opts.city!r} のデータはありません"})
    run = GenerationRun(
        residents=opts.residents,
        years=opts.years,
        seed=opts.seed,
        city=opts.city,
        slug=opts.slug,
        until=opts.until,
    )
    run.full_clean()
    with transaction.atomic():
        run.save()
    return run


def generation_run_enqueue(run: GenerationRun) -> None:
    """Hand a recorded run to the task worker; a refused queue marks it failed."""
    run_enqueue(generation_run_task, run, fail=_fail, what="生成")


def _fail(run_id: int, message: str) -> None:
    GenerationRun.objects.filter(pk=run_id).exclude(status=GenerationRun.Status.DONE).update(
        status=GenerationRun.Status.FAILED, message=message[:500], finished_at=timezone.now()
    )


@task
def generation_run_task(run_id: int) -> None:
    """Generate a run's city; an unexpected failure marks the run failed (the generation's one
    transaction has rolled back: nothing is left) and fails the task."""
    try:
        generation_run_execute(run_id=run_id)
    except Exception as exc:
        _fail(
            run_id,
            f"生成中に予期しないエラーが起きました（{type(exc).__name__}: {exc}）。"
            "何も書き込んでいません",
        )
        raise


@task_recovery(generation_run_task)
def generation_run_lost(run_id: int) -> None:
    """The worker died while generating (core/lost_tasks.py): the generation's one transaction
    died with it, so the run fails with nothing written."""
    _fail(
        run_id,
        "生成の処理が途中で止まりました（処理を担当するプロセスが終了しました）。"
        "何も書き込んでいません。もう一度実行してください",
    )


def generation_run_execute(*, run_id: int) -> None:
    """Generate the city of a queued run (a run in any other state is left alone, so a second
    delivery of the task generates once)."""
    claimed = GenerationRun.objects.filter(pk=run_id, status=GenerationRun.Status.QUEUED).update(
        status=GenerationRun.Status.RUNNING, started_at=timezone.now()
    )
    if not claimed:
        return
    run = GenerationRun.objects.get(pk=run_id)
    opts = Options(
        residents=run.residents,
        years=run.years,
        seed=run.seed,
        city=run.city,
        slug=run.slug,
        until=run.until,
    )
    try:
        report = generate(
            opts,
            progress=lambda line: _say(run_id, line),
            steps=lambda done, total: _steps(run_id, done, total),
        )
    except GenerateError as exc:
        _fail(run_id, str(exc))
        return
    GenerationRun.objects.filter(pk=run_id, status=GenerationRun.Status.RUNNING).update(
        status=GenerationRun.Status.DONE,
        counts=report.counts,
        seconds=report.seconds,
        finished_at=timezone.now(),
    )
