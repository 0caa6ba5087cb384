from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


class CoreConfig(AppConfig):
    name = "tsunagu.core"
    label = "core"
    verbose_name = "共通"

    def ready(self) -> None:
        # Django 6.1's blank choice label has no Japanese translation; staff read Japanese.
        from django.db.models import fields

        fields.BLANK_CHOICE_LABEL = "（選んでください）"
        from django.db import models

        from tsunagu.core.bulk import AmongIds

        models.IntegerField.register_lookup(AmongIds)
        models.ForeignKey.register_lookup(AmongIds)
        post_migrate.connect(_partitions_ahead, sender=self, dispatch_uid="core_partitions_ahead")


def _partitions_ahead(sender: Any, using: str = "default", **kwargs: Any) -> None:
    """On PostgreSQL, every fiscal-year-partitioned table has this year's and next year's
    partitions after each migrate (`core/partitioning.py`; `tsunagu partitions` for more)."""
    from django.db import connections

    from tsunagu.core.partitioning import ensure_ahead_everywhere

    ensure_ahead_everywhere(connections[using])
