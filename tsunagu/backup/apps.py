from django.apps import AppConfig


class BackupConfig(AppConfig):
    name = "tsunagu.backup"
    label = "backup"
    verbose_name = "バックアップ"
