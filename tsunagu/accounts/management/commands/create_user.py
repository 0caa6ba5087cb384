from argparse import ArgumentParser
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from tsunagu.accounts.models import Role
from tsunagu.accounts.services import user_create
from tsunagu.organizations.models import Municipality, Organization


class Command(BaseCommand):
    help = (
        "職員のアカウントを作ります: "
        "tsunagu create-user --username U --organization CODE --role ROLE"
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--username", required=True)
        parser.add_argument(
            "--organization", required=True, help="所属する機関のコード（tsunagu organizations）"
        )
        parser.add_argument(
            "--role",
            required=True,
            action="append",
            dest="roles",
            help=f"役割のコード（{', '.join(Role.values)}）。複数指定できます",
        )
        parser.add_argument(
            "--password", help="省略するとパスワードでは入れません（APIトークンだけで使う場合など）"
        )
        parser.add_argument("--city", help="同じ機関コードが複数の市にあるときの市の識別名")

    def handle(
        self,
        *args: Any,
        username: str,
        organization: str,
        roles: list[str],
        password: str | None,
        city: str | None,
        **options: Any,
    ) -> None:
        candidates = Organization.objects.filter(code=organization, is_active=True)
        if city is not None:
            if not Municipality.objects.filter(slug=city).exists():
                raise CommandError(f"市 {city!r} は読み込まれていません")
            candidates = candidates.filter(municipality__slug=city)
        found = list(candidates.select_related("municipality"))
        where = f"市 {city!r} に" if city else ""
        if not found:
            raise CommandError(
                f"{where}機関コード {organization!r} の機関はありません"
                "（tsunagu organizations で確認できます）"
            )
        if len(found) > 1:
            slugs = ", ".join(sorted(o.municipality.slug for o in found))
            raise CommandError(
                f"機関コード {organization!r} は複数の市にあります（{slugs}）。"
                "--city で市を指定してください"
            )
        try:
            user = user_create(
                username=username, organization=found[0], roles=roles, password=password
            )
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        self.stdout.write(f"{user.username} を {found[0].name} に作りました")
