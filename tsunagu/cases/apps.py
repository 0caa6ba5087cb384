from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "tsunagu.cases"
    label = "cases"
    verbose_name = "多機関協働"

    def ready(self) -> None:
        from tsunagu.cases.selectors import (
            consultation_case_request_section,
            referral_case_section,
        )
        from tsunagu.cases.views import person_section
        from tsunagu.core.sections import Section, section_register

        section_register(
            Section(
                page="people:detail",
                name="cases",
                template="cases/_person_section.html",
                order=40,
                context=person_section,
            )
        )
        section_register(
            Section(
                page="consultations:detail",
                name="case_request",
                template="cases/_consultation_section.html",
                order=10,
                context=consultation_case_request_section,
            )
        )
        section_register(
            Section(
                page="referrals:detail",
                name="case",
                template="cases/_referral_section.html",
                order=10,
                context=referral_case_section,
            )
        )
