from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from tsunagu.core.fiscal import wareki_fiscal_year
from tsunagu.core.partitioning import (
    YEARS_AHEAD,
    current_fiscal_year,
    ensure_fiscal_years,
    fiscal_year_partitioned_tables,
    partitions,
)


class Command(BaseCommand):
    help = (
        "年度ごとに分割した表（PostgreSQL のアクセス記録など）の区画を、推定行数と大きさとともに"
        "一覧します。--ahead N で今年度から N 年度先までの区画を作ります（既にあれば何もしません。"
        "既定の区画にその年度の行があれば移します）"
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--ahead",
            type=int,
            default=None,
            help=(
                "今年度から何年度先まで区画を作るか"
                f"（migrate のたびに {YEARS_AHEAD} 年度先まで作られます）"
            ),
        )

    def handle(self, *args: Any, ahead: int | None, **options: Any) -> None:
        if connection.vendor != "postgresql":
            raise CommandError("区画分割は PostgreSQL だけです（SQLite では表を分割しません）")
        if ahead is not None and ahead < 0:
            raise CommandError("--ahead は 0 以上にしてください")
        tables = fiscal_year_partitioned_tables(connection)
        if not tables:
            self.stdout.write(
                "年度ごとに分割した表はありません（tsunagu migrate を実行してください）"
            )
            return
        for table, column in tables.items():
            if ahead is not None:
                year = current_fiscal_year()
                for name in ensure_fiscal_years(
                    connection, table, column, range(year, year + ahead + 1)
                ):
                    self.stdout.write(f"作成: {name}")
            self.stdout.write(f"{table}（{column} の年度で分割）")
            for p in partitions(connection, table):
                label = "既定" if p.is_default else wareki_fiscal_year(p.fiscal_year or 0)
                rows = "未集計" if p.rows_estimate < 0 else f"約 {p.rows_estimate:,} 行"
                self.stdout.write(
                    f"  {p.name}\t{label}\t{rows}\t{p.total_bytes / 1024 / 1024:,.1f} MB"
                )
