import datetime as dt
import time
from argparse import ArgumentParser
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from tsunagu.cityplan.planfile import known_cities
from tsunagu.synthetic.generate import GenerateError, Options, generate
from tsunagu.synthetic.models import GenerationRun
from tsunagu.synthetic.runs import (
    generation_progress,
    generation_run_create,
    generation_run_enqueue,
)

FOLLOW_SECONDS = 2.0


class Command(BaseCommand):
    help = (
        "負荷試験用に、種の市の体制を住民数に合わせて広げた架空の市を作ります"
        "（職員・住民・相談・つなぎ・事例・アクセス記録）。同じ引数なら同じ内容です。"
        "--background で処理を作業プロセス（tsunagu db_worker）に任せ、"
        "--follow 番号 で進み具合を表示します"
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--residents", type=int, help="住民の数（例: 300000）")
        parser.add_argument("--years", type=int, default=1, help="記録の年数（既定 1）")
        parser.add_argument("--seed", type=int, default=1, help="乱数の種（既定 1）")
        parser.add_argument(
            "--city", default="ise", help=f"体制の元にする市（{', '.join(known_cities())}）"
        )
        parser.add_argument("--slug", default="generated", help="作る市の識別名（既定 generated）")
        parser.add_argument(
            "--until",
            type=dt.date.fromisoformat,
            default=None,
            help="記録の最終日 YYYY-MM-DD（既定: 今日）。同じ日を指定すれば同じ内容になります",
        )
        parser.add_argument(
            "--background",
            action="store_true",
            help="この場で生成せず、作業プロセスに任せます（番号を表示して終わります）",
        )
        parser.add_argument(
            "--follow",
            type=int,
            metavar="番号",
            help="任せた生成の進み具合を、終わるまで表示します",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["follow"] is not None:
            self._follow(options["follow"])
            return
        if options["residents"] is None:
            raise CommandError("--residents（住民の数）を指定してください")
        if options["city"] not in known_cities():
            raise CommandError(f"市 {options['city']!r} のデータはありません")
        opts = Options(
            residents=options["residents"],
            years=options["years"],
            seed=options["seed"],
            city=options["city"],
            slug=options["slug"],
            until=options["until"],
        )
        if options["background"]:
            self._enqueue(opts)
            return
        try:
            report = generate(opts, progress=self.stdout.write)
        except GenerateError as exc:
            raise CommandError(str(exc)) from exc
        self._counts(report.counts)
        self.stdout.write(
            self.style.SUCCESS(
                f"{report.municipality.name}（{report.municipality.slug}）を "
                f"{report.seconds:.0f} 秒で作りました。職員のパスワードはすべて "
                f"{report.staff_password}（架空の職員・住民のみ）"
            )
        )

    def _counts(self, counts: dict[str, int]) -> None:
        for label, count in sorted(counts.items()):
            self.stdout.write(f"  {label:<40} {count:>12,}")

    def _enqueue(self, opts: Options) -> None:
        try:
            run = generation_run_create(opts)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        generation_run_enqueue(run)  # the run is committed: a worker will find it
        run.refresh_from_db()
        self.stdout.write(
            f"生成を作業プロセスに任せました（番号 {run.pk}、状態: {run.get_status_display()}）。"
            f"進み具合: tsunagu generate --follow {run.pk}"
        )

    def _follow(self, run_id: int) -> None:
        run = GenerationRun.objects.filter(pk=run_id).first()
        if run is None:
            raise CommandError(f"番号 {run_id} の生成はありません")
        shown, phase = 0, 0
        while True:
            progress = generation_progress(run_id)
            for number, line in enumerate(progress.lines, start=progress.first):
                if number >= shown:
                    self.stdout.write(line)
            shown = progress.first + len(progress.lines)
            if progress.done != phase:
                phase = progress.done
                self.stdout.write(f"段階 {phase}/{progress.total}（{progress.percent}%）")
            run.refresh_from_db()
            if run.finished:
                break
            time.sleep(FOLLOW_SECONDS)
        if run.status == GenerationRun.Status.FAILED:
            raise CommandError(f"生成できませんでした: {run.message}")
        self._counts(run.counts)
        self.stdout.write(
            self.style.SUCCESS(f"{run.slug} を {run.seconds or 0:.0f} 秒で作りました")
        )
