"""find-duplicates streams its pairs from the stored keys (`selectors.duplicate_pairs`): on a
labelled synthetic population (bench/identity/generate.py) it gives exactly the pairs, scores,
reasons and order that `matching.find_pairs` gives over every record held in memory, also when
batches are small, few prepared records are kept and blocks are capped."""

from __future__ import annotations

import datetime as dt
import importlib.util
import sys
from pathlib import Path
from typing import Any

import pytest

from tsunagu.accounts.models import User
from tsunagu.people import matching, selectors
from tsunagu.people.models import Person, PersonKey, PersonLink
from tsunagu.people.selectors import duplicate_pairs
from tsunagu.people.services import person_facts

BENCH = Path(__file__).resolve().parents[3] / "bench" / "identity" / "generate.py"


def _population(seed: int, persons: int) -> list[dict[str, Any]]:
    spec = importlib.util.spec_from_file_location("identity_generate", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    records: list[dict[str, Any]] = module.generate(seed, persons)
    return records


def _store(user: User, records: list[dict[str, Any]]) -> None:
    """The records as persons with their stored keys, as the generator and the services write."""
    persons = Person.dangerously_unscoped.bulk_create(
        Person(
            organization=user.organization,
            external_id=f"R-{r['record_id']}",
            family_name=r["family_name"],
            given_name=r["given_name"],
            family_name_kana=r["family_name_kana"],
            given_name_kana=r["given_name_kana"],
            birth_date=dt.date.fromisoformat(r["birth_date"]) if r["birth_date"] else None,
            phone=r["phone"],
            postal_code=r["postal_code"],
            address=r["address"],
            former_family_names=list(r.get("former_family_names") or []),
        )
        for r in records
    )
    PersonKey.dangerously_unscoped.bulk_create(
        PersonKey(person=p, key=k) for p in persons for k in matching.match_keys(person_facts(p))
    )


def _in_memory(threshold: float, max_block: int) -> list[tuple[int, int, matching.Match]]:
    """The pairs as find-duplicates found them before it streamed: every record in memory, in
    the persons' list order, without the pairs decided."""
    by_id = {p.pk: p for p in Person.dangerously_unscoped.all()}
    pairs = matching.find_pairs(
        ((pk, person_facts(p)) for pk, p in by_id.items()), threshold, max_block=max_block
    )
    decided = set(
        PersonLink.dangerously_unscoped.filter(undone_at__isnull=True).values_list(
            "person_a_id", "person_b_id"
        )
    )
    out = []
    for a, b, match in pairs:
        first, second = min(a, b), max(a, b)
        if (first, second) not in decided:
            out.append((first, second, match))
    return out


def _streamed(threshold: float, max_block: int) -> list[tuple[int, int, matching.Match]]:
    pairs = duplicate_pairs(
        persons=Person.dangerously_unscoped.all(), threshold=threshold, max_block=max_block
    )
    return [(a.pk, b.pk, match) for a, b, match in pairs]


@pytest.mark.parametrize(
    ("batch", "kept", "max_block"), [(2000, 100_000, 2000), (37, 50, 2000), (100, 200, 6)]
)
def test_streamed_pairs_are_the_in_memory_pairs(
    counselor: User, monkeypatch: pytest.MonkeyPatch, batch: int, kept: int, max_block: int
) -> None:
    records = _population(seed=5, persons=200)
    _store(counselor, records)
    assert any(not r["family_name_kana"] and not r["given_name_kana"] for r in records)
    a, b = Person.dangerously_unscoped.order_by("pk")[:2]
    PersonLink.dangerously_unscoped.create(
        person_a=a, person_b=b, kind=PersonLink.Kind.NOT_SAME_PERSON, created_by=counselor
    )
    monkeypatch.setattr(selectors, "PAIRING_BATCH", batch)
    monkeypatch.setattr(selectors, "PREPARED_KEPT", kept)
    for threshold in (matching.REVIEW_THRESHOLD, matching.DEFAULT_THRESHOLD):
        expected = _in_memory(threshold, max_block)
        assert len(expected) > 50
        assert _streamed(threshold, max_block) == expected


def test_progress_is_told_per_batch(counselor: User, monkeypatch: pytest.MonkeyPatch) -> None:
    _store(counselor, _population(seed=2, persons=60))
    monkeypatch.setattr(selectors, "PAIRING_BATCH", 50)
    told: list[tuple[int, int]] = []
    duplicate_pairs(
        persons=Person.dangerously_unscoped.all(), progress=lambda d, t: told.append((d, t))
    )
    total = Person.dangerously_unscoped.count()
    assert told[-1] == (total, total) and len(told) == -(-total // 50)


def test_the_count_of_every_key_may_hash_in_memory_on_postgresql(counselor: User) -> None:
    """The one GROUP BY over all the stored keys runs with a larger work_mem (SET LOCAL: until
    its transaction ends): in the default it spilled to disk, 360 s on a big city."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _store(counselor, _population(seed=2, persons=30))
    with CaptureQueriesContext(connection) as queries:
        duplicate_pairs(persons=Person.dangerously_unscoped.all())
    sql = [q["sql"] for q in queries]
    grouping = next(i for i, q in enumerate(sql) if "GROUP BY" in q and "HAVING" in q)
    if connection.vendor == "postgresql":
        assert f"SET LOCAL work_mem = '{selectors.GROUPING_WORK_MEM}'" in sql[grouping - 1]
    else:
        assert not any("work_mem" in q for q in sql)


@pytest.mark.django_db(transaction=True)
def test_pairs_from_two_worker_processes_are_the_same(
    counselor: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On PostgreSQL find-duplicates deals its batches out to forked processes, each with its
    own connection (committed data, hence a transactional test): the same list, in the same
    order, with progress told for every person."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("the batches are paired in worker processes on PostgreSQL only")
    _store(counselor, _population(seed=5, persons=200))
    monkeypatch.setattr(selectors, "PAIRING_BATCH", 37)
    one = _streamed(matching.REVIEW_THRESHOLD, 2000)
    told: list[tuple[int, int]] = []
    pairs = duplicate_pairs(
        persons=Person.dangerously_unscoped.all(),
        workers=2,
        progress=lambda d, t: told.append((d, t)),
    )
    assert len(one) > 50
    assert [(a.pk, b.pk, m) for a, b, m in pairs] == one
    total = Person.dangerously_unscoped.count()
    assert told[-1] == (total, total) and len(told) == -(-total // 37)
