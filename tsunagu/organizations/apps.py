from django.apps import AppConfig


class OrganizationsConfig(AppConfig):
    name = "tsunagu.organizations"
    label = "organizations"
    verbose_name = "自治体・支援関係機関"
