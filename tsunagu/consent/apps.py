from django.apps import AppConfig


class ConsentConfig(AppConfig):
    name = "tsunagu.consent"
    label = "consent"
    verbose_name = "本人同意"
