from django.apps import AppConfig


class SyntheticConfig(AppConfig):
    name = "tsunagu.synthetic"
    label = "synthetic"
    verbose_name = "生成した市（負荷試験用）"
