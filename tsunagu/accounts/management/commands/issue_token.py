from argparse import ArgumentParser
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from tsunagu.accounts.models import User
from tsunagu.accounts.tokens import api_token_create


class Command(BaseCommand):
    help = "職員のAPIトークンを発行し、トークンだけを表示します（二度と表示されません）"

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--days", type=int, help="有効日数（既定は TSUNAGU_API_TOKEN_DAYS）")
        parser.add_argument("--label", default="", help="用途（一覧に表示されます）")

    def handle(
        self, *args: Any, username: str, days: int | None, label: str, **options: Any
    ) -> None:
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"ユーザー {username!r} はいません")
        if not user.is_active:
            raise CommandError(f"ユーザー {username!r} は無効になっています")
        if user.organization is None:
            raise CommandError(f"ユーザー {username!r} は機関に所属していないため発行できません")
        try:
            self.stdout.write(api_token_create(user=user, label=label, days=days))
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
