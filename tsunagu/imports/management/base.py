"""The shared body of `tsunagu import-persons` and `tsunagu import-consultations`."""

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from tsunagu.access.models import AccessLog
from tsunagu.accounts.models import User
from tsunagu.imports.csvfile import ImportFileError, size_error
from tsunagu.imports.selectors import user_may_import
from tsunagu.imports.services import import_decode, import_run


class ImportCommand(BaseCommand):
    kind: str

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("file", help="CSV ファイル（UTF-8 か Shift_JIS）")
        parser.add_argument(
            "--user",
            required=True,
            help="取り込む職員のユーザー名（その職員の所属機関の記録になります）",
        )

    def handle(self, *args: Any, file: str, user: str, **options: Any) -> None:
        staff = User.objects.select_related("organization").filter(username=user).first()
        if staff is None or not staff.is_active:
            raise CommandError(f"職員 {user} はいないか、無効になっています")
        if not user_may_import(staff):
            raise CommandError(
                f"職員 {user} には取り込みの権限がありません"
                "（相談員・コーディネーター・管理者・システム管理者が取り込めます）"
            )
        path = Path(file)
        try:
            if not path.is_file():
                raise CommandError(f"{file}: ファイルがありません")
            problem = size_error(path.stat().st_size)
            if problem:
                raise CommandError(f"{file}: {problem}")
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"{file}: ファイルを読めません（{exc.strerror}）") from exc
        try:
            text, encoding = import_decode(data=data)
            report = import_run(
                user=staff, kind=self.kind, text=text, channel=AccessLog.Channel.CLI
            )
        except ImportFileError as exc:
            raise CommandError(f"{file}: {exc}") from exc
        for error in report.errors:
            self.stderr.write(str(error))
        if not report.ok:
            raise CommandError(f"{file}: {report.summary()}")
        for known in report.known:
            self.stdout.write(f"同一人物の可能性: {known}")
        if report.known:
            self.stdout.write(
                "上の行は新規に登録しました。既存の記録に結び付けるには、画面の"
                "「データの取り込み」で取り込むか、「重複の可能性」で名寄せしてください"
            )
        organization = staff.organization.name if staff.organization else ""
        self.stdout.write(
            self.style.SUCCESS(f"{file}（{encoding}）→ {organization}: {report.summary()}")
        )
