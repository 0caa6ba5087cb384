"""Add the name-with-a-fact keys (``ny:``, ``nm:``) to every record's matching keys.

A full name alone (``n:``) no longer pairs records: a pair must also share the birth year or
the birth month and day (``matching.NAME_FACT_PREFIXES``), or a stronger key. The
keys are an index derived from the record (``matching.match_keys``); records written before
this migration lack the new kinds, so they are added here (the other keys stay as they are).
Reversing removes them again.
"""

from django.db import migrations

BATCH = 5000
FIELDS = (
    "pk",
    "family_name",
    "given_name",
    "family_name_kana",
    "given_name_kana",
    "birth_date",
    "phone",
    "postal_code",
    "address",
    "former_family_names",
)


def add(apps, schema_editor):
    from tsunagu.people import matching

    Person = apps.get_model("people", "Person")
    PersonKey = apps.get_model("people", "PersonKey")
    # an anonymised record (retention) keeps no keys: it must not be found again
    persons = Person._default_manager.filter(anonymised_at__isnull=True).order_by("pk")
    last = 0
    while True:
        rows = list(persons.filter(pk__gt=last).values_list(*FIELDS)[:BATCH])
        if not rows:
            return
        last = rows[-1][0]
        keys = []
        for (
            pk,
            family,
            given,
            family_kana,
            given_kana,
            birth,
            phone,
            postal,
            address,
            former,
        ) in rows:
            facts = matching.PersonFacts(
                family_name=family,
                given_name=given,
                family_name_kana=family_kana,
                given_name_kana=given_kana,
                birth_date=birth,
                phone=phone,
                postal_code=postal,
                address=address,
                former_family_names=tuple(former or ()),
            )
            keys.extend(
                PersonKey(person_id=pk, key=k)
                for k in sorted(matching.match_keys(facts))
                if k.startswith(matching.NAME_FACT_PREFIXES)
            )
        PersonKey._default_manager.bulk_create(keys, batch_size=5000, ignore_conflicts=True)


def remove(apps, schema_editor):
    from tsunagu.people import matching

    PersonKey = apps.get_model("people", "PersonKey")
    for prefix in matching.NAME_FACT_PREFIXES:
        PersonKey._default_manager.filter(key__startswith=prefix).delete()


class Migration(migrations.Migration):
    dependencies = [("people", "0010_person_household_candidate_indexes")]

    operations = [migrations.RunPython(add, remove)]
