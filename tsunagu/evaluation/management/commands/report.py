from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from tsunagu.core.fiscal import parse_wareki_fiscal_year, wareki_fiscal_year
from tsunagu.evaluation.report import (
    FORMATS,
    ReportError,
    municipality_by_slug,
    report_write,
)
from tsunagu.organizations.models import Municipality


class Command(BaseCommand):
    help = (
        "年度の実施状況報告を作ります: "
        "tsunagu report --fiscal-year 2026 --format xlsx --output 報告.xlsx [--city imizu]"
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--fiscal-year", dest="fiscal_year", required=True, help="年度（2026, 令和8, R8）"
        )
        parser.add_argument("--format", dest="fmt", choices=list(FORMATS), required=True)
        parser.add_argument("--output", required=True, help="書き出すファイル")
        parser.add_argument(
            "--city", default="", help="市の識別名（複数の市を読み込んでいるときは必須）"
        )

    def handle(
        self, *args: Any, fiscal_year: str, fmt: str, output: str, city: str, **options: Any
    ) -> None:
        try:
            year = parse_wareki_fiscal_year(fiscal_year)
        except ValueError as exc:
            raise CommandError(
                f"--fiscal-year {fiscal_year!r} は年度として読めません（例: 2026, 令和8）"
            ) from exc
        try:
            municipality = municipality_by_slug(city) if city else self._only_city()
            verbosity = int(options.get("verbosity", 1))

            def progress(done: int, total: int, label: str) -> None:
                if verbosity > 1:
                    self.stderr.write(f"{done}/{total} {label}")

            size = report_write(
                municipality=municipality,
                fiscal_year=year,
                fmt=fmt,
                output=Path(output),
                progress=progress,
            )
        except ReportError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"{municipality.name} {wareki_fiscal_year(year)}の実施状況報告を {output} に"
            f"書き出しました（{size:,} バイト）"
        )

    def _only_city(self) -> Municipality:
        cities = list(Municipality.objects.order_by("slug"))
        if len(cities) == 1:
            return cities[0]
        if not cities:
            raise ReportError("市が読み込まれていません。先に tsunagu load-plan を実行してください")
        names = "、".join(c.slug for c in cities)
        raise ReportError(f"複数の市があります。--city で指定してください（{names}）")
