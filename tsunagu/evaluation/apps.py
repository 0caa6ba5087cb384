from django.apps import AppConfig


class EvaluationConfig(AppConfig):
    name = "tsunagu.evaluation"
    label = "evaluation"
    verbose_name = "評価"

    def ready(self) -> None:
        # The plan file's loader checks bindings against these names.
        from tsunagu.evaluation.computations import register_all

        register_all()
