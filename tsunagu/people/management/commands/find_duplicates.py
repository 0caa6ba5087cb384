import csv
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from tsunagu.organizations.models import Municipality
from tsunagu.people import matching
from tsunagu.people.models import Person
from tsunagu.people.selectors import duplicate_pairs

COLUMNS = [
    "external_id_a",
    "external_id_b",
    "score",
    "reasons",
    "person_id_a",
    "person_id_b",
    "organization_a",
    "organization_b",
]


class Command(BaseCommand):
    help = "同一人物と思われる記録の組を CSV に書き出します（判断済みの組は除きます）"

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--output", required=True, help="書き出す CSV のパス（- で標準出力）")
        parser.add_argument("--city", help="市の識別名（省略時はすべての市）")
        parser.add_argument("--threshold", type=float, default=matching.DEFAULT_THRESHOLD)

    def handle(
        self, *args: Any, output: str, city: str | None, threshold: float, **options: Any
    ) -> None:
        if not 0 < threshold <= 1:
            raise CommandError("--threshold は 0 より大きく 1 以下です")
        persons = Person.objects.all()
        if city:
            if not Municipality.objects.filter(slug=city).exists():
                raise CommandError(f"市 {city!r} は読み込まれていません")
            persons = persons.filter(organization__municipality__slug=city)
        pairs = duplicate_pairs(persons=persons, threshold=threshold)
        rows = [
            {
                "external_id_a": a.external_id,
                "external_id_b": b.external_id,
                "score": f"{m.score:.3f}",
                "reasons": "、".join(m.reasons),
                "person_id_a": a.pk,
                "person_id_b": b.pk,
                "organization_a": a.organization.code,
                "organization_b": b.organization.code,
            }
            for a, b, m in pairs
        ]
        if output == "-":
            writer = csv.DictWriter(self.stdout, fieldnames=COLUMNS, lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
            return
        path = Path(output)
        if not path.parent.exists():
            raise CommandError(f"フォルダ {path.parent} がありません")
        with path.open("w", encoding="utf-8", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=COLUMNS)
            writer.writeheader()
            writer.writerows(rows)
        self.stderr.write(f"{len(rows)} 組を {path} に書き出しました")
