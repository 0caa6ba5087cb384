import json
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from tsunagu.accounts.models import User
from tsunagu.resources.hsds import HsdsInvalid, hsds_import


class Command(BaseCommand):
    help = (
        "他のシステムの HSDS 3.0 の JSON（サービス1件のファイル、またはその配列）を読み込みます: "
        "tsunagu import-hsds DIR_OR_FILE --user U [--publish]"
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("source", help="JSON ファイル、または *.json のあるディレクトリ")
        parser.add_argument("--user", required=True, help="記録する職員（その職員の市に入ります）")
        parser.add_argument(
            "--publish", action="store_true", help="新しく入った社会資源をすぐに公開する"
        )

    def handle(self, *args: Any, source: str, user: str, publish: bool, **options: Any) -> None:
        staff = User.objects.filter(username=user, is_active=True).first()
        if staff is None or staff.organization is None:
            raise CommandError(f"職員 {user!r} が見つかりません")
        path = Path(source)
        files = sorted(path.glob("*.json")) if path.is_dir() else [path]
        documents: list[Any] = []
        for file in files:
            try:
                data = json.loads(file.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, ValueError) as exc:
                raise CommandError(f"{file}: JSON として読めません: {exc}") from exc
            documents.extend(data if isinstance(data, list) else [data])
        try:
            report = hsds_import(user=staff, documents=documents, publish=publish)
        except HsdsInvalid as exc:
            raise CommandError(
                "HSDS 3.0 のスキーマに合わないため、何も読み込みませんでした:\n"
                + "\n".join(exc.errors[:50])
            ) from exc
        except ValidationError as exc:
            raise CommandError(f"何も読み込みませんでした: {' '.join(exc.messages)}") from exc
        for warning in report.warnings:
            self.stderr.write(warning)
        self.stdout.write(f"新規 {report.created} 件、更新 {report.updated} 件を読み込みました")
