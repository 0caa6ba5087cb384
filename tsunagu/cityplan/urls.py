from django.urls import path

from tsunagu.cityplan import views

app_name = "cityplan"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("versions/compare/", views.compare, name="compare"),
    path("versions/<int:version_id>/", views.version, name="version"),
]
