import json
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from tsunagu.cityplan.models import PlanVersion
from tsunagu.cityplan.selectors import plan_target_rows, plan_versions
from tsunagu.core.export import SafeDictWriter
from tsunagu.core.fiscal import parse_wareki_fiscal_year
from tsunagu.organizations.models import Municipality

FIELDS = ["program", "organization", "indicator", "fiscal_year", "kind", "value", "unit"]


class Command(BaseCommand):
    help = "実施計画の目標と実績を1行ずつ出力します: tsunagu plan-targets ise --format csv"

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("city", help="市の識別名（load-plan で読み込んだもの）")
        parser.add_argument("--format", choices=["json", "csv"], default="json")
        parser.add_argument(
            "--plan-version",
            dest="plan_version",
            default="",
            help="以前の版: その計画期間が始まる年度（例: 令和8, R8, 2026）。省略時は現在の版",
        )

    def handle(self, *args: Any, city: str, format: str, plan_version: str, **options: Any) -> None:
        municipality = Municipality.objects.filter(slug=city).first()
        if municipality is None:
            loaded = ", ".join(Municipality.objects.values_list("slug", flat=True)) or "なし"
            raise CommandError(
                f"市 {city!r} は読み込まれていません（読み込み済み: {loaded}）。"
                f"先に tsunagu load-plan {city} を実行してください"
            )
        version = None
        if plan_version:
            try:
                start = parse_wareki_fiscal_year(plan_version)
            except ValueError as exc:
                raise CommandError(
                    f"--plan-version {plan_version!r} は年度として読めません"
                ) from exc
            version = (
                PlanVersion.objects.filter(municipality=municipality, start_fiscal_year=start)
                .order_by("-pk")
                .first()
            )
            if version is None:
                loaded = "、".join(v.period_label for v in plan_versions(municipality=municipality))
                raise CommandError(
                    f"{municipality.name} に {plan_version} 開始の版はありません"
                    f"（読み込み済み: {loaded}）"
                )
        rows = [r.as_output() for r in plan_target_rows(municipality=municipality, version=version)]
        if format == "json":
            self.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2))
        else:
            writer = SafeDictWriter(self.stdout, fieldnames=FIELDS, lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
