from django.urls import URLPattern, URLResolver, include, path

app_name = "evaluation"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", include("tsunagu.evaluation.dashboard_urls")),
]
