from django.apps import AppConfig


class ImportsConfig(AppConfig):
    name = "tsunagu.imports"
    label = "imports"
    verbose_name = "データの取り込み"
