from django.urls import path

from tsunagu.cases import views

app_name = "cases"
urlpatterns = [
    path("", views.work, name="work"),
    path("list/", views.case_list, name="list"),
    path("new/", views.create, name="create"),
    path("from-referral/<int:referral_id>/", views.from_referral, name="from_referral"),
    path("requests/new/", views.request_create, name="request_create"),
    path(
        "requests/from-referral/<int:referral_id>/",
        views.request_from_referral,
        name="request_from_referral",
    ),
    path("requests/<int:request_id>/", views.request_detail, name="request"),
    path("requests/<int:request_id>/<slug:action>/", views.request_act, name="request_act"),
    path("choices/", views.choices, name="choices"),
    path("members/", views.member_add_chosen, name="member_add_chosen"),
    path("resource-gaps/", views.gaps, name="gaps"),
    path("resource-gaps/report/", views.gap_report, name="gap_report"),
    path("resource-gaps/report.csv", views.gap_report_csv, name="gap_report_csv"),
    path("resource-gaps/<int:gap_id>/status/", views.gap_status, name="gap_status"),
    path("<int:case_id>/", views.detail, name="detail"),
    path("<int:case_id>/status/", views.status, name="status"),
    path("<int:case_id>/members/", views.member_add, name="member_add"),
    path(
        "<int:case_id>/members/<int:member_id>/remove/",
        views.member_remove,
        name="member_remove",
    ),
    path("<int:case_id>/team/", views.team_join, name="team_join"),
    path("<int:case_id>/team/<int:member_id>/leave/", views.team_leave, name="team_leave"),
    path("<int:case_id>/events/", views.event_add, name="event_add"),
    path("<int:case_id>/assessment/", views.assessment, name="assessment"),
    path("<int:case_id>/plans/new/", views.plan_new, name="plan_new"),
    path("<int:case_id>/close/", views.close, name="close"),
    path("<int:case_id>/print/<slug:form>.pdf", views.print_sheet, name="print"),
    path("plans/<int:plan_id>/", views.plan, name="plan"),
    path("plans/<int:plan_id>/monitoring/", views.monitoring, name="monitoring"),
    path("plans/<int:plan_id>/<slug:action>/", views.plan_act, name="plan_act"),
]
