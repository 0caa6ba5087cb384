import getpass
from argparse import ArgumentParser
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from tsunagu.access.models import AccessLog
from tsunagu.access.services import access_log_command
from tsunagu.accounts.models import Role, User
from tsunagu.core.archive import archive_make
from tsunagu.organizations.models import Municipality
from tsunagu.people import matching
from tsunagu.people.duplicate_runs import CSV_NAME, duplicates_export
from tsunagu.people.models import Person
from tsunagu.people.selectors import PAIRING_WORKERS, persons_for_administration


class Command(BaseCommand):
    help = (
        "同一人物と思われる記録の組を暗号化 ZIP（中に CSV）に書き出します（判断済みの組は除きます）"
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--output",
            required=True,
            help="書き出す暗号化 ZIP（AES-256）のパス（.zip で終わること）。中に CSV を入れ、"
            "パスワード（市で定めたもの、なければ今回かぎりのもの）を一度だけ表示します。"
            "個人に関わる出力なので、暗号化しない CSV や標準出力には書き出しません",
        )
        parser.add_argument("--city", help="市の識別名（省略時はすべての市）")
        parser.add_argument(
            "--threshold",
            type=float,
            default=matching.REVIEW_THRESHOLD,
            help="この値以上の組を出力（既定: 要確認の下限）",
        )
        parser.add_argument(
            "--tier",
            choices=["all", "likely"],
            default="all",
            help="likely: 「同一人物の可能性が高い」組だけ（既定 all: 「要確認」も含む）",
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=PAIRING_WORKERS,
            help=f"照合を分担するプロセスの数（PostgreSQL のとき。既定: {PAIRING_WORKERS}）",
        )
        parser.add_argument(
            "--user",
            help="実行するシステム管理者のユーザー名（省略時は端末のログイン名をアクセス記録に残します）",
        )

    def handle(
        self,
        *args: Any,
        output: str,
        city: str | None,
        threshold: float,
        tier: str,
        user: str | None,
        workers: int,
        **options: Any,
    ) -> None:
        if not 0 < threshold <= 1:
            raise CommandError("--threshold は 0 より大きく 1 以下です")
        if workers < 1:
            raise CommandError("--workers は 1 以上です")
        path = Path(output)
        # personal data leaves the system only encrypted (core/archive.py): refused before
        # anything is read or logged
        if output == "-" or path.suffix.lower() != ".zip":
            raise CommandError(
                "本人の記録を含む出力は暗号化 ZIP にだけ書き出します。"
                f"--output {path.with_suffix('.zip').name if output != '-' else 'pairs.zip'} "
                "のように .zip で終わるパスを指定してください"
            )
        if not path.parent.exists():
            raise CommandError(f"フォルダ {path.parent} がありません")
        staff: User | None = None
        if user is not None:
            staff = User.objects.select_related("organization").filter(username=user).first()
            if staff is None or not staff.is_active:
                raise CommandError(f"職員 {user} はいないか、無効になっています")
            if not staff.has_role(Role.ADMIN):
                raise CommandError(f"職員 {user} はシステム管理者ではありません")
        if city and not Municipality.objects.filter(slug=city).exists():
            raise CommandError(f"市 {city!r} は読み込まれていません")
        self._told = 0
        export = duplicates_export(
            persons=persons_for_administration(city=city),
            threshold=threshold,
            tier=tier,
            progress=self._progress,
            workers=workers,
        )
        # the pairs name persons: every person written out is logged as an export
        self._log(staff, export.persons)
        archive = archive_make(name=path.name, files={CSV_NAME: export.csv})
        path.write_bytes(archive.data)
        secret = (
            "パスワードは市で定めた出力用のものです"
            if archive.configured
            else f"パスワード（今回かぎり、ここにだけ表示）: {archive.password}"
        )
        self.stderr.write(f"{export.pair_count} 組を暗号化して {path} に書き出しました。{secret}")

    def _progress(self, done: int, total: int) -> None:
        """A line at every tenth of the persons."""
        tenth = done * 10 // max(total, 1)
        if tenth != self._told:
            self._told = tenth
            self.stderr.write(f"照合中: {done:,} / {total:,} 人")

    def _log(self, staff: User | None, persons: Iterable[Person]) -> None:
        try:
            login = getpass.getuser()
        except (KeyError, OSError):  # no name for this uid (a container)
            login = "unknown"
        access_log_command(
            operator=login, user=staff, action=AccessLog.Action.EXPORT, persons=persons
        )
