"""Rebuild every record's identity-matching keys with the second edition of the engine.

The keys are an index derived from the record (``matching.match_keys``): the new kinds (a
swapped full name, readings of kanji-only names, 外字 wildcards, romaji sounds) exist only for
records written after the upgrade unless they are rebuilt here. Reversing keeps the keys (an
index is never wrong to have more of).
"""

from django.db import migrations

BATCH = 2000


def rebuild(apps, schema_editor):
    from tsunagu.people import matching

    Person = apps.get_model("people", "Person")
    PersonKey = apps.get_model("people", "PersonKey")
    # an anonymised record (retention) keeps no keys: it must not be found again
    persons = Person._default_manager.filter(anonymised_at__isnull=True).order_by("pk")
    last = 0
    while True:
        batch = list(persons.filter(pk__gt=last)[:BATCH])
        if not batch:
            return
        last = batch[-1].pk
        keys = []
        for p in batch:
            facts = matching.PersonFacts(
                family_name=p.family_name,
                given_name=p.given_name,
                family_name_kana=p.family_name_kana,
                given_name_kana=p.given_name_kana,
                birth_date=p.birth_date,
                phone=p.phone,
                postal_code=p.postal_code,
                address=p.address,
                former_family_names=tuple(p.former_family_names or ()),
            )
            keys.extend(PersonKey(person_id=p.pk, key=k) for k in sorted(matching.match_keys(facts)))
        PersonKey._default_manager.filter(person_id__in=[p.pk for p in batch]).delete()
        PersonKey._default_manager.bulk_create(keys, batch_size=5000)


class Migration(migrations.Migration):
    dependencies = [("people", "0005_person_anonymised_at")]

    operations = [migrations.RunPython(rebuild, migrations.RunPython.noop)]
