from django.urls import path

from tsunagu.imports import views

app_name = "imports"
urlpatterns = [
    path("", views.index, name="index"),
    path("<int:pk>/", views.job, name="job"),
    path("<int:pk>/step/", views.step, name="step"),
    path("<int:pk>/confirm/", views.confirm, name="confirm"),
]
