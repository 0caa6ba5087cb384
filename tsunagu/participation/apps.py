from django.apps import AppConfig


class ParticipationConfig(AppConfig):
    name = "tsunagu.participation"
    label = "participation"
    verbose_name = "参加支援"

    def ready(self) -> None:
        from tsunagu.core.sections import Section, section_register
        from tsunagu.participation.selectors import person_participation_section

        section_register(
            Section(
                page="people:detail",
                name="participation",
                template="participation/_person_section.html",
                order=46,
                context=person_participation_section,
            )
        )
