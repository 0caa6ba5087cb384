from typing import Any

from django.core.management.base import BaseCommand, CommandError

from tsunagu.access.chain import (
    HISTORY_CHAIN,
    access_log_chained,
    chain_verify,
    history_verify,
)
from tsunagu.access.models import AuditChainHead


class Command(BaseCommand):
    help = (
        "アクセス記録と変更履歴のハッシュ連鎖を検証します。書き換え・削除・順序の入れ替えがあれば、"
        "最初に壊れた記録を示して終了コード1で終わります"
    )

    def handle(self, *args: Any, **options: Any) -> None:
        found = chain_verify()
        if found is not None:
            where = f"記録 #{found.row_id}" if found.row_id is not None else "連鎖の末尾"
            raise CommandError(f"アクセス記録の連鎖が壊れています: {where}: {found.reason}")
        broken = history_verify()
        if broken is not None:
            raise CommandError(f"変更履歴の連鎖が壊れています: {broken.where}: {broken.reason}")
        heads = {h.pk: h.count for h in AuditChainHead.objects.all()}
        self.stdout.write(
            f"アクセス記録 {access_log_chained()} 件、"
            f"変更履歴 {heads.get(HISTORY_CHAIN, 0)} 件の連鎖を確認しました（改ざんなし）"
        )
