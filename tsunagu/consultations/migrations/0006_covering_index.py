"""The (organization, received_at) index carries site, is_new and person on PostgreSQL, so the
fiscal-year counts of the evaluation read the index alone."""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("consultations", "0005_consultation_version"),
        ("organizations", "0006_merge_aliases_two_factor_sites"),
        ("people", "0008_household_version"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="consultation",
            name="consultatio_organiz_1e0bd5_idx",
        ),
        migrations.AddIndex(
            model_name="consultation",
            index=models.Index(
                fields=["organization", "received_at"],
                include=("site", "is_new", "person"),
                name="consultation_org_received",
            ),
        ),
    ]
