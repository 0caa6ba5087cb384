from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from tsunagu.accounts.models import User
from tsunagu.backup.services import BackupError, backup_create


class Command(BaseCommand):
    help = (
        "データベースとアップロードファイルを暗号化したバックアップを1つのファイルに書きます"
        "（鍵は環境変数 TSUNAGU_BACKUP_KEY）。作ったことはアクセス記録に残ります"
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("file", type=Path, help="書き出すファイル（既にあれば中止）")
        parser.add_argument(
            "--logical",
            action="store_true",
            help="データベースに依存しない形式（SQLite から PostgreSQL への移行用）",
        )
        parser.add_argument("--user", help="アクセス記録に残す職員（省略時は端末のログイン名）")

    def handle(
        self, *args: Any, file: Path, logical: bool, user: str | None, **options: Any
    ) -> None:
        staff = None
        if user:
            staff = User.objects.filter(username=user, organization__isnull=False).first()
            if staff is None:
                raise CommandError(f"機関に所属する職員 {user!r} はいません")
        try:
            report = backup_create(path=file, user=staff, logical=logical)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        rows = sum(report.tables.values())
        for note in report.notes:
            self.stderr.write(note)
        self.stdout.write(
            f"{report.path} に書きました（方式 {report.method}、{len(report.tables)} 表 "
            f"{rows:,} 行、ファイル {report.files} 個、{report.bytes_written:,} バイト、"
            "暗号化済み）"
        )
