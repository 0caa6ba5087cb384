from django.urls import path

from tsunagu.recordkeeping import views

app_name = "recordkeeping"
urlpatterns = [
    path("persons/<int:person_id>/disclosure/", views.disclosure, name="disclosure"),
]
