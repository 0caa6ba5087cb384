"""CPU per candidate pair of find-duplicates, on the name-and-birth-year blocks of a city.

    DATABASE_URL=postgres://…/CITY .venv/bin/python bench/duplicates/pair_cost.py [--limit N]

Reads the `ny:` blocks (name + birth year, the bulk of the candidate pairs of a large city)
from the stored keys, prepares their persons and times, over the same distinct pairs, the full
score (`_compare` without reasons, then with them when the pair reaches review: what
`pair_match` did before the birth-date bound) against `pair_match` (the bound first). Checks
that both give the same matches. Read only.
"""

from __future__ import annotations

import argparse
import itertools
import os
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tsunagu.config.settings")

import django

django.setup()

from tsunagu.people import matching  # noqa: E402
from tsunagu.people.models import Person, PersonKey  # noqa: E402
from tsunagu.people.selectors import _FACT_FIELDS, _facts_of  # noqa: E402


def full_score(
    a: matching.Prepared, b: matching.Prepared, readings: matching.Readings, threshold: float
) -> matching.Match | None:
    """`pair_match` without the birth-date bound (the code before it)."""
    if matching._compare(a, b, explain=False, readings=readings).score < threshold:
        return None
    r = matching._compare(a, b, readings=readings)
    return matching.Match(round(r.score, 4), r.reasons)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--limit", type=int, default=0, help="at most this many pairs")
    args = parser.parse_args()
    blocks: dict[str, list[int]] = defaultdict(list)
    # unscoped: a benchmark over a whole generated city
    for key, pk in PersonKey.dangerously_unscoped.filter(key__startswith="ny:").values_list(
        "key", "person_id"
    ):
        blocks[key].append(pk)
    pairs = sorted(
        {
            (x, y)
            for block in blocks.values()
            if 1 < len(block) <= 2000
            for x, y in itertools.combinations(sorted(block), 2)
        }
    )
    if args.limit:
        pairs = pairs[: args.limit]
    ids = sorted({pk for pair in pairs for pk in pair})
    rows: list[tuple[Any, ...]] = []
    for start in range(0, len(ids), 5000):
        # unscoped: as above
        rows += Person.dangerously_unscoped.filter(pk__in=ids[start : start + 5000]).values_list(
            *_FACT_FIELDS
        )
    facts = {row[0]: _facts_of(row) for row in rows}
    t = time.process_time()
    prepared = {pk: matching.prepare(f) for pk, f in facts.items()}
    prep_s = time.process_time() - t
    readings = matching.Readings.learn(facts.values())
    threshold = matching.REVIEW_THRESHOLD
    results = {}
    for name, score in (("full score", full_score), ("pair_match", matching.pair_match)):
        t = time.process_time()
        found = [score(prepared[x], prepared[y], readings, threshold) for x, y in pairs]
        results[name] = (time.process_time() - t, found)
    marks = matching.PairingMarks()
    t = time.process_time()
    for pk in sorted(facts):
        f = facts[pk]
        marks.add(pk, f.family_name, f.given_name, f.birth_date, f.phone, f.address)
    marks_s = time.process_time() - t
    later: dict[int, list[int]] = defaultdict(list)
    for x, y in pairs:
        later[x].append(y)
    t = time.process_time()
    kept = [(x, y) for x, ys in later.items() for y in marks.uncapped(x, ys)]
    caps_s = time.process_time() - t
    bounded = sum(matching.birth_caps_conflict(prepared[x], prepared[y]) for x, y in pairs)
    same = results["full score"][1] == results["pair_match"][1]
    print(f"ny: blocks {sum(len(b) > 1 for b in blocks.values()):,}, distinct pairs {len(pairs):,}")
    print(
        f"persons prepared {len(prepared):,}: {prep_s:.2f} s, "
        f"{prep_s / len(prepared) * 1e6:.0f} µs each"
    )
    print(f"pairs capped by the birth dates alone: {bounded:,} ({bounded / len(pairs):.1%})")
    print(f"pairs reaching review: {sum(m is not None for m in results['pair_match'][1]):,}")
    for name, (seconds, _) in results.items():
        print(f"{name}: {seconds:.2f} s CPU, {seconds / len(pairs) * 1e6:.1f} µs a pair")
    print(
        f"pairing marks of {len(marks):,} persons: {marks_s:.2f} s, "
        f"{marks_s / len(marks) * 1e6:.1f} µs each"
    )
    print(
        f"passed over by the marks (nothing read or prepared): {len(pairs) - len(kept):,}, "
        f"{caps_s / len(pairs) * 1e6:.2f} µs a pair"
    )
    print("same matches:", same)


if __name__ == "__main__":
    main()
