from django.apps import AppConfig


class OutreachConfig(AppConfig):
    name = "tsunagu.outreach"
    label = "outreach"
    verbose_name = "アウトリーチ等支援"

    def ready(self) -> None:
        from tsunagu.core.sections import Section, section_register
        from tsunagu.outreach.selectors import person_outreach_section

        section_register(
            Section(
                page="people:detail",
                name="outreach",
                template="outreach/_person_section.html",
                order=45,
                context=person_outreach_section,
            )
        )
