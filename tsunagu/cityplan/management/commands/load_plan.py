from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from tsunagu.cityplan.planfile import PlanFileError, known_cities, plan_file_path, read_plan_file
from tsunagu.cityplan.services import PlanLoadError, plan_load


class Command(BaseCommand):
    help = "市の実施計画データ（YAML）を読み込みます: tsunagu load-plan ise"

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("city", help=f"市の識別名（{', '.join(known_cities())}）か YAML のパス")
        parser.add_argument(
            "--check", action="store_true", help="検査だけしてデータベースには書きません"
        )

    def handle(self, *args: Any, city: str, check: bool, **options: Any) -> None:
        path = plan_file_path(city)
        if not path.exists() and "/" not in city and not city.endswith(".yaml"):
            raise CommandError(
                f"市 {city!r} のデータはありません。使える市: {', '.join(known_cities())}"
            )
        try:
            plan = read_plan_file(path)
        except PlanFileError as exc:
            raise CommandError(str(exc)) from exc
        if check:
            self.stdout.write(
                f"{path}: OK（機関 {len(plan.organizations)}、事業 {len(plan.programs)}、"
                f"会議体 {len(plan.meeting_bodies)}、指標 {len(plan.indicators)}）"
            )
            return
        try:
            report = plan_load(plan=plan)
        except PlanFileError as exc:
            raise CommandError(str(exc)) from exc
        except PlanLoadError as exc:
            raise CommandError(f"{path}: {exc}") from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"{report.municipality.name}（{report.version.period_label}"
                f"{'・新しい版' if report.created_version else ''}）: 圏域 {report.areas}、"
                f"機関 {report.organizations}、事業 {report.programs}、"
                f"会議体 {report.meeting_bodies}、指標 {report.indicators}"
                f"（目標・実績 {report.values} 件）を読み込みました"
            )
        )
        for name in report.ended:
            self.stdout.write(f"  この版にないため終了: {name}")
