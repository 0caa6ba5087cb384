from django.apps import AppConfig


class MeetingRecordsConfig(AppConfig):
    name = "tsunagu.meetingrecords"
    label = "meetingrecords"
    verbose_name = "会議の記録"

    def ready(self) -> None:
        # cases sits below this app: its pages show meetings only through sections
        from tsunagu.core.sections import Section, section_register
        from tsunagu.meetingrecords.selectors import case_meetings_section, work_actions_section

        section_register(
            Section(
                page="cases:work",
                name="meeting_actions",
                template="meetingrecords/_work_actions.html",
                order=10,
                context=work_actions_section,
            )
        )
        section_register(
            Section(
                page="cases:detail",
                name="case_conference",
                template="meetingrecords/_case_section.html",
                order=10,
                context=case_meetings_section,
            )
        )
