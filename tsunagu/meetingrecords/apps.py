from django.apps import AppConfig


class MeetingRecordsConfig(AppConfig):
    name = "tsunagu.meetingrecords"
    label = "meetingrecords"
    verbose_name = "会議の記録"
