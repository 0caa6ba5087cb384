from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "tsunagu.core"
    label = "core"
    verbose_name = "共通"

    def ready(self) -> None:
        # Django 6.1's blank choice label has no Japanese translation; staff read Japanese.
        from django.db.models import fields

        fields.BLANK_CHOICE_LABEL = "（選んでください）"
