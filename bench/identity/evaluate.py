"""Evaluate tsunagu.people.matching on a set made by generate.py.

    .venv/bin/python bench/identity/evaluate.py /tmp/ids.jsonl
    .venv/bin/python bench/identity/evaluate.py /tmp/ids-100k.jsonl --pairs-only

Reports precision and recall of find_pairs at DEFAULT_THRESHOLD (overall, per variant kind,
hard negatives apart), recall@5 of search with candidates fetched through query_keys, and the
time and memory find_pairs takes. --pairs-only skips search and the traced-memory run, for
large sets.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import itertools
import json
import resource
import sys
import time
import tracemalloc
from bisect import bisect_left
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

# Run as a script from the repository root: make the package importable without installing.
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tsunagu.core.text import UNKNOWN
from tsunagu.people import matching
from tsunagu.people.matching import (
    DEFAULT_THRESHOLD,
    REVIEW_THRESHOLD,
    SEARCH_ONLY_PREFIXES,
    PersonFacts,
    candidate_pair_count,
    find_pairs,
    match_keys,
    neighbour_keys,
    query_keys,
    search,
    wildcard_key,
)

FACT_FIELDS = (
    "family_name",
    "given_name",
    "family_name_kana",
    "given_name_kana",
    "phone",
    "postal_code",
    "address",
)


def load(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh if line.strip()]
    # generate.py numbers records 0..n-1 in file order; the report indexes lists by record_id.
    assert [r["record_id"] for r in rows] == list(range(len(rows))), "unexpected record ids"
    return rows


def facts(row: dict[str, Any]) -> PersonFacts:
    birth = dt.date.fromisoformat(row["birth_date"]) if row["birth_date"] else None
    return PersonFacts(
        **{f: row[f] for f in FACT_FIELDS},
        birth_date=birth,
        former_family_names=tuple(row["former_family_names"]),
    )


def _ratio(num: int, den: int) -> str:
    return f"{num / den:.4f} ({num}/{den})" if den else "n/a"


def _pair(a: int, b: int) -> tuple[int, int]:
    return (a, b) if a < b else (b, a)


def pair_report(
    rows: list[dict[str, Any]],
    all_facts: list[PersonFacts],
    scored: dict[tuple[int, int], float],
) -> None:
    """Precision and recall of the likely tier and of likely + review, overall and per kind."""
    predicted = {p for p, s in scored.items() if s >= REVIEW_THRESHOLD}
    likely = {p for p, s in scored.items() if s >= DEFAULT_THRESHOLD}
    by_person: dict[int, list[int]] = defaultdict(list)
    for row in rows:
        by_person[row["person_id"]].append(row["record_id"])
    positives = {
        _pair(a, b) for ids in by_person.values() for a, b in itertools.combinations(ids, 2)
    }
    person = {row["record_id"]: row["person_id"] for row in rows}
    print(f"records: {len(rows)}  persons: {len(by_person)}  true pairs: {len(positives)}")
    for label, pred in (
        (f"likely (>= {DEFAULT_THRESHOLD})", likely),
        (f"likely + review (>= {REVIEW_THRESHOLD})", predicted),
    ):
        tp = len(pred & positives)
        print(f"{label}: predicted {len(pred)}")
        print(f"  precision {_ratio(tp, len(pred))}")
        print(f"  recall    {_ratio(tp, len(positives))}")
    keys = [{k for k in match_keys(f) if not k.startswith(SEARCH_ONLY_PREFIXES)} for f in all_facts]
    blocked = sum(1 for a, b in positives if keys[a] & keys[b])
    print(f"  blocking recall (true pairs sharing a stored key) {_ratio(blocked, len(positives))}")

    kinds = {row["record_id"]: set(row["kinds"]) for row in rows}
    print("per variant kind (pairs where either record has the kind):")
    print(
        f"  {'kind':15} {'recall likely':>22} {'recall +review':>22}"
        f" {'precision likely':>22} {'precision +review':>22}"
    )
    all_kinds = sorted({k for ks in kinds.values() for k in ks})
    for kind in all_kinds:
        pos = [p for p in positives if kind in kinds[p[0]] | kinds[p[1]]]
        cells = []
        for pred in (likely, predicted):
            cells.append(_ratio(sum(1 for p in pos if p in pred), len(pos)))
        for pred in (likely, predicted):
            mine = [p for p in pred if kind in kinds[p[0]] | kinds[p[1]]]
            good = sum(1 for p in mine if person[p[0]] == person[p[1]])
            cells.append(_ratio(good, len(mine)))
        print(f"  {kind:15} " + " ".join(f"{c:>22}" for c in cells))

    print("hard negatives (pairs between a look-alike's record and its anchor's):")
    hard = {row["record_id"]: (row["hard_negative"], row["anchor_person"]) for row in rows}
    for kind in ("namesake", "twin", "household", "jr", "sibling", "spouse", "neighbour"):
        negs = [
            _pair(r, a) for r, (k, anchor) in hard.items() if k == kind for a in by_person[anchor]
        ]
        in_likely = sum(1 for p in negs if p in likely)
        in_review = sum(1 for p in negs if p in predicted and p not in likely)
        own = [
            _pair(a, b)
            for pid in {row["person_id"] for row in rows if row["hard_negative"] == kind}
            for a, b in itertools.combinations(by_person[pid], 2)
        ]
        found = sum(1 for p in own if p in predicted)
        print(
            f"  {kind:10} in likely {in_likely}/{len(negs)}, in review {in_review}/{len(negs)}"
            f"   look-alikes' own duplicates found {_ratio(found, len(own))}"
        )
    fp: Counter[str] = Counter()
    for a, b in predicted - positives:
        tier = "likely" if (a, b) in likely else "review"
        origin = "hard negative" if hard[a][0] or hard[b][0] else "other"
        fp[f"{tier}/{origin}"] += 1
    print(f"false pairs by tier and origin: {dict(fp)}")
    missed: Counter[str] = Counter()
    for a, b in positives - predicted:
        for k in kinds[a] | kinds[b] or {"(none)"}:
            missed[k] += 1
    print(f"missed pairs by kind: {dict(missed.most_common())}")


def threshold_sweep(rows: list[dict[str, Any]], records: list[tuple[int, PersonFacts]]) -> None:
    person = {row["record_id"]: row["person_id"] for row in rows}
    sizes = Counter(person.values())
    positives = sum(n * (n - 1) // 2 for n in sizes.values())
    scored = find_pairs(records, threshold=0.2)
    print("other thresholds (pairs found through blocking):")
    for t in (0.3, REVIEW_THRESHOLD, 0.5, 0.6, DEFAULT_THRESHOLD, 0.9, 0.97):
        pred = [(a, b) for a, b, m in scored if m.score >= t]
        good = sum(1 for a, b in pred if person[a] == person[b])
        print(f"  {t:.2f}: precision {_ratio(good, len(pred))}  recall {_ratio(good, positives)}")


def search_report(rows: list[dict[str, Any]], all_facts: list[PersonFacts]) -> None:
    index: dict[str, list[int]] = defaultdict(list)
    for i, f in enumerate(all_facts):
        for k in match_keys(f):
            index[k].append(i)
    names = sorted(k for k in index if k.startswith("n:"))

    def wildcard(key: str | None) -> set[str]:
        """The stored names a typed 〓 matches, as `people.selectors._wildcard_keys` finds them."""
        if key is None:
            return set()
        head, tail = key.split(UNKNOWN, 1)
        out: list[str] = []
        for k in itertools.islice(names, bisect_left(names, head), None):
            if not k.startswith(head) or len(out) == 50:
                break
            if k.endswith(tail) and len(k) == len(key) and k != key:
                out.append(k)
        return set(out)

    person = [row["person_id"] for row in rows]
    results: dict[str, list[int]] = {
        "with birth date": [],
        "without birth date": [],
        "without, name unchanged": [],
    }
    fetched = []
    per_kind: dict[str, list[int]] = defaultdict(list)
    started = time.perf_counter()
    for i, row in enumerate(rows):
        if not row["kinds"]:
            continue
        sep = "　" if i % 2 else ""
        if any("A" <= c <= "z" for c in row["family_name"]):
            sep = " "  # romaji: words are typed apart
        if row["family_name"]:
            query = row["family_name"] + (sep + row["given_name"] if row["given_name"] else "")
        else:
            query = row["family_name_kana"] + (
                sep + row["given_name_kana"] if row["given_name_kana"] else ""
            )
        birth = all_facts[i].birth_date
        for label, b in (("with birth date", birth), ("without birth date", None)):
            if label == "with birth date" and b is None:
                continue
            # the keys typed, then the stored names one slip away or matching a typed 〓
            keys = query_keys(query, b) | neighbour_keys(query) | wildcard(wildcard_key(query))
            cand_ids = {j for k in keys for j in index.get(k, ()) if j != i}
            fetched.append(len(cand_ids))
            # in id order: ties keep one order whatever the process's string hashing
            top = search(query, b, ((j, all_facts[j]) for j in sorted(cand_ids)), limit=5)
            hit = int(any(person[j] == person[i] for j, _ in top))
            results[label].append(hit)
            for kind in row["kinds"]:
                per_kind[f"{kind} ({'with' if b else 'without'})"].append(hit)
            if b is None and "marriage" not in row["kinds"]:
                results["without, name unchanged"].append(hit)
    elapsed = time.perf_counter() - started
    print(
        "search recall@5 (variant record's name as the query, candidates via query_keys,"
        " neighbour_keys and wildcard_key):"
    )
    for label, hits in results.items():
        print(f"  {label:24} {_ratio(sum(hits), len(hits))}")
    for given in ("with", "without"):
        print(
            f"  {given} birth date, per kind: "
            + ", ".join(
                f"{k.split()[0]} {sum(v) / len(v):.3f}"
                for k, v in sorted(per_kind.items())
                if k.endswith(f"({given})")
            )
        )
    fetched.sort()
    print(
        f"  candidates fetched per query: median {fetched[len(fetched) // 2]},"
        f" max {fetched[-1]}; {len(fetched)} queries in {elapsed:.1f} s"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("file", type=Path)
    parser.add_argument("--pairs-only", action="store_true", help="skip search and tracemalloc")
    args = parser.parse_args(argv)
    rows = load(args.file)
    all_facts = [facts(r) for r in rows]
    records = list(zip((r["record_id"] for r in rows), all_facts, strict=True))

    gc.collect()
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    compared = candidate_pair_count(all_facts)
    count_seconds = time.perf_counter() - started
    matching._prepare.cache_clear()
    started = time.perf_counter()
    pairs = find_pairs(records, threshold=REVIEW_THRESHOLD)
    seconds = time.perf_counter() - started
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    scored = {_pair(a, b): m.score for a, b, m in pairs}
    n = len(rows)
    print(
        f"blocking: {compared} candidate pairs compared of {n * (n - 1) // 2} possible"
        f" ({compared / max(n, 1):.1f} per record; counted in {count_seconds:.1f} s)"
    )
    print(
        f"find_pairs: {seconds:.2f} s; process peak RSS {rss_after / 1024:.0f} MiB"
        f" (before the run {rss_before / 1024:.0f} MiB)"
    )
    if not args.pairs_only:
        matching._prepare.cache_clear()
        tracemalloc.start()
        find_pairs(records, threshold=REVIEW_THRESHOLD)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(f"find_pairs traced peak memory: {peak / 2**20:.1f} MiB")
    pair_report(rows, all_facts, scored)
    if not args.pairs_only:
        threshold_sweep(rows, records)
        search_report(rows, all_facts)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
