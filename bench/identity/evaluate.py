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
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

# Run as a script from the repository root: make the package importable without installing.
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tsunagu.people import matching
from tsunagu.people.matching import (
    DEFAULT_THRESHOLD,
    SEARCH_ONLY_PREFIXES,
    PersonFacts,
    candidate_pair_count,
    find_pairs,
    match_keys,
    query_keys,
    search,
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
    rows: list[dict[str, Any]], all_facts: list[PersonFacts], predicted: set[tuple[int, int]]
) -> None:
    by_person: dict[int, list[int]] = defaultdict(list)
    for row in rows:
        by_person[row["person_id"]].append(row["record_id"])
    positives = {
        _pair(a, b) for ids in by_person.values() for a, b in itertools.combinations(ids, 2)
    }
    person = {row["record_id"]: row["person_id"] for row in rows}
    tp = len(predicted & positives)
    print(f"records: {len(rows)}  persons: {len(by_person)}  true pairs: {len(positives)}")
    print(f"find_pairs @ {DEFAULT_THRESHOLD}: predicted {len(predicted)}")
    print(f"  precision {_ratio(tp, len(predicted))}")
    print(f"  recall    {_ratio(tp, len(positives))}")
    keys = [{k for k in match_keys(f) if not k.startswith(SEARCH_ONLY_PREFIXES)} for f in all_facts]
    blocked = sum(1 for a, b in positives if keys[a] & keys[b])
    print(f"  blocking recall (true pairs sharing a key) {_ratio(blocked, len(positives))}")

    # The same decisions taken transitively (what merging clusters would do).
    parent = {r["record_id"]: r["record_id"] for r in rows}

    def root(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in predicted:
        parent[root(a)] = root(b)
    clusters: dict[int, list[int]] = defaultdict(list)
    for rid in parent:
        clusters[root(rid)].append(rid)
    closure = {_pair(a, b) for ids in clusters.values() for a, b in itertools.combinations(ids, 2)}
    ctp = len(closure & positives)
    print("  transitive closure of the predicted pairs (clusters):")
    print(f"    precision {_ratio(ctp, len(closure))}  recall {_ratio(ctp, len(positives))}")

    kinds = {row["record_id"]: set(row["kinds"]) for row in rows}
    print("per variant kind (pairs where either record has the kind):")
    print(f"  {'kind':15} {'recall':>24} {'precision':>24}")
    all_kinds = sorted({k for ks in kinds.values() for k in ks})
    for kind in all_kinds:
        pos = [p for p in positives if kind in kinds[p[0]] | kinds[p[1]]]
        pred = [p for p in predicted if kind in kinds[p[0]] | kinds[p[1]]]
        hit = sum(1 for p in pos if p in predicted)
        good = sum(1 for p in pred if person[p[0]] == person[p[1]])
        print(f"  {kind:15} {_ratio(hit, len(pos)):>24} {_ratio(good, len(pred)):>24}")

    print("hard negatives (pairs between a look-alike's record and its anchor's):")
    hard = {row["record_id"]: (row["hard_negative"], row["anchor_person"]) for row in rows}
    for kind in ("namesake", "twin", "household"):
        negs = [
            _pair(r, a) for r, (k, anchor) in hard.items() if k == kind for a in by_person[anchor]
        ]
        merged = sum(1 for p in negs if p in predicted)
        own = [
            _pair(a, b)
            for pid in {row["person_id"] for row in rows if row["hard_negative"] == kind}
            for a, b in itertools.combinations(by_person[pid], 2)
        ]
        found = sum(1 for p in own if p in predicted)
        print(
            f"  {kind:10} wrongly matched {_ratio(merged, len(negs)):>22}"
            f"   look-alikes' own duplicates found {_ratio(found, len(own))}"
        )
    fp: Counter[str] = Counter()
    for a, b in predicted - positives:
        key = "hard negative" if hard[a][0] or hard[b][0] else "other"
        fp[key] += 1
    print(f"false positives by origin: {dict(fp)}")


def threshold_sweep(rows: list[dict[str, Any]], records: list[tuple[int, PersonFacts]]) -> None:
    person = {row["record_id"]: row["person_id"] for row in rows}
    sizes = Counter(person.values())
    positives = sum(n * (n - 1) // 2 for n in sizes.values())
    scored = find_pairs(records, threshold=0.2)
    print("other thresholds (pairs found through blocking):")
    for t in (0.3, 0.5, 0.6, DEFAULT_THRESHOLD, 0.9, 0.97):
        pred = [(a, b) for a, b, m in scored if m.score >= t]
        good = sum(1 for a, b in pred if person[a] == person[b])
        print(f"  {t:.2f}: precision {_ratio(good, len(pred))}  recall {_ratio(good, positives)}")


def search_report(rows: list[dict[str, Any]], all_facts: list[PersonFacts]) -> None:
    index: dict[str, list[int]] = defaultdict(list)
    for i, f in enumerate(all_facts):
        for k in match_keys(f):
            index[k].append(i)
    person = [row["person_id"] for row in rows]
    results: dict[str, list[int]] = {
        "with birth date": [],
        "without birth date": [],
        "without, name unchanged": [],
    }
    fetched = []
    started = time.perf_counter()
    for i, row in enumerate(rows):
        if not row["kinds"]:
            continue
        sep = "　" if i % 2 else ""
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
            cand_ids = {j for k in query_keys(query, b) for j in index.get(k, ()) if j != i}
            fetched.append(len(cand_ids))
            top = search(query, b, ((j, all_facts[j]) for j in cand_ids), limit=5)
            hit = int(any(person[j] == person[i] for j, _ in top))
            results[label].append(hit)
            if b is None and "marriage" not in row["kinds"]:
                results["without, name unchanged"].append(hit)
    elapsed = time.perf_counter() - started
    print("search recall@5 (variant record's name as the query, candidates via query_keys):")
    for label, hits in results.items():
        print(f"  {label:24} {_ratio(sum(hits), len(hits))}")
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
    pairs = find_pairs(records)
    seconds = time.perf_counter() - started
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    predicted = {_pair(a, b) for a, b, _ in pairs}
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
        find_pairs(records)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(f"find_pairs traced peak memory: {peak / 2**20:.1f} MiB")
    pair_report(rows, all_facts, predicted)
    if not args.pairs_only:
        threshold_sweep(rows, records)
        search_report(rows, all_facts)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
