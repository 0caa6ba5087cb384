from django.urls import path

from tsunagu.cityplan import views

app_name = "organizations"
urlpatterns = [
    path("", views.directory, name="directory"),
    path("<slug:code>/", views.detail, name="detail"),
]
