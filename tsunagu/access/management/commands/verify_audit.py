from typing import Any

from django.core.management.base import BaseCommand, CommandError

from tsunagu.access.chain import chain_verify
from tsunagu.access.models import AuditChainHead


class Command(BaseCommand):
    help = (
        "アクセス記録のハッシュ連鎖を検証します。書き換え・削除・順序の入れ替えがあれば、"
        "最初に壊れた記録を示して終了コード1で終わります"
    )

    def handle(self, *args: Any, **options: Any) -> None:
        found = chain_verify()
        if found is not None:
            where = f"記録 #{found.row_id}" if found.row_id is not None else "連鎖の末尾"
            raise CommandError(f"アクセス記録の連鎖が壊れています: {where}: {found.reason}")
        head = AuditChainHead.objects.filter(pk=1).first()
        count = head.count if head else 0
        self.stdout.write(f"アクセス記録 {count} 件の連鎖を確認しました（改ざんなし）")
