from django.urls import path

from tsunagu.people import duplicate_views, views

app_name = "people"
urlpatterns = [
    path("", views.search, name="search"),
    path("new/", views.create, name="create"),
    path("choices/", views.choices, name="choices"),
    path("postal-address/", views.postal_address, name="postal_address"),
    path("duplicates/", views.duplicates, name="duplicates"),
    path("duplicates/decide/", views.duplicates_decide, name="duplicates_decide"),
    path("duplicates/city/", duplicate_views.duplicate_runs, name="duplicate_runs"),
    path("duplicates/city/<int:run_id>/", duplicate_views.duplicate_run, name="duplicate_run"),
    path(
        "duplicates/city/<int:run_id>/download/",
        duplicate_views.duplicate_run_file,
        name="duplicate_run_download",
    ),
    path("duplicates/<int:link_id>/undo/", views.duplicates_undo, name="duplicates_undo"),
    path("<int:person_id>/", views.detail, name="detail"),
    path("<int:person_id>/edit/", views.edit, name="edit"),
    path("<int:person_id>/household/", views.household_add, name="household_add"),
    path(
        "<int:person_id>/household/new-member/",
        views.household_new_member,
        name="household_new_member",
    ),
    path("households/<int:household_id>/edit/", views.household_edit, name="household_edit"),
    path("<int:person_id>/access-log/", views.access_log_page, name="access_log"),
]
