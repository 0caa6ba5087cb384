from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from tsunagu.accounts.models import User
from tsunagu.accounts.tokens import api_tokens_of


class Command(BaseCommand):
    help = "職員のAPIトークンを一覧します（番号、状態、発行、有効期限、最終利用、用途。タブ区切り）"

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--user", required=True, dest="username", help="職員のユーザー名")

    def handle(self, *args: Any, username: str, **options: Any) -> None:
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"ユーザー {username!r} はいません")
        for t in api_tokens_of(user=user):
            state = "失効" if t.revoked_at else ("有効" if t.is_live else "期限切れ")
            used = f"{t.last_used_at:%Y-%m-%d %H:%M}" if t.last_used_at else "-"
            self.stdout.write(
                f"{t.pk}\t{state}\t{t.created_at:%Y-%m-%d %H:%M}\t{t.expires_at:%Y-%m-%d %H:%M}"
                f"\t{used}\t{t.label}"
            )
