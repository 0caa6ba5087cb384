from django.urls import path

from tsunagu.meetingrecords import views

app_name = "meetingrecords"
urlpatterns = [
    path("", views.meeting_list, name="list"),
    path("new/", views.create, name="create"),
    path("counts/", views.counts, name="counts"),
    path("actions/<int:action_id>/done/", views.action_done, name="action_done"),
    path("<int:meeting_id>/", views.detail, name="detail"),
    path("<int:meeting_id>/items/<int:item_id>/closure/", views.closure, name="closure"),
    path("<int:meeting_id>/<slug:part>/", views.record, name="record"),
    path("<int:meeting_id>/<slug:part>/form/", views.record_form, name="record_form"),
    path("<int:meeting_id>/print/<slug:form>.pdf", views.print_meeting, name="print"),
]
