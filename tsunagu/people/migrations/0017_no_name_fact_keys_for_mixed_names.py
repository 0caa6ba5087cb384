"""Remove the name-with-a-fact keys (``ny:``, ``nm:``) of the mixed full names: the 姓 from one
script and the 名 from the other (青木ユキコ for 青木 幸子 / アオキ ユキコ).

They were 3 of a record's 27 keys, written by every import. A record written with one part in
each script is still found from the search box by its mixed name (``n:``), and paired through
its birth date with the 姓 or the 名 (``b:``), a phone or an address: in bench/identity the
pairs found are the same without them (docs/performance.md). Each record's stored ``ny:`` and
``nm:`` keys that `matching.match_keys` no longer gives are deleted. Reversing writes nothing
back: the code before this migration would then pair mixed names only through the other keys.
"""

from django.db import migrations
from django.db.models import Q

BATCH = 2000
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


def remove(apps, schema_editor):
    from tsunagu.people import matching

    Person = apps.get_model("people", "Person")
    PersonKey = apps.get_model("people", "PersonKey")
    alias = schema_editor.connection.alias
    fact_keys = Q()
    for prefix in matching.NAME_FACT_PREFIXES:
        fact_keys |= Q(key__startswith=prefix)
    # an anonymised record (retention) keeps no keys
    persons = Person._default_manager.filter(anonymised_at__isnull=True).order_by("pk")
    last = 0
    while rows := list(persons.filter(pk__gt=last).values_list(*FIELDS)[:BATCH]):
        first, last = rows[0][0], rows[-1][0]
        kept = {
            pk: {
                k
                for k in matching.match_keys(
                    matching.PersonFacts(
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
                )
                if k.startswith(matching.NAME_FACT_PREFIXES)
            }
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
            ) in rows
        }
        stored = (
            PersonKey._default_manager.filter(person_id__gte=first, person_id__lte=last)
            .filter(fact_keys)
            .values_list("pk", "person_id", "key")
        )
        gone = [pk for pk, person, key in stored if person in kept and key not in kept[person]]
        if gone:
            PersonKey._default_manager.filter(pk__in=gone)._raw_delete(alias)


class Migration(migrations.Migration):
    dependencies = [("people", "0016_search_only_keys_worked_out_when_searching")]

    operations = [migrations.RunPython(remove, migrations.RunPython.noop)]
