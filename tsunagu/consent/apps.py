from django.apps import AppConfig


class ConsentConfig(AppConfig):
    name = "tsunagu.consent"
    label = "consent"
    verbose_name = "本人同意"

    def ready(self) -> None:
        from tsunagu.consent.selectors import person_consents_section
        from tsunagu.core.sections import Section, section_register

        section_register(
            Section(
                page="people:detail",
                name="consents",
                template="consent/_person_section.html",
                order=30,
                context=person_consents_section,
            )
        )
