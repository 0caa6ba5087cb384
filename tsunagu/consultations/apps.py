from django.apps import AppConfig


class ConsultationsConfig(AppConfig):
    name = "tsunagu.consultations"
    label = "consultations"
    verbose_name = "相談"

    def ready(self) -> None:
        from tsunagu.consultations.selectors import person_consultations_section
        from tsunagu.core.sections import Section, section_register

        section_register(
            Section(
                page="people:detail",
                name="consultations",
                template="consultations/_person_section.html",
                order=10,
                context=person_consultations_section,
            )
        )
