from django.urls import path

from tsunagu.consent import views

app_name = "consent"
urlpatterns = [
    path("new/", views.create, name="create"),
    path("<int:consent_id>/edit/", views.edit, name="edit"),
    path("<int:consent_id>/withdraw/", views.withdraw, name="withdraw"),
    path("<int:consent_id>/scans/new/", views.scan_add, name="scan_add"),
    path("scans/<int:attachment_id>/", views.scan, name="scan"),
]
