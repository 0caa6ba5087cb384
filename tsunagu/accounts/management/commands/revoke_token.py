from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from tsunagu.accounts.models import ApiToken
from tsunagu.accounts.tokens import api_token_revoke


class Command(BaseCommand):
    help = "APIトークンをすぐに失効させます（番号は tsunagu tokens --user U で確認）"

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("token_id", type=int, help="トークンの番号")

    def handle(self, *args: Any, token_id: int, **options: Any) -> None:
        token = ApiToken.objects.select_related("user").filter(pk=token_id).first()
        if token is None:
            raise CommandError(f"番号 {token_id} のAPIトークンはありません")
        if api_token_revoke(token=token):
            self.stdout.write(f"APIトークン {token_id}（{token.user.username}）を失効させました")
        else:
            self.stdout.write(f"APIトークン {token_id} はすでに失効しています")
