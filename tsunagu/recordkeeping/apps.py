from django.apps import AppConfig


class RecordkeepingConfig(AppConfig):
    name = "tsunagu.recordkeeping"
    label = "recordkeeping"
    verbose_name = "記録の保存と開示"
