# Fewer indexes on the matching keys (about 40 rows a person, written by every import): the
# lookup index (key, person) in the pattern operator class replaces the block index, the index
# on the key and its pattern copy; the person's own index is covered by the unique (person, key).
# The new index is made before the old ones go, so lookups always have one.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("people", "0013_person_key_block_index"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="personkey",
            index=models.Index(
                fields=["key", "person"],
                name="person_key_lookup_idx",
                opclasses=["varchar_pattern_ops", "int8_ops"],
            ),
        ),
        migrations.RemoveIndex(
            model_name="personkey",
            name="person_key_block_idx",
        ),
        migrations.AlterField(
            model_name="personkey",
            name="key",
            field=models.CharField(max_length=120),
        ),
        migrations.AlterField(
            model_name="personkey",
            name="person",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="match_keys",
                to="people.person",
            ),
        ),
    ]
