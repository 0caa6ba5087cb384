import json
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from tsunagu.organizations.models import Municipality
from tsunagu.resources import selectors
from tsunagu.resources.hsds import service_document


class Command(BaseCommand):
    help = (
        "公開中の社会資源を HSDS 3.0 の JSON で書き出します（1サービス1ファイル）: "
        "tsunagu export-hsds DIR --city imizu"
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("directory", help="書き出し先のディレクトリ（なければ作ります）")
        parser.add_argument("--city", required=True, help="市の識別名（ise, imizu …）")

    def handle(self, *args: Any, directory: str, city: str, **options: Any) -> None:
        municipality = Municipality.objects.filter(slug=city).first()
        if municipality is None:
            raise CommandError(f"市 {city!r} は読み込まれていません")
        out = Path(directory)
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise CommandError(f"{out} を作れません: {exc}") from exc
        resources = selectors.resource_search(
            resources=selectors.public_resources(municipality=municipality),
            query=selectors.ResourceQuery(),
        ).prefetch_related("contacts")
        count = 0
        for resource in resources:
            path = out / f"{resource.hsds_id}.json"
            path.write_text(
                json.dumps(service_document(resource), ensure_ascii=False, indent=2) + "\n",
                encoding="utf-8",
            )
            count += 1
        self.stdout.write(f"{municipality.name}: {count} 件のサービスを {out} に書き出しました")
