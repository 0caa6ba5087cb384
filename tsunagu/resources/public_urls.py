"""The public resource map: no sign-in (each view is `login_not_required`)."""

from django.urls import path

from tsunagu.resources import public_views

app_name = "public_resources"

urlpatterns = [
    path("", public_views.cities, name="cities"),
    path("<slug:city>/", public_views.index, name="index"),
    path("<slug:city>/hsds/services.json", public_views.hsds_services, name="hsds_services"),
    path("<slug:city>/<uuid:resource_id>/", public_views.detail, name="detail"),
]
