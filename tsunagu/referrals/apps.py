from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    name = "tsunagu.referrals"
    label = "referrals"
    verbose_name = "つなぎ"

    def ready(self) -> None:
        from tsunagu.core.sections import Section, section_register
        from tsunagu.referrals.selectors import person_referrals_section

        section_register(
            Section(
                page="people:detail",
                name="referrals",
                template="referrals/_person_section.html",
                order=20,
                context=person_referrals_section,
            )
        )
