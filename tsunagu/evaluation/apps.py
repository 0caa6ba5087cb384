from django.apps import AppConfig


class EvaluationConfig(AppConfig):
    name = "tsunagu.evaluation"
    label = "evaluation"
    verbose_name = "評価"
