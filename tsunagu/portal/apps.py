from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "tsunagu.portal"
    label = "portal"
    verbose_name = "ポータル"
