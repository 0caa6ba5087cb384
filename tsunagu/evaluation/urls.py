from django.urls import URLPattern, URLResolver, path

from tsunagu.evaluation import views

app_name = "evaluation"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.index, name="index"),
    path("<int:fiscal_year>/", views.fiscal_year, name="fiscal_year"),
    path(
        "<int:fiscal_year>/indicators/<int:indicator_id>/",
        views.indicator,
        name="indicator",
    ),
]
