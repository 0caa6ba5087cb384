from django.urls import path

from tsunagu.consultations import views

app_name = "consultations"
urlpatterns = [
    path("", views.consultation_list, name="list"),
    path("new/", views.create, name="create"),
    path("sites/", views.site_counts, name="site_counts"),
    path("<int:consultation_id>/", views.detail, name="detail"),
    path("<int:consultation_id>/edit/", views.edit, name="edit"),
    path("<int:consultation_id>/follow-up/", views.follow_up, name="follow_up"),
    path("<int:consultation_id>/link-person/", views.link_person, name="link_person"),
]
