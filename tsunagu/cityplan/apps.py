from django.apps import AppConfig


class CityplanConfig(AppConfig):
    name = "tsunagu.cityplan"
    label = "cityplan"
    verbose_name = "実施計画"
