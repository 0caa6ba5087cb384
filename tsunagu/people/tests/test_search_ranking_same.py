"""Issue 15: `matching.search` scores namesakes once and writes reasons for the ranked only; its
ranking, scores and reasons are those of scoring every candidate in full (the reference below,
the search as it was before), on candidates full of namesakes, turned names, kana-only and
kanji-only records, romaji, former names, birth dates, phones and addresses."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Hashable, Iterable
from dataclasses import replace

from tsunagu.people import matching
from tsunagu.people.matching import (
    _BIRTH_ORDER,
    _CAP_CONFLICT,
    _CAP_REVIEW,
    _W_BIRTH,
    REVIEW_THRESHOLD,
    Match,
    PersonFacts,
    _address_query,
    _birth_state,
    _compare,
    _logistic,
    _prepare,
    _query_facts,
    _Result,
    _turned_query,
)


def reference_search[K: Hashable](
    query: str,
    birth_date: dt.date | None,
    candidates: Iterable[tuple[K, PersonFacts]],
    limit: int = 20,
) -> list[tuple[K, Match]]:
    """Every candidate prepared and compared in full, with its reasons."""
    facts, kind = _query_facts(query, birth_date)
    q = _prepare(facts)
    turned = _turned_query(facts) if kind == "name" else None
    ranked: list[tuple[float, float, int, int, K, Match]] = []
    phone = kind == "address" or bool(q.phone)
    address = kind == "address" or bool(q.addr_full or q.postal)
    prepared = [
        (
            cid,
            _prepare(
                cand
                if phone and address
                else replace(
                    cand,
                    phone=cand.phone if phone else "",
                    address=cand.address if address else "",
                    postal_code=cand.postal_code if address else "",
                )
            ),
        )
        for cid, cand in candidates
    ]
    readings = matching.Readings._from_preps(c for _, c in prepared) if kind == "name" else None
    for n, (cid, c) in enumerate(prepared):
        if kind == "address":
            weight, reasons = _address_query(q, c)
            cap = 1.0
            if weight > 0 and q.birth and c.birth:
                if q.birth == c.birth:
                    weight += _W_BIRTH
                    reasons += ("生年月日一致",)
                else:
                    cap = _CAP_CONFLICT
                    reasons += ("生年月日が異なる",)
            score = min(_logistic(weight), cap, _CAP_REVIEW)
        else:
            r = _compare(q, c, readings=readings)
            if turned is not None and r.score < REVIEW_THRESHOLD:
                other = _compare(turned, c, readings=readings)
                if (other.score, other.weight) > (r.score, r.weight):
                    r = _Result(
                        other.score,
                        other.weight,
                        other.cap,
                        ("入力の姓と名を入れ替えて照合", *other.reasons),
                    )
            weight, reasons, score = r.weight, r.reasons, r.score
        if weight <= 0:
            continue
        near = _BIRTH_ORDER.get(_birth_state(q.birth, c.birth)[0], 3) if q.birth else 0
        ranked.append((-score, -weight, near, n, cid, Match(round(score, 4), reasons)))
    ranked.sort(key=lambda t: (t[0], t[1], t[2], t[3]))
    return [(cid, m) for _, _, _, _, cid, m in ranked[:limit]]


FAMILIES = [
    ("渡辺", "わたなべ"),
    ("渡邊", "わたなべ"),
    ("渡部", "わたべ"),
    ("佐藤", "さとう"),
    ("髙橋", "たかはし"),
    ("高橋", "たかはし"),
    ("〓橋", ""),
]
GIVENS = [
    ("愛", "あい"),
    ("和子", "かずこ"),
    ("和子", "わこ"),
    ("一郎", "いちろう"),
    ("裕子", "ゆうこ"),
    ("優子", "ゆうこ"),
    ("ゆうこ", ""),
]


def _candidates(rng: random.Random, n: int) -> list[tuple[int, PersonFacts]]:
    out = []
    births = [dt.date(1950, 1, 1) + dt.timedelta(days=rng.randrange(20000)) for _ in range(12)]
    for pk in range(n):
        (fam, fam_k), (giv, giv_k) = rng.choice(FAMILIES), rng.choice(GIVENS)
        style = rng.randrange(8)
        facts = PersonFacts(
            family_name=fam,
            given_name=giv,
            family_name_kana=fam_k,
            given_name_kana=giv_k if fam_k else "",
            birth_date=rng.choice([None, *births]),
            phone=rng.choice(["", "0596-24-1111", "090-1234-5678"]),
            postal_code=rng.choice(["", "516-0037"]),
            address=rng.choice(["", "三重県伊勢市岩渕1-7-29", "伊勢市岩渕1-7-30", "伊勢市本町2"]),
            former_family_names=("佐藤",) if style == 1 else (),
        )
        if style == 2:  # kanji only
            facts = replace(facts, family_name_kana="", given_name_kana="")
        elif style == 3:  # kana only
            facts = replace(facts, family_name=fam_k, given_name=giv_k)
        elif style == 4:  # 姓 and 名 in each other's fields
            facts = replace(
                facts,
                family_name=giv,
                given_name=fam,
                family_name_kana=giv_k,
                given_name_kana=fam_k,
            )
        elif style == 5:  # the whole name in one field
            facts = replace(facts, family_name=f"{fam}{giv}", given_name="", given_name_kana="")
        elif style == 6:  # romaji
            facts = PersonFacts(
                family_name="WATANABE", given_name="AI", birth_date=facts.birth_date
            )
        out.append((pk, facts))
    # the same person more than once (namesakes and true duplicates)
    out += [(n + i, facts) for i, (_, facts) in enumerate(out[:: max(1, n // 20)])]
    return out


def test_search_ranks_scores_and_explains_as_scoring_every_candidate_in_full() -> None:
    rng = random.Random(15)  # noqa: S311  (test data, not a secret)
    candidates = _candidates(rng, 300)
    births = {f.birth_date for _, f in candidates if f.birth_date}
    queries: list[tuple[str, dt.date | None]] = [
        ("渡辺 愛", None),
        ("愛 渡辺", None),
        ("わたなべ あい", None),
        ("髙橋 和子", None),
        ("和子 高橋", None),
        ("たかはし ゆうこ", None),
        ("高橋ゆうこ", None),
        ("渡部和子", None),
        ("WATANABE AI", None),
        ("0596-24-1111", None),
        ("伊勢市岩渕1", None),
        ("伊勢市岩渕1-7-29", None),
    ]
    queries += [(q, b) for q, _ in queries[:9] for b in sorted(births)[:2]]
    compared = 0
    for query, birth in queries:
        expected = reference_search(query, birth, candidates, limit=len(candidates))
        for limit in (1, 20, len(candidates)):
            found = matching.search(query, birth, candidates, limit=limit)
            assert found == expected[:limit], (query, birth, limit)
        compared += len(expected)
    assert compared > 2000  # the queries did rank many candidates
