import datetime as dt
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from tsunagu.cityplan.planfile import known_cities
from tsunagu.synthetic.generate import GenerateError, Options, generate


class Command(BaseCommand):
    help = (
        "負荷試験用に、種の市の体制を住民数に合わせて広げた架空の市を作ります"
        "（職員・住民・相談・つなぎ・事例・アクセス記録）。同じ引数なら同じ内容です"
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--residents", type=int, required=True, help="住民の数（例: 300000）")
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

    def handle(self, *args: Any, **options: Any) -> None:
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
        try:
            report = generate(opts, progress=self.stdout.write)
        except GenerateError as exc:
            raise CommandError(str(exc)) from exc
        for label, count in sorted(report.counts.items()):
            self.stdout.write(f"  {label:<40} {count:>12,}")
        self.stdout.write(
            self.style.SUCCESS(
                f"{report.municipality.name}（{report.municipality.slug}）を "
                f"{report.seconds:.0f} 秒で作りました。職員のパスワードはすべて "
                f"{report.staff_password}（架空の職員・住民のみ）"
            )
        )
