from django.urls import path

from tsunagu.resources import views

app_name = "resources"

urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.create, name="create"),
    path("<int:resource_id>/", views.detail, name="detail"),
    path("<int:resource_id>/edit/", views.edit, name="edit"),
    path("<int:resource_id>/verify/", views.verify, name="verify"),
    path("<int:resource_id>/schedules/new/", views.schedule_add, name="schedule_add"),
    path(
        "<int:resource_id>/schedules/<int:schedule_id>/remove/",
        views.schedule_remove,
        name="schedule_remove",
    ),
    path("<int:resource_id>/contacts/new/", views.contact_add, name="contact_add"),
    path(
        "<int:resource_id>/contacts/<int:contact_id>/remove/",
        views.contact_remove,
        name="contact_remove",
    ),
    path("providers/", views.providers, name="providers"),
    path("providers/new/", views.provider_create, name="provider_create"),
    path("providers/<int:provider_id>/edit/", views.provider_edit, name="provider_edit"),
    path("locations/", views.locations, name="locations"),
    path("locations/new/", views.location_create, name="location_create"),
    path("locations/<int:location_id>/edit/", views.location_edit, name="location_edit"),
    path("activities/", views.activities, name="activities"),
    path("activities/new/", views.activity_create, name="activity_create"),
    path("activities/<int:activity_id>/edit/", views.activity_edit, name="activity_edit"),
    path("counts/", views.counts, name="counts"),
]
