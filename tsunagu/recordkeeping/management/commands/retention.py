import getpass
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from tsunagu.accounts.models import Role, User
from tsunagu.recordkeeping.services import retention_plan, retention_run


class Command(BaseCommand):
    help = (
        "保存期間（既定5年、TSUNAGU_RETENTION_YEARS）を過ぎた記録を匿名化します。"
        "--dry-run で対象の一覧だけを表示します。アクセス記録そのものは残ります"
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="対象を表示するだけ")
        parser.add_argument("--city", help="市のスラッグ（省略するとすべての市）")
        parser.add_argument("--user", help="実行する管理者の職員アカウント（記録に残ります）")

    def handle(
        self, *args: Any, dry_run: bool, city: str | None, user: str | None, **options: Any
    ) -> None:
        staff = None
        if user is not None:
            staff = User.objects.filter(username=user, is_active=True).first()
            if staff is None or not staff.has_role(Role.ADMIN):
                raise CommandError(f"職員 {user} はいないか、システム管理者ではありません")
        plan = retention_plan(city=city)
        cutoff = plan.cutoff.date().isoformat()
        self.stdout.write(
            f"最終の記録が {cutoff} より前: 本人 {len(plan.persons)} 人、"
            f"本人未特定の相談 {len(plan.anonymous_consultations)} 件、"
            f"多機関協働の事例 {len(plan.cases)} 件"
        )
        if dry_run:
            for p in plan.persons:
                self.stdout.write(f"  本人 #{p.pk}（{p.organization.name}）")
            for c in plan.anonymous_consultations:
                self.stdout.write(f"  相談 #{c.pk}（{c.organization.name}）")
            for k in plan.cases:
                self.stdout.write(f"  事例 #{k.pk}（{k.organization.name}）")
            self.stdout.write("（--dry-run: 何も変更していません）")
            return
        try:
            login = getpass.getuser()
        except (KeyError, OSError):
            login = "unknown"
        result = retention_run(plan=plan, operator=login, user=staff)
        self.stdout.write(
            f"匿名化しました: 本人 {result.persons} 人、相談 {result.consultations} 件、"
            f"つなぎ {result.referrals} 件、本人同意 {result.consents} 件"
            f"（同意書の写し {result.scans} 件）、多機関協働の事例 {result.cases} 件"
        )
