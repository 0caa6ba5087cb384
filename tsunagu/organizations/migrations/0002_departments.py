"""An organization may have several 所管課; 設置数 may be unknown (the plan does not say)."""

from django.db import migrations, models


def copy_department(apps, schema_editor):  # type: ignore[no-untyped-def]
    Organization = apps.get_model("organizations", "Organization")
    for org in Organization.objects.exclude(department=None):
        org.departments.add(org.department_id)


class Migration(migrations.Migration):
    dependencies = [
        ("organizations", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="organization",
            name="departments",
            field=models.ManyToManyField(
                blank=True,
                limit_choices_to={"kind": "department"},
                related_name="supervised_by_any",
                to="organizations.organization",
                verbose_name="所管課",
            ),
        ),
        migrations.RunPython(copy_department, migrations.RunPython.noop),
        migrations.RemoveField(
            model_name="organization",
            name="department",
        ),
        migrations.AlterField(
            model_name="organization",
            name="departments",
            field=models.ManyToManyField(
                blank=True,
                limit_choices_to={"kind": "department"},
                related_name="supervised",
                to="organizations.organization",
                verbose_name="所管課",
            ),
        ),
        migrations.AlterField(
            model_name="organization",
            name="site_count",
            field=models.PositiveSmallIntegerField(
                blank=True, help_text="空欄: 計画に記載なし", null=True, verbose_name="設置数"
            ),
        ),
    ]
