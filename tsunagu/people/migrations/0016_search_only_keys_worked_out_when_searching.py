"""Remove the stored one-slip keys (``nd:``, the reading with each kana left out) and the 外字
keys (``w:``, the kanji name with each character as 〓) but the one with the first character
as 〓.

They served the search box only and were 11 of a record's 40 keys, written by every import;
the search now works out the names one slip from the typed one, or matching a 〓 typed after
the first character, and looks up which are someone's ``n:`` key (``matching.neighbour_keys``,
``matching.wildcard_key``). Reversing writes nothing back: the code before this migration would
then find a slip only through the other keys.
"""

from django.db import migrations

UNKNOWN = "〓"  # tsunagu.core.text.UNKNOWN as of this migration


def remove(apps, schema_editor):
    PersonKey = apps.get_model("people", "PersonKey")
    keys = PersonKey._default_manager
    alias = schema_editor.connection.alias
    keys.filter(key__startswith="nd:")._raw_delete(alias)
    keys.filter(key__startswith="w:").exclude(key__startswith="w:" + UNKNOWN)._raw_delete(alias)


class Migration(migrations.Migration):
    dependencies = [("people", "0015_person_key_no_database_constraint")]

    operations = [migrations.RunPython(remove, migrations.RunPython.noop)]
