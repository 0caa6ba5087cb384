from django.urls import URLPattern, URLResolver, include, path

from tsunagu.evaluation import report_views, views

app_name = "evaluation"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.index, name="index"),
    path("<int:fiscal_year>/", views.fiscal_year, name="fiscal_year"),
    path(
        "<int:fiscal_year>/indicators/<int:indicator_id>/",
        views.indicator,
        name="indicator",
    ),
    path("report/", report_views.report, name="report"),
    path("report/<int:run_id>/", report_views.report_run, name="report_run"),
    path("report/<int:run_id>/download/", report_views.report_download, name="report_download"),
    path("", include("tsunagu.evaluation.dashboard_urls")),
]
