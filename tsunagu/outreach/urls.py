from django.urls import path

from tsunagu.outreach import views

app_name = "outreach"
urlpatterns = [
    path("", views.work, name="work"),
    path("targets/", views.target_list, name="targets"),
    path("targets/new/", views.target_new, name="target_create"),
    path("targets/<int:target_id>/", views.target_detail, name="target"),
    path("targets/<int:target_id>/contacts/", views.contact_add, name="contact_add"),
    path("targets/<int:target_id>/stage/", views.stage, name="stage"),
    path("targets/<int:target_id>/check-ins/", views.check_in, name="check_in"),
    path("targets/<int:target_id>/identify/", views.identify, name="identify"),
    path("activities/", views.activities, name="activities"),
    path("activities/<int:outreach_activity_id>/", views.activity_detail, name="activity"),
    path(
        "activities/<int:outreach_activity_id>/consultations/",
        views.session_consultation,
        name="session_consultation",
    ),
    path("counts/", views.counts, name="counts"),
]
