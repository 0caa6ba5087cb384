"""A full name with the 姓 from one script and the 名 from the other (青木ユキコ for 青木 幸子 /
アオキ ユキコ): a search key, not a pairing key with a second fact (migration 0017)."""

from __future__ import annotations

import datetime as dt
import importlib
from types import SimpleNamespace

from django.apps import apps
from django.db import connection

from tsunagu.accounts.models import User
from tsunagu.people import matching
from tsunagu.people.models import PersonKey
from tsunagu.people.services import PersonData, person_create

BIRTH = dt.date(1950, 12, 3)
BOTH = matching.PersonFacts(
    family_name="青木",
    given_name="幸子",
    family_name_kana="アオキ",
    given_name_kana="ユキコ",
    birth_date=BIRTH,
)
MIXED = {"青木ユキコ", "アオキ幸子"}


def test_a_mixed_name_is_searched_by_and_paired_through_the_birth_date() -> None:
    keys = matching.match_keys(BOTH)
    assert {"n:" + name for name in MIXED} <= keys
    assert not {k for k in keys if k.startswith(("ny:", "nm:")) and k.split(":")[2] in MIXED}
    # the record written so (the 名 in kana, no reading) still meets the full one and reaches
    # a strong match: by the birth date with its 姓 and its 名
    written_mixed = matching.PersonFacts(family_name="青木", given_name="ゆきこ", birth_date=BIRTH)
    assert matching.pairing_keys(BOTH) & matching.pairing_keys(written_mixed)
    assert matching.compare(BOTH, written_mixed).score >= matching.DEFAULT_THRESHOLD
    # and the search box finds it by the mixed name
    assert "n:青木ユキコ" in matching.query_keys("青木ゆきこ", None)


def test_the_migration_removes_the_stored_keys_no_longer_given_and_no_other(
    counselor: User,
) -> None:
    person = person_create(
        user=counselor,
        data=PersonData(
            family_name="青木",
            given_name="幸子",
            family_name_kana="アオキ",
            given_name_kana="ユキコ",
            birth_date=BIRTH,
        ),
    )
    other = person_create(user=counselor, data=PersonData(family_name="山田", given_name="花子"))
    # unscoped: the test writes and reads the keys themselves
    stale = [
        f"{kind}:{name}" for kind in ("ny:1950", "ny:1951", "nm:12-03") for name in sorted(MIXED)
    ]
    PersonKey.dangerously_unscoped.bulk_create(PersonKey(person=person, key=k) for k in stale)
    # a key of another kind is not the migration's, even if no longer given
    PersonKey.dangerously_unscoped.create(person=other, key="b:1950-12-03:f:山田")

    migration = importlib.import_module(
        "tsunagu.people.migrations.0017_no_name_fact_keys_for_mixed_names"
    )
    migration.remove(apps, SimpleNamespace(connection=connection))

    stored = set(PersonKey.dangerously_unscoped.filter(person=person).values_list("key", flat=True))
    assert stored == matching.match_keys(BOTH)
    assert set(
        PersonKey.dangerously_unscoped.filter(person=other).values_list("key", flat=True)
    ) == (
        matching.match_keys(matching.PersonFacts(family_name="山田", given_name="花子"))
        | {"b:1950-12-03:f:山田"}
    )
