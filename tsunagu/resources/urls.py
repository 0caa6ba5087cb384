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
    path(
        "community-consultations/",
        views.community_consultations,
        name="community_consultations",
    ),
    path(
        "community-consultations/new/",
        views.community_consultation_create,
        name="community_consultation_create",
    ),
    path(
        "community-consultations/<int:community_consultation_id>/edit/",
        views.community_consultation_edit,
        name="community_consultation_edit",
    ),
    path(
        "public-interest/",
        views.public_interest_initiatives,
        name="public_interest_initiatives",
    ),
    path(
        "public-interest/new/",
        views.public_interest_initiative_create,
        name="public_interest_initiative_create",
    ),
    path(
        "public-interest/<int:public_interest_initiative_id>/edit/",
        views.public_interest_initiative_edit,
        name="public_interest_initiative_edit",
    ),
    path("matchings/", views.matchings, name="matchings"),
    path("matchings/new/", views.matching_create, name="matching_create"),
    path("matchings/<int:matching_id>/edit/", views.matching_edit, name="matching_edit"),
    path("attendance/", views.attendance, name="attendance"),
    path("attendance/new/", views.attendance_create, name="attendance_create"),
    path("attendance/<int:attendance_id>/edit/", views.attendance_edit, name="attendance_edit"),
    path("workers/", views.workers, name="workers"),
    path("workers/new/", views.worker_create, name="worker_create"),
    path("workers/<int:worker_id>/edit/", views.worker_edit, name="worker_edit"),
]
