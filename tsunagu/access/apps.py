from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AccessConfig(AppConfig):
    name = "tsunagu.access"
    label = "access"
    verbose_name = "アクセス権・記録"

    def ready(self) -> None:
        from tsunagu.access import chain  # noqa: F401  (every change-history row joins its chain)

        post_migrate.connect(_guards, sender=self, dispatch_uid="access_history_guards")


def _guards(sender: Any, using: str = "default", **kwargs: Any) -> None:
    """The change history's append-only triggers on PostgreSQL (`access/guards.py`)."""
    from tsunagu.access.guards import install_guards

    install_guards(using=using)
