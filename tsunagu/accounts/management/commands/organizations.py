from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from tsunagu.organizations.models import Municipality, Organization


class Command(BaseCommand):
    help = "機関のコードと名前をタブ区切りで1行ずつ表示します（create-user の --organization 用）"

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--city", help="この市（識別名）の機関だけを表示します")

    def handle(self, *args: Any, city: str | None, **options: Any) -> None:
        organizations = Organization.objects.filter(is_active=True)
        if city is not None:
            municipality = Municipality.objects.filter(slug=city).first()
            if municipality is None:
                raise CommandError(f"市 {city!r} は読み込まれていません")
            organizations = organizations.filter(municipality=municipality)
        for o in organizations.order_by("municipality__code", "sort_order", "code"):
            self.stdout.write(f"{o.code}\t{o.name}")
