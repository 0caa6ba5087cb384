"""A program may have several 担当課."""

from django.db import migrations, models


def copy_department(apps, schema_editor):  # type: ignore[no-untyped-def]
    Program = apps.get_model("cityplan", "Program")
    for program in Program.objects.exclude(department=None):
        program.departments.add(program.department_id)


class Migration(migrations.Migration):
    dependencies = [
        ("cityplan", "0001_initial"),
        ("organizations", "0002_departments"),
    ]

    operations = [
        migrations.AddField(
            model_name="program",
            name="departments",
            field=models.ManyToManyField(
                blank=True,
                limit_choices_to={"kind": "department"},
                related_name="programs_responsible",
                to="organizations.organization",
                verbose_name="担当課",
            ),
        ),
        migrations.RunPython(copy_department, migrations.RunPython.noop),
        migrations.RemoveField(
            model_name="program",
            name="department",
        ),
    ]
