"""The dashboard's and the 個人情報ファイル簿's routes, included by `evaluation/urls.py`."""

from django.urls import URLPattern, URLResolver, path

from tsunagu.evaluation import dashboard_views

urlpatterns: list[URLPattern | URLResolver] = [
    path("dashboard/", dashboard_views.dashboard, name="dashboard"),
    path(
        "dashboard/charts/<int:fiscal_year>/<slug:key>.svg",
        dashboard_views.dashboard_chart,
        name="dashboard_chart",
    ),
    path("personal-information-files/", dashboard_views.file_register, name="file_register"),
]
