from django.urls import path

from tsunagu.referrals import views

app_name = "referrals"
urlpatterns = [
    path("", views.box, name="box"),
    path("new/", views.create, name="create"),
    path("<int:referral_id>/", views.detail, name="detail"),
    path("<int:referral_id>/<slug:action>/", views.act, name="act"),
]
