"""The inbox and the outbox page newest first by these indexes (keyset pages), instead of
sorting every referral an organization received or sent."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("referrals", "0004_japanese_field_names"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="referral",
            index=models.Index(
                fields=["to_organization", "created_at"], name="referral_to_created"
            ),
        ),
        migrations.AddIndex(
            model_name="referral",
            index=models.Index(
                fields=["from_organization", "created_at"], name="referral_from_created"
            ),
        ),
    ]
