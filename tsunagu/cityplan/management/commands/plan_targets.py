import json
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from tsunagu.cityplan.selectors import plan_target_rows
from tsunagu.core.export import SafeDictWriter
from tsunagu.organizations.models import Municipality

FIELDS = ["program", "organization", "indicator", "fiscal_year", "kind", "value", "unit"]


class Command(BaseCommand):
    help = "実施計画の目標と実績を1行ずつ出力します: tsunagu plan-targets ise --format csv"

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("city", help="市の識別名（load-plan で読み込んだもの）")
        parser.add_argument("--format", choices=["json", "csv"], default="json")

    def handle(self, *args: Any, city: str, format: str, **options: Any) -> None:
        municipality = Municipality.objects.filter(slug=city).first()
        if municipality is None:
            loaded = ", ".join(Municipality.objects.values_list("slug", flat=True)) or "なし"
            raise CommandError(
                f"市 {city!r} は読み込まれていません（読み込み済み: {loaded}）。"
                f"先に tsunagu load-plan {city} を実行してください"
            )
        rows = [r.as_output() for r in plan_target_rows(municipality=municipality)]
        if format == "json":
            self.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2))
        else:
            writer = SafeDictWriter(self.stdout, fieldnames=FIELDS, lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
