from django.urls import path

from tsunagu.participation import views

app_name = "participation"
urlpatterns = [
    path("", views.work, name="work"),
    path("hosts/", views.hosts, name="hosts"),
    path("hosts/<int:host_id>/", views.host_detail, name="host"),
    path("hosts/<int:host_id>/support/", views.host_support, name="host_support"),
    path("persons/<int:person_id>/", views.person, name="person"),
    path("persons/<int:person_id>/propose/", views.propose, name="propose"),
    path("placements/", views.placement_list, name="placements"),
    path("placements/<int:placement_id>/", views.placement_detail, name="placement"),
    path("placements/<int:placement_id>/attendance/", views.attendance, name="attendance"),
    path("placements/<int:placement_id>/follow-up/", views.follow_up, name="follow_up"),
    path("placements/<int:placement_id>/<slug:step>/", views.step, name="step"),
    path("counts/", views.counts, name="counts"),
]
