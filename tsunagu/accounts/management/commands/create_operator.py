import getpass
from argparse import ArgumentParser
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from tsunagu.accounts.services import operator_create


class Command(BaseCommand):
    help = (
        "プラットフォーム運用者（すべての市を管理する。どの機関にも属さない）を作ります。"
        "サーバー上でだけ実行できます: tsunagu create-operator --username U"
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--username", required=True)
        parser.add_argument(
            "--password", help="省略すると端末で2回たずねます（履歴に残さないために推奨）"
        )

    def handle(self, *args: Any, username: str, password: str | None, **options: Any) -> None:
        if password is None:
            password = getpass.getpass("パスワード: ")
            if password != getpass.getpass("もう一度: "):
                raise CommandError("パスワードが一致しません")
        try:
            operator_create(username=username, password=password)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        self.stdout.write(f"運用者 {username} を作りました")
