from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from tsunagu.backup.services import BackupError, backup_restore, when


class Command(BaseCommand):
    help = (
        "tsunagu backup で作ったファイルを、空のデータベースに戻します"
        "（データのあるデータベースには戻しません。鍵は環境変数 TSUNAGU_BACKUP_KEY）"
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--user", default="", help="アクセス記録に残す職員（省略時は端末のログイン名）"
        )

    def handle(self, *args: Any, file: Path, user: str, **options: Any) -> None:
        try:
            report = backup_restore(path=file, user_name=user)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        rows = sum(report.tables.values())
        self.stdout.write(
            f"{when(report.created_at)} のバックアップを戻しました（方式 {report.method}、"
            f"{rows:,} 行、ファイル {report.files} 個）。"
            "新しい版の tsunagu で使うときは、続けて tsunagu migrate を実行してください"
        )
