"""Identity matching (名寄せ): recognise one resident across records written differently.

Pure Python, no Django: the Django layer stores the strings of ``match_keys`` in an indexed
table, fetches candidates by ``query_keys`` / shared keys, and calls ``compare`` / ``search``.

Scoring is evidence based. Every field that both records carry adds or subtracts a weight
(roughly log2 of how much likelier the agreement is for one person than for two); a field
missing on either side adds nothing. The sum is mapped onto 0..1. Differences that tell two
people apart (the given name, the birth date) cap the score below the threshold whatever else
agrees, so twins and household members, who share everything else, are never merged silently,
and an automatic match always needs a positive agreement on the given name.

A record whose system has a single name field may put the whole name in ``family_name`` (and
``family_name_kana``) and leave the given name empty; a space in it splits 姓 from 名.
"""

from __future__ import annotations

import calendar
import datetime
import math
import re
import unicodedata
from array import array
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Hashable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache

from tsunagu.core.text import (
    UNKNOWN,
    VARIANT_FOLD,
    coarse_kana,
    is_kana,
    is_kana_name,
    is_latin,
    kana_sound_tokens,
    normalize_address,
    normalize_kana,
    normalize_name,
    normalize_phone,
    reading_of,
    romaji_tokens,
    same_but_unknown,
    strip_prefecture,
)

__all__ = [
    "DEFAULT_THRESHOLD",
    "REVIEW_THRESHOLD",
    "TIER_LABELS",
    "VARIANT_FOLD",
    "Match",
    "PairingMarks",
    "PersonFacts",
    "Prepared",
    "Readings",
    "compare",
    "contact_of",
    "find_pairs",
    "learned_keys",
    "match_keys",
    "neighbour_keys",
    "normalize_address",
    "normalize_kana",
    "normalize_name",
    "normalize_phone",
    "pair_match",
    "pairing_keys",
    "prepare",
    "prepared_keys",
    "query_keys",
    "review_score",
    "search",
    "strip_prefecture",
    "wildcard_key",
]


@dataclass(frozen=True)
class PersonFacts:
    """What one record says about a person; empty strings and None mean unknown."""

    family_name: str = ""
    given_name: str = ""
    family_name_kana: str = ""
    given_name_kana: str = ""
    birth_date: datetime.date | None = None
    phone: str = ""
    postal_code: str = ""
    address: str = ""
    former_family_names: tuple[str, ...] = ()


@dataclass(frozen=True)
class Match:
    """A pairwise score in 0..1 with the reasons staff see."""

    score: float
    reasons: tuple[str, ...]

    @property
    def tier(self) -> str:
        """``likely`` (同一人物の可能性が高い), ``review`` (要確認) or "" (neither)."""
        return tier_of(self.score)

    @property
    def tier_label(self) -> str:
        return TIER_LABELS.get(self.tier, "")


LIKELY, REVIEW = "likely", "review"
TIER_LABELS = {LIKELY: "同一人物の可能性が高い", REVIEW: "要確認"}


def tier_of(score: float) -> str:
    if score >= DEFAULT_THRESHOLD:
        return LIKELY
    if score >= REVIEW_THRESHOLD:
        return REVIEW
    return ""


# --------------------------------------------------------------------------------------------
# Addresses (the normalisers themselves are in tsunagu.core.text)
# --------------------------------------------------------------------------------------------

_SPACE_RE = re.compile(r"\s+")
_DIGITS_RE = re.compile(r"\d")
_MUNICIPALITY_RE = re.compile(r"^[^\d]+?郡[^\d]+?[町村]|^[^\d]+?[市区]")
_HOUSE_RE = re.compile(r"^([^\d]*\d+(?:-\d+)*)(.*)$")


def _address_parts(address: str) -> tuple[str, str, str]:
    """(address without prefecture, town + house number, building part)."""
    full = strip_prefecture(address)
    tail = full
    while True:
        m = _MUNICIPALITY_RE.match(tail)
        if not m or not _DIGITS_RE.search(tail[m.end() :]):
            break
        tail = tail[m.end() :]
    m = _HOUSE_RE.match(tail)
    if not m:
        return full, "", ""
    return full, m.group(1), m.group(2)


# --------------------------------------------------------------------------------------------
# Prepared records
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Layer:
    """One script of a name: split parts, or an unsplit whole when no split is known."""

    family: str = ""
    given: str = ""
    whole: str = ""

    @property
    def full(self) -> str:
        return self.whole or self.family + self.given

    @property
    def split(self) -> bool:
        return not self.whole


@dataclass(frozen=True, slots=True)
class _Prep:
    kanji: _Layer
    kana: _Layer
    kanji_raw: str
    former: tuple[str, ...]
    birth: datetime.date | None
    phone: str
    postal: str
    addr_full: str
    addr_house: str
    addr_building: str
    # Foreign residents: the text whose words are compared by sound (romaji or katakana), and
    # whether the name fields hold romaji. The sound keys are worked out only when needed.
    sound_text: str = ""
    latin: bool = False

    @property
    def sounds(self) -> tuple[str, ...]:
        return _sounds(self.sound_text, self.latin)

    @property
    def kanji_only(self) -> bool:
        """A name in kanji with no reading (its reading can be bridged from a dictionary)."""
        return bool(self.kanji.full) and not self.kana.full and not self.latin

    @property
    def reading_only(self) -> bool:
        """A name known only by its reading (kana in the kana or the name fields)."""
        return bool(self.kana.full) and (not self.kanji.full or is_kana(self.kanji.full))


def _split_field(family: str, given: str) -> tuple[str, str, bool]:
    """(family, given, split?) from raw fields, splitting a single field at its space."""
    family = unicodedata.normalize("NFKC", family).strip()
    given = unicodedata.normalize("NFKC", given).strip()
    if given or not family:
        return family, given, True
    parts = _SPACE_RE.split(family, maxsplit=1)
    if len(parts) == 2:
        return parts[0], parts[1], True
    return family, "", False


def _name_layers(
    family_name: str, given_name: str, family_name_kana: str, given_name_kana: str
) -> tuple[_Layer, _Layer]:
    """The kanji and kana layers of a record's name (all `Readings` learns from a record)."""
    fam, giv, split = _split_field(family_name, given_name)
    fam_k, giv_k, split_k = _split_field(family_name_kana, given_name_kana)
    # [family, given, whole]: whole only when a single field holds the name without a space.
    kanji_parts = (
        [normalize_name(fam), normalize_name(giv), ""] if split else ["", "", normalize_name(fam)]
    )
    kana_parts = (
        [normalize_kana(fam_k), normalize_kana(giv_k), ""]
        if split_k
        else ["", "", normalize_kana(fam_k)]
    )
    # A name written in kana in the kanji field (さくら) is the name as written and also a
    # reading: it stays in the kanji layer, and fills the kana layer where that is empty.
    kana_empty = not any(kana_parts)
    for i in range(3):
        if is_kana(kanji_parts[i]):
            kanji_parts[i] = normalize_kana(kanji_parts[i])
            if (i == 2 and kana_empty) or (i < 2 and not kana_parts[i] and not kana_parts[2]):
                kana_parts[i] = kanji_parts[i]
    return _Layer(*kanji_parts), _Layer(*kana_parts)


# A record's phone (digits) and address (without prefecture, town + house number, building),
# normalised: `contact_of`.
type Contact = tuple[str, str, str, str]


def contact_of(phone: str, address: str) -> Contact:
    """The normalised phone and address parts of a record, as ``prepare`` and
    ``PairingMarks.add`` work them out (either hands them to the other: `contact`)."""
    full, house, building = _address_parts(normalize_address(address)) if address else ("", "", "")
    return normalize_phone(phone), full, house, building


@lru_cache(maxsize=65536)
def _prepare(p: PersonFacts) -> _Prep:
    return _prepare_with(p, contact_of(p.phone, p.address))


def _prepare_with(p: PersonFacts, contact: Contact) -> _Prep:
    kanji, kana = _name_layers(p.family_name, p.given_name, p.family_name_kana, p.given_name_kana)
    raw = _SPACE_RE.sub("", unicodedata.normalize("NFKC", p.family_name + p.given_name))
    former = tuple(
        f for f in (_fold_kana_part(normalize_name(x)) for x in p.former_family_names) if f
    )
    phone, full, house, building = contact
    latin = is_latin(p.family_name + p.given_name)
    if latin:
        sound_text = p.family_name + " " + p.given_name
    elif p.family_name_kana or p.given_name_kana:
        sound_text = p.family_name_kana + " " + p.given_name_kana
    elif is_kana(kanji.family + kanji.given + kanji.whole):
        sound_text = p.family_name + " " + p.given_name
    else:
        sound_text = ""
    return _Prep(
        kanji=kanji,
        kana=kana,
        kanji_raw=raw,
        former=former,
        birth=p.birth_date,
        phone=phone,
        postal="".join(c for c in unicodedata.normalize("NFKC", p.postal_code) if c.isdigit()),
        addr_full=full,
        addr_house=house,
        addr_building=building,
        sound_text=sound_text,
        latin=latin,
    )


@lru_cache(maxsize=1 << 15)
def _sounds(text: str, latin: bool) -> tuple[str, ...]:
    if not text:
        return ()
    return romaji_tokens(text) if latin else kana_sound_tokens(text)


class Readings:
    """Readings of kanji name parts: those the city's own records give, then the dictionary's.

    ``of`` answers (coarse readings, attested): attested when some record of the city gives
    this kanji a reading, so a reading outside the set tells two names apart.
    """

    def __init__(self, learned: dict[str, set[str]] | None = None) -> None:
        self._learned = learned or {}

    @classmethod
    def learn(cls, records: Iterable[PersonFacts]) -> Readings:
        """The readings records with both kanji and kana give their names."""
        return cls._from_preps(prepare(p) for p in records)

    @classmethod
    def learn_names(cls, names: Iterable[tuple[str, str, str, str]]) -> Readings:
        """The same readings as ``learn`` from the name fields alone (family, given, family
        kana, given kana): a record teaches nothing else, and its other fields cost time."""
        return cls._from_layers(_name_layers(*n) for n in names)

    @classmethod
    def _from_preps(cls, preps: Iterable[_Prep]) -> Readings:
        return cls._from_layers((p.kanji, p.kana) for p in preps)

    @classmethod
    def _from_layers(cls, layers: Iterable[tuple[_Layer, _Layer]]) -> Readings:
        learned: dict[str, set[str]] = defaultdict(set)
        for kj, kn in layers:
            if not (kj.split and kn.split) or is_kana(kj.full) or UNKNOWN in kj.full:
                continue
            for kanji, kana in ((kj.family, kn.family), (kj.given, kn.given)):
                if kanji and kana:
                    learned[kanji].add(coarse_kana(kana))
        return cls(dict(learned))

    def of(self, kanji: str) -> tuple[frozenset[str], bool]:
        learned = self._learned.get(kanji)
        found = set(learned) if learned else set()
        dictionary = reading_of(kanji)
        if dictionary:
            found.add(coarse_kana(dictionary))
        return frozenset(found), learned is not None


_DICTIONARY = Readings()


def _fold_kana_part(name: str) -> str:
    """A name for keys and 旧姓 checks: kana characters in it folded coarsely."""
    return coarse_kana(normalize_kana(name)) if is_kana(name) else coarse_kana(name)


# --------------------------------------------------------------------------------------------
# Blocking keys
# --------------------------------------------------------------------------------------------

# Keys with these prefixes serve the search box only; find_pairs does not block on them
# (a whole 丁目 would be one block; a one-kana slip alone never makes an automatic match; a
# full name alone is a block of every namesake in the city, 886 persons for a common name of
# a city of 1.5 million: the name pairs records through ``NAME_FACT_PREFIXES`` instead).
SEARCH_ONLY_PREFIXES = ("ac:", "w:", "n:")
# A full name with a second fact: the birth year, the birth month and day. Pairing only (the
# search box does not look them up): a pair sharing a full name and neither of these (nor a
# stronger key: birth date, phone, address) has birth dates more than a slip or an era offset
# apart, which caps it below review, or a birth date missing on one side.
NAME_FACT_PREFIXES = ("ny:", "nm:")
# Keys are cut to this length (a longer key only widens its block); the table column may rely on it.
KEY_MAX_LENGTH = 100


def _splits(whole: str) -> list[tuple[str, str]]:
    return [(whole[:i], whole[i:]) for i in range(1, len(whole))]


def _name_pieces(prep: _Prep) -> tuple[set[str], set[str], set[str]]:
    """(full names, family names, given names) in key form, kanji and kana mixed."""
    fulls: set[str] = set()
    families: set[str] = set()
    givens: set[str] = set()
    for layer in (prep.kanji, prep.kana):
        if layer.split:
            if layer.family:
                families.add(coarse_kana(layer.family))
            if layer.given:
                givens.add(coarse_kana(layer.given))
            if layer.family and layer.given:
                fulls.add(coarse_kana(layer.family + layer.given))
        elif layer.whole:
            fulls.add(coarse_kana(layer.whole))
            for f, g in _splits(layer.whole):
                families.add(coarse_kana(f))
                givens.add(coarse_kana(g))
    kj, kn = prep.kanji, prep.kana
    split_givens = {coarse_kana(g) for g in (kj.given, kn.given) if g}
    for old in prep.former:
        families.add(old)
        for g in split_givens:
            fulls.add(old + g)
    return fulls, families, givens


def _mixed_fulls(prep: _Prep) -> set[str]:
    """The full name with the 姓 from one script and the 名 from the other (青木ユキコ for
    青木 幸子 / アオキ ユキコ), in key form."""
    kj, kn = prep.kanji, prep.kana
    if not (kj.split and kn.split):
        return set()
    return {
        coarse_kana(family + given)
        for family, given in ((kj.family, kn.given), (kn.family, kj.given))
        if family and given
    }


def _keys(prep: _Prep, readings: Readings | None = None) -> set[str]:
    fulls, families, givens = _name_pieces(prep)
    if prep.kanji_only:
        # Bridge to records that carry only the reading: the readings of the kanji.
        fam_r, giv_r = _reading_pieces(prep, readings or _DICTIONARY)
        families |= fam_r
        givens |= giv_r
        fulls |= {f + g for f in fam_r for g in giv_r}
    kj, kn = prep.kanji, prep.kana
    # 姓 and 名 in each other's fields meet their counterpart through the swapped full name.
    for layer in (kj, kn):
        if layer.split and layer.family and layer.given:
            fulls.add(coarse_kana(layer.given + layer.family))
    # A record written with one part in each script (青木 ゆきこ) is found by its mixed full
    # name from the search box; pairing reaches it through the birth date with the 姓 or the 名
    # (`b:`), or a phone or an address, so the mixed names carry no name-with-a-fact keys.
    keys = {"n:" + f for f in fulls | _mixed_fulls(prep)}
    keys |= _name_fact_keys(fulls, prep)
    # 外字 written as 〓 first (〓橋花子): the kanji name with its first character as 〓, the one
    # place a typed 〓 leaves nothing before it to narrow the search by (`wildcard_key`).
    # Search only: as a pairing key it would make a block of every 〓藤花子 (佐藤, 伊藤 …).
    full = kj.full
    if 3 <= len(full) <= 12 and not is_kana(full):
        keys.add("w:" + UNKNOWN + full[1:])
    # Foreign residents without a shared birth date: every two words of the name by sound.
    if prep.latin or prep.reading_only:
        words = sorted({t for t in prep.sounds if len(t) >= 2})[:5]
        keys.update(f"r:{x}|{y}" for i, x in enumerate(words) for y in words[i + 1 :])
    if prep.birth:
        b = prep.birth.isoformat()
        keys.update(f"b:{b}:f:{f}" for f in families)
        keys.update(f"b:{b}:g:{g}" for g in givens)
        # Foreign residents: romaji and katakana meet through the sound of each word.
        if prep.latin or prep.reading_only:
            keys.update(f"b:{b}:r:{t}" for t in prep.sounds if len(t) >= 2)
    if len(prep.phone) >= 8:
        keys.add("p:" + prep.phone[-8:])
    house = prep.addr_house
    if house:
        keys.update(f"a:{house}:{g}" for g in givens)
        keys.update("ac:" + h for h in _house_prefixes(house))
    return {k[:KEY_MAX_LENGTH] for k in keys}


def _name_fact_keys(fulls: set[str], prep: _Prep) -> set[str]:
    """Each full name with a second fact, so that only namesakes who may be one person meet.

    Two records of one person whose full names agree reach review (``REVIEW_THRESHOLD``) only
    when their birth dates are the same (the ``b:`` keys pair them), a slip or an era offset
    apart, or two slips apart with a phone or an address agreeing (``p:``, ``a:``), or when one
    has no birth date and a phone, an address or the postal code agrees. A slip or an era offset
    keeps the year (a slip in the month or the day, 月/日 swapped) or the month and day (a slip
    in the year, an era offset), except the year's last digit swapped with the month's first
    (1950-12-03 / 1951-02-03), which keys both years. Not keyed: a record without a birth date
    whose namesake agrees with it on the postal code alone (a name and a postal code key would
    add five keys a record for about one pair in 5,000 of bench/identity, and make one block of
    every namesake of an area).
    """
    keys: set[str] = set()
    if prep.birth:
        years = {prep.birth.year}
        swapped = _year_month_swapped(prep.birth)
        if swapped is not None:
            years.add(swapped)
        day = f"{prep.birth.month:02d}-{prep.birth.day:02d}"
        for f in fulls:
            keys.update(f"ny:{y:04d}:{f}" for y in years)
            keys.add(f"nm:{day}:{f}")
    return keys


def _year_month_swapped(d: datetime.date) -> int | None:
    """The year of d with the year's last digit and the month's first swapped, when that is
    another valid date (the one slip of the pen that keeps neither the year nor the month and
    day), else None."""
    last, first = d.year % 10, d.month // 10
    month = last * 10 + d.month % 10
    if last == first or not 1 <= month <= 12:  # most dates: the swap makes no month
        return None
    year = d.year - last + first
    return year if d.day <= calendar.monthrange(year, month)[1] else None


def _reading_pieces(prep: _Prep, readings: Readings) -> tuple[set[str], set[str]]:
    """Coarse readings of a kanji-only name's family and given parts."""
    kj = prep.kanji
    if kj.split:
        fam = set(readings.of(kj.family)[0]) if kj.family else set()
        giv = set(readings.of(kj.given)[0]) if kj.given else set()
        return fam, giv
    fam, giv = set(), set()
    for f, g in _splits(kj.whole):
        rf, rg = readings.of(f)[0], readings.of(g)[0]
        if rf and rg:
            fam |= rf
            giv |= rg
    return fam, giv


def _house_prefixes(house: str) -> list[str]:
    parts = house.split("-")
    return ["-".join(parts[: i + 1]) for i in range(len(parts))]


def match_keys(p: PersonFacts) -> set[str]:
    """Blocking keys of a record; two records of one person share at least one.

    Kinds: ``n:`` full name (kanji, kana, mixed, with 旧姓, also given name first, readings of a
    kanji-only name; search only) and the same full names but the mixed ones with a second
    fact, which pair records: ``ny:<year>:`` birth year, ``nm:<MM-DD>:`` birth month and day
    (``_name_fact_keys``); ``b:<date>:f:`` / ``b:<date>:g:`` birth date with family or given name;
    ``b:<date>:r:`` birth date with one word of a romaji or katakana name by sound; ``r:`` two
    words of such a name by sound; ``p:`` last 8 phone digits; ``a:<house>:<given>`` address
    with given name; search only: ``ac:`` address prefixes and ``w:`` the kanji name with its
    first character as 〓 (外字). A name one slip from the typed one, or with a 〓 elsewhere, is
    found through the ``n:`` keys of ``neighbour_keys`` and ``wildcard_key``, worked out when
    searching.
    """
    return _keys(_prepare(p))


def prepared_keys(p: Prepared) -> set[str]:
    """``match_keys`` of a record already prepared (``prepare``), not prepared again."""
    return _keys(p)


# --------------------------------------------------------------------------------------------
# Pairwise comparison
# --------------------------------------------------------------------------------------------

# Outcomes for one part of a name (family or given).
_EXACT, _READING, _CLOSE, _FUZZY, _DOUBT, _DIFFER, _MISSING, _BRIDGE = range(8)
# Outcomes good enough to call a name part the same.
_AGREE = (_EXACT, _READING, _CLOSE, _BRIDGE)
# Outcomes for the birth date besides _EXACT/_DIFFER/_MISSING: a slip of the pen, an era offset.
_SLIP, _ERA = 10, 11

_W_BIRTH = 15.0
_W_BIRTH_NEAR = 5.0
_W_BIRTH_DIFFER = -8.0
_W_PHONE = 12.0
_W_PHONE_PARTIAL = 9.0
_W_PHONE_DIFFER = -1.0
_W_ADDRESS = 10.0
_W_ADDRESS_PARTIAL = 9.0
_W_ADDRESS_HOUSE = 4.0
_W_ADDRESS_DIFFER = -1.0
_W_POSTAL = 4.0
_W_POSTAL_WITH_ADDRESS = 1.0
_W_FORMER = 9.0
_W_FAMILY_CHANGED = -4.0
_W_ROMAJI = 13.0

# score = logistic((weight - _MID) / _SCALE)
_MID = 24.0
_SCALE = 3.0
DEFAULT_THRESHOLD = 0.75
# Pairs from here up to DEFAULT_THRESHOLD are proposed for review (要確認), never as likely.
REVIEW_THRESHOLD = 0.55
# Caps keep a pair under the threshold when something tells the two apart or is unproven.
_CAP_CONFLICT = 0.3
# the score a pair is capped at when its birth dates (or names) conflict: no threshold above it
# lets such a pair through
CAP_CONFLICT = _CAP_CONFLICT
_CAP_REVIEW = 0.6


def _within_one_edit(a: str, b: str) -> bool:
    """True when a and b differ by one insertion, deletion, substitution or swap."""
    if a == b:
        return True
    la, lb = len(a), len(b)
    if abs(la - lb) > 1:
        return False
    if la > lb:
        a, b, la, lb = b, a, lb, la
    i = 0
    while i < la and a[i] == b[i]:
        i += 1
    if la == lb:
        if a[i + 1 :] == b[i + 1 :]:
            return True
        return i + 1 < la and a[i] == b[i + 1] and a[i + 1] == b[i] and a[i + 2 :] == b[i + 2 :]
    return a[i:] == b[i + 1 :]


def _align(x: _Layer, y: _Layer) -> tuple[tuple[str, str], tuple[str, str]]:
    """Family/given parts of two layers, splitting an unsplit whole against the other side."""
    if x.split and y.split:
        return (x.family, x.given), (y.family, y.given)
    if not x.full or not y.full:
        return (x.family, x.given), (y.family, y.given)
    if not x.split and not y.split:
        u, v = x.whole, y.whole
        if u == v:
            return (u, u), (v, v)
        pre = len(_common_prefix(u, v))
        suf = len(_common_prefix(u[::-1], v[::-1]))
        if suf > pre and 2 <= suf < min(len(u), len(v)):
            return (u[:-suf], u[-suf:]), (v[:-suf], v[-suf:])
        if pre:
            return (u[:pre], u[pre:]), (v[:pre], v[pre:])
        return (u, u), (v, v)
    swapped = x.split
    whole_layer, split_layer = (y, x) if swapped else (x, y)
    u, f, g = whole_layer.whole, split_layer.family, split_layer.given
    if u == f + g:
        parts = (f, g)
    elif u == f:
        parts = (u, "")
    elif u == g:
        parts = ("", u)
    elif g and len(u) > len(g) and u.endswith(g):
        parts = (u[: -len(g)], g)
    elif f and len(u) > len(f) and u.startswith(f):
        parts = (f, u[len(f) :])
    elif f and len(u) > len(f):
        parts = (u[: len(f)], u[len(f) :])
    else:
        parts = (u, "")
    if swapped:
        return (f, g), parts
    return parts, (f, g)


def _common_prefix(a: str, b: str) -> str:
    i = 0
    while i < min(len(a), len(b)) and a[i] == b[i]:
        i += 1
    return a[:i]


def _kana_state(a: str, b: str) -> int:
    if not a or not b:
        return _MISSING
    if a == b:
        return _EXACT
    ca, cb = coarse_kana(a), coarse_kana(b)
    if ca == cb:
        return _CLOSE
    if _within_one_edit(a, b) or _within_one_edit(ca, cb):
        return _FUZZY
    return _DIFFER


def _part(
    kanji_a: str, kanji_b: str, kana_a: str, kana_b: str, readings: Readings | None = None
) -> tuple[int, float]:
    """Outcome and weight for one name part from its kanji and kana comparisons.

    Kanji on one side only and a reading on the other only are compared through the readings
    (``_BRIDGE``); a 外字 placeholder (〓) stands for any one character.
    """
    kana = _kana_state(kana_a, kana_b)
    if kana == _MISSING and readings is not None:
        if kanji_a and not kanji_b and kana_b and not kana_a:
            return _bridge(kanji_a, kana_b, readings)
        if kanji_b and not kanji_a and kana_a and not kana_b:
            return _bridge(kanji_b, kana_a, readings)
    if not kanji_a or not kanji_b:
        return {
            _EXACT: (_EXACT, 8.0),
            _CLOSE: (_CLOSE, 6.5),
            _FUZZY: (_FUZZY, 3.0),
            _DIFFER: (_DIFFER, -6.0),
            _MISSING: (_MISSING, 0.0),
        }[kana]
    if kanji_a == kanji_b or same_but_unknown(kanji_a, kanji_b):
        return {
            _EXACT: (_EXACT, 11.0),
            _CLOSE: (_EXACT, 10.5),
            _FUZZY: (_EXACT, 8.0),
            _DIFFER: (_DOUBT, 2.0),
            _MISSING: (_EXACT, 9.0),
        }[kana]
    return {
        _EXACT: (_READING, 1.5),
        _CLOSE: (_DIFFER, -4.0),  # 優希 ユウキ / 由紀 ユキ: two names, not one misspelt
        _FUZZY: (_DIFFER, -4.0),
        _DIFFER: (_DIFFER, -6.0),
        _MISSING: (_DIFFER, -5.0),
    }[kana]


def _bridge(kanji: str, kana: str, readings: Readings) -> tuple[int, float]:
    """A kanji part against a reading: agreeing with a known reading supports the match; a
    reading the city's records never give this kanji tells two names apart; a dictionary
    reading that disagrees proves nothing (names are read irregularly)."""
    known, attested = readings.of(kanji)
    if coarse_kana(kana) in known:
        return _BRIDGE, 6.0
    if attested:
        return _DIFFER, -4.0
    return _MISSING, 0.0


def _birth_near(a: datetime.date, b: datetime.date) -> bool:
    """A difference that looks like a slip of the pen: one digit, two swapped, or 月/日 swapped."""
    return bool(_birth_slip(a, b))


def _birth_slip(a: datetime.date, b: datetime.date) -> str:
    """The reason when two birth dates differ as a slip of the pen does, else ""."""
    if a.year == b.year and a.month == b.day and a.day == b.month:
        return "生年月日の月と日が入れ替わっている可能性"
    sa = f"{a.year:04d}{a.month:02d}{a.day:02d}"
    sb = f"{b.year:04d}{b.month:02d}{b.day:02d}"
    diff = [i for i in range(8) if sa[i] != sb[i]]
    if len(diff) == 1:
        return "生年月日の数字が1字違い（誤記の可能性）"
    if (
        len(diff) == 2
        and diff[1] == diff[0] + 1
        and sa[diff[0]] == sb[diff[1]]
        and sa[diff[1]] == sb[diff[0]]
    ):
        return "生年月日の隣り合う数字が入れ替わっている可能性"
    return ""


# Years between two records of one birth date when 和暦 was converted with the wrong era, or
# an era's year was read as 19xx (昭和45年 written 1945).
ERA_OFFSETS = {
    63: "昭和と平成の取り違え",
    14: "大正と昭和の取り違え",
    30: "平成と令和の取り違え",
    44: "明治と大正の取り違え",
    25: "昭和の年を19xx年と誤記",
    88: "平成の年を19xx年と誤記",
    11: "大正の年を19xx年と誤記",
}


def _birth_era(a: datetime.date, b: datetime.date) -> str:
    if (a.month, a.day) != (b.month, b.day):
        return ""
    label = ERA_OFFSETS.get(abs(a.year - b.year), "")
    return f"生年月日の年が{abs(a.year - b.year)}年違い（{label}の可能性）" if label else ""


def _birth_neighbours(d: datetime.date) -> Iterator[datetime.date]:
    """Dates one slip of the pen or one era offset away from d."""
    text = f"{d.year:04d}{d.month:02d}{d.day:02d}"
    variants = {text[:i] + c + text[i + 1 :] for i in range(8) for c in "0123456789"}
    variants |= {text[:i] + text[i + 1] + text[i] + text[i + 2 :] for i in range(7)}
    variants.add(f"{d.year:04d}{d.day:02d}{d.month:02d}")
    variants |= {f"{d.year + s * o:04d}{text[4:]}" for o in ERA_OFFSETS for s in (1, -1)}
    for v in variants:
        try:
            yield datetime.date(int(v[:4]), int(v[4:6]), int(v[6:]))
        except ValueError:
            continue


def _birth_two_slips(a: datetime.date | None, b: datetime.date | None) -> bool:
    if not a or not b:
        return False
    return any(c != a and (_birth_slip(c, b) or _birth_era(c, b)) for c in _birth_neighbours(a))


def _birth_state(a: datetime.date | None, b: datetime.date | None) -> tuple[int, str]:
    if not a or not b:
        return _MISSING, ""
    if a == b:
        return _EXACT, "生年月日一致"
    reason = _birth_slip(a, b)
    if reason:
        return _SLIP, reason
    reason = _birth_era(a, b)
    if reason:
        return _ERA, reason
    return _DIFFER, "生年月日が異なる"


def _address_weight(a: _Prep, b: _Prep) -> tuple[float, str]:
    if not a.addr_full or not b.addr_full:
        return 0.0, ""
    if a.addr_full == b.addr_full:
        return _W_ADDRESS, "住所一致"
    if a.addr_house and a.addr_house == b.addr_house:
        if a.addr_building and b.addr_building and a.addr_building != b.addr_building:
            return _W_ADDRESS_HOUSE, "番地まで一致（建物・部屋が異なる）"
        return _W_ADDRESS_PARTIAL, "住所一致（市区町村名・建物名の省略あり）"
    return _W_ADDRESS_DIFFER, "住所が異なる"


def _phone_weight(a: str, b: str) -> tuple[float, str]:
    if not a or not b:
        return 0.0, ""
    if a == b:
        return _W_PHONE, "電話番号一致"
    short, long_ = sorted((a, b), key=len)
    if len(short) >= 8 and long_.endswith(short):
        return _W_PHONE_PARTIAL, "電話番号一致（市外局番の有無）"
    return _W_PHONE_DIFFER, "電話番号が異なる"


@dataclass(frozen=True, slots=True)
class _Result:
    score: float
    weight: float
    cap: float
    reasons: tuple[str, ...]


def _logistic(weight: float) -> float:
    return 1.0 / (1.0 + math.exp(-(weight - _MID) / _SCALE))


def _compare(
    a: _Prep, b: _Prep, *, explain: bool = True, readings: Readings | None = None
) -> _Result:
    """Weights, caps and (when ``explain``) reasons for a pair of prepared records."""
    readings = readings or _DICTIONARY
    if a.latin or b.latin:
        return _compare_romaji(a, b, explain=explain)
    weight = 0.0
    reasons: list[str] = []
    cap = 1.0

    (kfa, kga), (kfb, kgb) = _align(a.kanji, b.kanji)
    (nfa, nga), (nfb, ngb) = _align(a.kana, b.kana)
    # A name in kana in the name fields is a reading, not kanji to compare with kanji.
    kfa, kga, kfb, kgb = (x if not is_kana(x) else "" for x in (kfa, kga, kfb, kgb))
    fam_state, fam_w = _part(kfa, kfb, nfa, nfb, readings)
    giv_state, giv_w = _part(kga, kgb, nga, ngb, readings)
    swapped = False
    if giv_state == _DIFFER and fam_state in (_DIFFER, _MISSING):
        # 姓 and 名 in each other's fields: compare family with given and given with family.
        sw = _swapped(a, b, readings)
        if sw is not None:
            (fam_state, fam_w), (giv_state, giv_w) = sw
            swapped = True
    weight += giv_w

    birth_state, birth_reason = _birth_state(a.birth, b.birth)

    former_hit = False
    if (
        not swapped
        and fam_state in (_DIFFER, _DOUBT, _FUZZY, _READING, _MISSING)
        and (a.former or b.former)
    ):
        names_a = {_fold_kana_part(x) for x in (kfa, nfa) if x} | set(a.former)
        names_b = {_fold_kana_part(x) for x in (kfb, nfb) if x} | set(b.former)
        former_hit = bool((set(a.former) & names_b) or (set(b.former) & names_a))
    if former_hit:
        weight += _W_FORMER
        reasons.append("旧姓一致")
    elif fam_state == _DIFFER:
        weight += _W_FAMILY_CHANGED
    else:
        weight += fam_w

    unknown = UNKNOWN in a.kanji.full + b.kanji.full and (
        same_but_unknown(kfa, kfb) or same_but_unknown(kga, kgb)
    )
    if explain:
        if swapped:
            reasons.append("姓と名が入れ替わっている可能性")
        reasons.extend(
            _name_reasons(
                a, b, fam_state, giv_state, former_hit, (kfa, kfb, kga, kgb), (nfa, nfb, nga, ngb)
            )
        )
        if unknown:
            reasons.append("外字（〓・？等）の字を除いて氏名一致")
        if _BRIDGE in (fam_state, giv_state):
            reasons.append("漢字の氏名と読みだけの氏名を読みで照合")
    if unknown and (fam_state, giv_state) != (_EXACT, _EXACT):
        cap = min(cap, _CAP_REVIEW)
    if fam_state == _DIFFER and not former_hit:
        if giv_state in (_EXACT, _READING, _CLOSE) and birth_state == _EXACT:
            reasons.append("姓が異なる（旧姓の可能性）")
        else:
            reasons.append("姓が異なる")
        # A new family name without a recorded 旧姓 is for staff to confirm (and twins whose
        # records both swap 姓 and 名 look the same).
        cap = min(cap, _CAP_REVIEW)
    if giv_state == _DIFFER:
        reasons.append("名が異なる")
        cap = min(cap, _CAP_CONFLICT)
    elif giv_state in (_CLOSE, _FUZZY, _MISSING):
        # Only an approximate reading, or none: siblings (ユウキ/ユキ, ユウタ/ユウト) look so too.
        cap = min(cap, _CAP_REVIEW)

    contact: list[str] = []
    weight, corroborated = _contact(a, b, weight, contact)
    if (
        birth_state == _DIFFER
        and corroborated
        and fam_state in _AGREE
        and giv_state in _AGREE
        and _birth_two_slips(a.birth, b.birth)
    ):
        # Two records each converted or typed wrong in its own way, with the whole name and a
        # phone or an address agreeing: for staff to look at, never likely.
        birth_state, birth_reason = _SLIP, "生年月日が2か所違う（誤記が重なった可能性）"
    if birth_state == _EXACT:
        weight += _W_BIRTH
    elif birth_state in (_SLIP, _ERA):
        weight += _W_BIRTH_NEAR
        cap = min(cap, _CAP_REVIEW)
    elif birth_state == _DIFFER:
        weight += _W_BIRTH_DIFFER
        cap = min(cap, _CAP_CONFLICT)
    elif birth_state == _MISSING:
        # A parent and a child of the same name at one address differ only by the birth date.
        cap = min(cap, _CAP_REVIEW)
    if birth_reason:
        reasons.append(birth_reason)
    reasons.extend(contact)

    if giv_state == _BRIDGE and birth_state != _EXACT and not corroborated:
        cap = min(cap, _CAP_REVIEW)
    score = _logistic(weight)
    return _Result(min(score, cap), weight, cap, tuple(reasons))


def _contact(a: _Prep, b: _Prep, weight: float, reasons: list[str]) -> tuple[float, bool]:
    """Phone, address and postal code: the new weight, and whether phone or address agree."""
    corroborated = False
    w, reason = _phone_weight(a.phone, b.phone)
    weight += w
    corroborated |= w > 0
    if reason:
        reasons.append(reason)
    w, reason = _address_weight(a, b)
    weight += w
    corroborated |= w >= _W_ADDRESS_PARTIAL
    if reason:
        reasons.append(reason)
    if a.postal and b.postal and a.postal == b.postal:
        weight += _W_POSTAL_WITH_ADDRESS if w >= _W_ADDRESS_PARTIAL else _W_POSTAL
        reasons.append("郵便番号一致")
    return weight, corroborated


def _swapped(
    a: _Prep, b: _Prep, readings: Readings
) -> tuple[tuple[int, float], tuple[int, float]] | None:
    """Family against given and given against family, when both parts then agree.

    The record whose fields are split is read the other way round; a whole name in one field on
    the other side is split against it as usual.
    """

    def turned(layer: _Layer) -> _Layer:
        return _Layer(layer.given, layer.family) if layer.split else layer

    def k(x: str) -> str:
        return "" if is_kana(x) else x

    for x, y in ((a, b), (b, a)):
        if not (y.kanji.split and y.kana.split) or not (y.kanji.given or y.kana.given):
            continue
        (kfx, kgx), (kfy, kgy) = _align(x.kanji, turned(y.kanji))
        (nfx, ngx), (nfy, ngy) = _align(x.kana, turned(y.kana))
        fam = _part(k(kfx), k(kfy), nfx, nfy, readings)
        giv = _part(k(kgx), k(kgy), ngx, ngy, readings)
        if fam[0] in _AGREE and giv[0] in _AGREE:
            return fam, giv
    return None


def _compare_romaji(a: _Prep, b: _Prep, *, explain: bool) -> _Result:
    """A name in romaji against one in katakana (or romaji): words compared by sound keys,
    in any order, a middle name on one side only allowed."""
    reasons: list[str] = []
    cap = 1.0
    weight = 0.0
    agreed = _sounds_agree(a.sounds, b.sounds)
    if agreed is None:
        cap = _CAP_REVIEW  # nothing to compare the romaji with
    elif agreed:
        weight += _W_ROMAJI
        reasons.append("ローマ字とカタカナの氏名が一致（読み替え）")
    else:
        weight -= 6.0
        cap = _CAP_CONFLICT
        reasons.append("氏名が異なる（ローマ字）")
    birth_state, birth_reason = _birth_state(a.birth, b.birth)
    if birth_state == _EXACT:
        weight += _W_BIRTH
    elif birth_state in (_SLIP, _ERA):
        weight += _W_BIRTH_NEAR
        cap = min(cap, _CAP_REVIEW)
    elif birth_state == _DIFFER:
        weight += _W_BIRTH_DIFFER
        cap = min(cap, _CAP_CONFLICT)
    if birth_reason:
        reasons.append(birth_reason)
    weight, corroborated = _contact(a, b, weight, reasons)
    if not corroborated:
        # Transliteration is loose: without a shared phone or address, staff confirm.
        cap = min(cap, _CAP_REVIEW)
    return _Result(min(_logistic(weight), cap), weight, cap, tuple(reasons))


def _sounds_agree(x: tuple[str, ...], y: tuple[str, ...]) -> bool | None:
    """Whether two names' words agree by sound (None when either has none)."""
    if not x or not y:
        return None
    rest = list(y)
    matched = 0
    for t in x:
        for n, u in enumerate(rest):
            if t == u or (min(len(t), len(u)) >= 3 and _within_one_edit(t, u)):
                matched += 1
                del rest[n]
                break
    shorter = min(len(x), len(y))
    if shorter == 1:
        return matched == 1 and max(len(x), len(y)) <= 2
    return matched >= 2 and matched >= shorter


def _name_reasons(
    a: _Prep,
    b: _Prep,
    fam: int,
    giv: int,
    former_hit: bool,
    kanji: tuple[str, str, str, str],
    kana: tuple[str, str, str, str],
) -> list[str]:
    """Reasons for the name: whole-name agreements first, then per-part ones.

    ``kanji`` and ``kana`` are the aligned parts: family a, family b, given a, given b.
    """
    out: list[str] = []
    kfa, kfb, kga, kgb = kanji
    nfa, nfb, nga, ngb = kana
    kanji_full = bool(kfa and kga and kfa == kfb and kga == kgb)
    kana_exact = bool(nfa and nga and nfa == nfb and nga == ngb)
    kana_close = bool(
        nfa and nga and nfb and ngb and coarse_kana(nfa + nga) == coarse_kana(nfb + ngb)
    )
    if kanji_full:
        out.append("氏名（漢字）一致")
        if a.kanji_raw != b.kanji_raw:
            out.append("異体字・表記ゆれを吸収")
    if kana_exact:
        out.append("氏名（かな）一致")
    elif kana_close:
        out.append("氏名（かな）ほぼ一致（濁点・長音等の違い）")
    if kanji_full and (kana_exact or kana_close):
        return out
    for label, state, kx, ky in (("姓", fam, kfa, kfb), ("名", giv, kga, kgb)):
        if label == "姓" and former_hit:
            continue
        if state == _EXACT and not (kanji_full or kana_exact or kana_close):
            out.append(f"{label}一致")
        elif state == _EXACT and kx and ky and kx == ky and not kanji_full:
            out.append(f"{label}（漢字）一致")
        elif state == _CLOSE and not kana_close:
            out.append(f"{label}（かな）ほぼ一致")
        elif state == _READING:
            out.append(f"{label}の漢字が異なる（読みは一致）")
        elif state == _FUZZY:
            out.append(f"{label}の読みが一字違い（要確認）")
        elif state == _DOUBT:
            out.append(f"{label}の漢字は一致、読みが異なる（要確認）")
    return out


def compare(a: PersonFacts, b: PersonFacts) -> Match:
    """Score how likely two records describe one person, with reasons for staff."""
    r = _compare(_prepare(a), _prepare(b))
    return Match(round(r.score, 4), r.reasons)


# --------------------------------------------------------------------------------------------
# Pair finding
# --------------------------------------------------------------------------------------------


def find_pairs[K: Hashable](
    records: Iterable[tuple[K, PersonFacts]],
    threshold: float = DEFAULT_THRESHOLD,
    *,
    max_block: int = 2000,
) -> list[tuple[K, K, Match]]:
    """Pairs scoring at least ``threshold``, found by blocking on ``match_keys``.

    Each unordered pair appears once, in input order, best first. Blocks larger than
    ``max_block`` (a shared facility phone, say) are skipped; pairs in them are usually found
    through another key. Kanji-only and reading-only records are bridged through the readings
    the records themselves give each kanji (``Readings.learn``) and the shipped dictionary.

    Everything is held in memory: for a list of records. A city's records are paired from the
    database by ``people.selectors.duplicate_pairs``, which streams the same blocks from the
    stored keys and gives the same pairs.
    """
    ids: list[K] = []
    preps: list[Prepared] = []
    for rid, facts in records:
        ids.append(rid)
        preps.append(prepare(facts))
    readings = Readings._from_preps(preps)
    out: list[tuple[K, K, Match]] = []
    for i, others in _candidates(preps, max_block, readings):
        a = preps[i]
        for j in others:
            match = pair_match(a, preps[j], readings, threshold)
            if match is not None:
                out.append((ids[i], ids[j], match))
    out.sort(key=lambda t: (t[2].tier != LIKELY, -t[2].score))
    return out


Prepared = _Prep


def prepare(facts: PersonFacts, *, contact: Contact | None = None) -> Prepared:
    """A record made ready for ``pair_match`` (not cached: the caller keeps what it needs);
    `contact`: its ``contact_of``, when the caller has it already."""
    return _prepare_with(facts, contact or contact_of(facts.phone, facts.address))


def pair_match(a: Prepared, b: Prepared, readings: Readings, threshold: float) -> Match | None:
    """The match of two prepared records when it scores at least ``threshold``, else None."""
    if threshold > CAP_CONFLICT and birth_caps_conflict(a, b):
        return None
    if _compare(a, b, explain=False, readings=readings).score < threshold:
        return None
    r = _compare(a, b, readings=readings)
    return Match(round(r.score, 4), r.reasons)


def birth_caps_conflict(a: Prepared, b: Prepared) -> bool:
    """Whether the birth dates alone cap the pair at ``_CAP_CONFLICT`` whatever else agrees
    (exactly what ``_compare`` decides, told without it).

    So is every pair of one name and birth year (a ``ny:`` block) born on days that are neither
    the same, nor a slip of the pen apart, nor an era offset apart, unless a phone or an address
    agrees (then two slips may lift the cap: ``_compare`` decides). In the large blocks of a
    city of 1.5 million that is nearly every pair.
    """
    if not a.birth or not b.birth or not birth_differs(a.birth, b.birth):
        return False
    if a.latin or b.latin:
        return True  # `_compare_romaji` caps every differing date
    # corroborated (`_contact`): two slips may then be proposed for review
    return _phone_weight(a.phone, b.phone)[0] <= 0 and _address_weight(a, b)[0] < _W_ADDRESS_PARTIAL


def birth_differs(x: datetime.date, y: datetime.date) -> bool:
    """Two birth dates neither the same nor a slip of the pen nor an era offset apart
    (``_birth_state`` gives ``_DIFFER``), told with a few integer comparisons in the usual case
    of one year with both the month and the day differing."""
    if x == y:
        return False
    if x.year == y.year and x.month != y.month and x.day != y.day:
        # Within one year both the month and the day differ: a slip only when 月 and 日 are
        # swapped or the month's last digit and the day's first are (12-03 / 10-23).
        return not (
            (x.month == y.day and x.day == y.month)
            or (
                x.month // 10 == y.month // 10
                and x.day % 10 == y.day % 10
                and x.month % 10 == y.day // 10
                and x.day // 10 == y.month % 10
            )
        )
    return _birth_state(x, y)[0] == _DIFFER


class PairingMarks:
    """Of many persons, what ``birth_caps_conflict`` needs, in a few integer arrays indexed by
    person id: pairs it caps are passed over before either record is read again or prepared
    (most pairs of the large name-and-birth-year blocks).

    ``uncapped`` is conservative: it never passes over a pair that ``_compare`` would not cap.
    It keeps a pair when the dates allow a slip or an era offset, or when the phones' last
    eight digits, the addresses or their house parts may agree (32-bit hashes, the same in
    forked processes: equal texts give equal marks, a collision only keeps a pair); the full
    comparison then decides. A person never added is kept with everyone.
    """

    def __init__(self) -> None:
        # per person id: the birth date as yyyymmdd times two, plus one for a romaji name (0:
        # none or not added); marks of the phone's last eight digits, the address, its house
        self._birth = array("i")
        self._phone = array("i")
        self._address = array("i")
        self._house = array("i")
        self._count = 0

    def add(
        self,
        pk: int,
        family: str,
        given: str,
        birth: datetime.date | None,
        phone: str,
        address: str,
    ) -> Contact:
        """Add a person's marks; returns their ``contact_of`` (for ``prepare``)."""
        if pk >= len(self._birth):
            grow = [0] * (max(pk + 1, len(self._birth) * 5 // 4) - len(self._birth))
            for marks in (self._birth, self._phone, self._address, self._house):
                marks.extend(grow)
        contact = contact_of(phone, address)
        ymd = birth.year * 10000 + birth.month * 100 + birth.day if birth else 0
        self._birth[pk] = ymd * 2 + is_latin(family + given)
        self._phone[pk] = _mark(contact[0][-8:])
        self._address[pk] = _mark(contact[1])
        self._house[pk] = _mark(contact[2])
        self._count += 1
        return contact

    def __len__(self) -> int:
        return self._count

    def uncapped(self, x: int, others: Iterable[int]) -> list[int]:
        """Those of `others` (ids) for which ``birth_caps_conflict`` with x may not hold."""
        births = self._birth
        size = len(births)
        bi = births[x] if x < size else 0
        if bi < 2:
            return list(others)
        phone, address, house = self._phone[x], self._address[x], self._house[x]
        phones, addresses, houses = self._phone, self._address, self._house
        dx = bi >> 1
        kept = []
        for y in others:
            bj = births[y] if y < size else 0
            if (
                bj < 2
                or not _ymd_differ(dx, bj >> 1)
                or (
                    not (bi | bj) & 1
                    and (
                        (phone and phone == phones[y])
                        or (address and address == addresses[y])
                        or (house and house == houses[y])
                    )
                )
            ):
                kept.append(y)
        return kept


def _mark(text: str) -> int:
    """A non-zero 32-bit integer for a non-empty text, 0 for none; equal texts, equal marks."""
    return (hash(text) & 0x7FFFFFFF) | 1 if text else 0


def _ymd_differ(x: int, y: int) -> bool:
    """``birth_differs`` of two dates given as yyyymmdd."""
    if x == y:
        return False
    xy, xm, xd = x // 10000, x // 100 % 100, x % 100
    yy, ym, yd = y // 10000, y // 100 % 100, y % 100
    if xy == yy and xm != ym and xd != yd:
        return not (
            (xm == yd and xd == ym)
            or (
                xm // 10 == ym // 10
                and xd % 10 == yd % 10
                and xm % 10 == yd // 10
                and xd // 10 == ym % 10
            )
        )
    return birth_differs(datetime.date(xy, xm, xd), datetime.date(yy, ym, yd))


def review_score(a: Prepared, b: Prepared, readings: Readings | None = None) -> float | None:
    """The score ``compare`` gives two prepared records (rounded as in its ``Match``) when it can
    reach ``REVIEW_THRESHOLD``, else None, without the reasons (``compare`` gives them).

    Most pairs of a large block (one common name) differ in their birth dates: such a pair is
    capped at ``_CAP_CONFLICT`` unless the dates are a slip of the pen or an era offset apart
    (either keeps the year or the day: see ``_birth_slip``, ``_birth_era``) or, for a name not in
    romaji, two slips apart with a phone or an address agreeing. Those pairs are told apart by a
    few integer and string comparisons instead of a full comparison.
    """
    x, y = a.birth, b.birth
    if x and y and x != y and x.year != y.year and x.day != y.day:
        if a.latin or b.latin:
            return None
        phone, address = _phone_weight(a.phone, b.phone)[0], _address_weight(a, b)[0]
        if phone <= 0 and address < _W_ADDRESS_PARTIAL:  # not corroborated (`_contact`)
            return None
    score = round(_compare(a, b, explain=False, readings=readings).score, 4)
    return score if score >= REVIEW_THRESHOLD else None


def pairing_keys(facts: PersonFacts) -> set[str]:
    """The stored keys (``match_keys``) that pair records (the others serve the search box)."""
    return {k for k in match_keys(facts) if not k.startswith(SEARCH_ONLY_PREFIXES)}


def learned_keys(facts: PersonFacts, readings: Readings) -> set[str]:
    """Pairing keys a record gains from the readings its population teaches beyond the stored
    ``match_keys``, which know only the shipped dictionary: the bridge keys of a kanji-only
    name through readings other records give its kanji. Empty for every other record."""
    prep = prepare(facts)
    if not prep.kanji_only:
        return set()
    return {
        k for k in _keys(prep, readings) - _keys(prep) if not k.startswith(SEARCH_ONLY_PREFIXES)
    }


def _candidates(
    preps: Sequence[_Prep], max_block: int, readings: Readings | None = None
) -> Iterator[tuple[int, list[int]]]:
    """For each record, the later records sharing a pairing key with it (sorted)."""
    index: dict[str, list[int]] = defaultdict(list)
    record_keys: list[list[str]] = []
    for i, prep in enumerate(preps):
        keys = [k for k in _keys(prep, readings) if not k.startswith(SEARCH_ONLY_PREFIXES)]
        record_keys.append(keys)
        for k in keys:
            index[k].append(i)
    for i, keys in enumerate(record_keys):
        seen: set[int] = set()
        for k in keys:
            block = index[k]  # ascending, since records were added in order
            if 2 <= len(block) <= max_block:
                seen.update(block[bisect_right(block, i) :])
        if seen:
            yield i, sorted(seen)


def candidate_pair_count(records: Iterable[PersonFacts], *, max_block: int = 2000) -> int:
    """How many distinct pairs ``find_pairs`` compares (for benchmarks and capacity planning)."""
    preps = [_prepare.__wrapped__(p) for p in records]
    readings = Readings._from_preps(preps)
    return sum(len(others) for _, others in _candidates(preps, max_block, readings))


# --------------------------------------------------------------------------------------------
# Search box
# --------------------------------------------------------------------------------------------

_PHONE_QUERY_RE = re.compile(r"^[\d\s\-+()]+$")


def _query_facts(query: str, birth_date: datetime.date | None) -> tuple[PersonFacts, str]:
    """The query as a record, and what kind of text it was: name, phone or address."""
    text = unicodedata.normalize("NFKC", query).strip()
    digits = sum(c.isdigit() for c in text)
    if text and _PHONE_QUERY_RE.match(text) and digits >= 8:
        return PersonFacts(phone=text, birth_date=birth_date), "phone"
    if digits or "丁目" in text or "番地" in text:
        return PersonFacts(address=text, birth_date=birth_date), "address"
    if is_kana_name(text):
        return PersonFacts(family_name_kana=text, birth_date=birth_date), "name"
    return PersonFacts(family_name=text, birth_date=birth_date), "name"


_BIRTH_ORDER = {_EXACT: 0, _SLIP: 1, _ERA: 1, _MISSING: 2, _DIFFER: 3}


def _turned_query(facts: PersonFacts) -> _Prep | None:
    """The typed name with its two words the other way round, or None if it is not two words."""
    words = _SPACE_RE.split(unicodedata.normalize("NFKC", facts.family_name).strip())
    if len(words) == 2:
        return _prepare(replace(facts, family_name=f"{words[1]} {words[0]}"))
    words = _SPACE_RE.split(unicodedata.normalize("NFKC", facts.family_name_kana).strip())
    if len(words) == 2:
        return _prepare(replace(facts, family_name_kana=f"{words[1]} {words[0]}"))
    return None


def query_keys(query: str, birth_date: datetime.date | None) -> set[str]:
    """Keys to look up for a search box query (same key space as ``match_keys``)."""
    facts, kind = _query_facts(query, birth_date)
    prep = _prepare(facts)
    keys = _keys(prep)
    if not prep.kanji.full.startswith(UNKNOWN):
        # the 外字 key reaches namesakes but for the first character: only a typed 〓 needs it
        keys = {k for k in keys if not k.startswith("w:")}
    if kind == "name" and birth_date:
        # The whole query may be only a family or only a given name.
        fulls, families, givens = _name_pieces(prep)
        words = fulls | families | givens
        sounds = {t for t in prep.sounds if len(t) >= 2} if prep.latin or prep.reading_only else ()
        # The stored birth date may be the typed one with a slip or an era offset (the pairs
        # compare proposes for review). A record whose full name also differs (a new family name
        # after marriage, romaji against katakana) is reached only through these keys.
        for date in {birth_date, *_birth_neighbours(birth_date)}:
            b = date.isoformat()
            # Either word may be the family or the given name (姓と名の入れ替わり, or one typed).
            for f in words:
                keys.add(f"b:{b}:f:{f}")
                keys.add(f"b:{b}:g:{f}")
            keys.update(f"b:{b}:r:{t}" for t in sounds)
    if kind == "address":
        # As deep as typed: 本町1 fetches the 丁目, 本町1-2-3 only that house.
        keys = {"ac:" + prep.addr_house} if prep.addr_house else set()
    # The name-with-a-fact keys pair records; the search box finds namesakes by the name (``n:``)
    # and ranks them by the keys they share with the query, which these would not change.
    return {k[:KEY_MAX_LENGTH] for k in keys if not k.startswith(NAME_FACT_PREFIXES)}


# The letters of a coarse reading (`coarse_kana` of every katakana, and the long-vowel mark
# that follows a consonant): what a slip of one kana may put in or change.
_COARSE_KANA = "".join(
    sorted({coarse_kana(chr(c)) for c in range(ord("ァ"), ord("ヺ") + 1)} | {"ー"})
)
# A reading this short is one slip from too many others to be worth looking for them; one
# longer than a name is not looked for one slip away (its neighbours grow with its length).
_SLIP_MIN_LENGTH = 4
_SLIP_MAX_LENGTH = 24


def _one_slip(reading: str) -> set[str]:
    """The readings one slip from this one: a kana left out, put in or changed, or two
    neighbouring kana swapped."""
    out = {reading[:i] + reading[i + 1 :] for i in range(len(reading))}
    out.update(
        reading[:i] + reading[i + 1] + reading[i] + reading[i + 2 :]
        for i in range(len(reading) - 1)
    )
    for i in range(len(reading) + 1):
        head, tail = reading[:i], reading[i:]
        out.update(head + c + tail for c in _COARSE_KANA)
        if tail:
            out.update(head + c + tail[1:] for c in _COARSE_KANA)
    out.discard(reading)
    return out


def neighbour_keys(query: str) -> set[str]:
    """Full-name keys (``n:``) one slip from a name typed in the search box, to look up beside
    ``query_keys``: the reading with a kana left out, put in, changed or two swapped (たかはし
    はなご finds タカハシハナコ), and the kanji name with each character in turn as 〓 (高橋花子
    finds 〓橋花子, a record written with a 外字).

    Worked out when searching, not stored with every record (they were 12 of a record's 40
    keys, and every import wrote them): most of these are nobody's key, and the caller looks
    up only which are someone's, and sets aside those it looks up as typed (``query_keys``).
    Search only; they never pair records."""
    facts, kind = _query_facts(query, None)
    if kind != "name":
        return set()
    prep = _prepare(facts)
    keys: set[str] = set()
    reading = coarse_kana(prep.kana.full)
    if _SLIP_MIN_LENGTH <= len(reading) <= _SLIP_MAX_LENGTH:
        keys.update("n:" + r for r in _one_slip(reading) if len(r) >= _SLIP_MIN_LENGTH)
    full = coarse_kana(prep.kanji.full)
    if 3 <= len(full) <= 12 and not is_kana(full) and UNKNOWN not in full:
        keys.update("n:" + full[:i] + UNKNOWN + full[i + 1 :] for i in range(len(full)))
    return {k[:KEY_MAX_LENGTH] for k in keys}


def wildcard_key(query: str) -> str | None:
    """The full-name key of a kanji name typed with one 外字 as 〓 after its first character
    (高〓花子), to be matched with the 〓 standing for any one character; None for any other
    query. A 〓 first, or more than one, has no characters before it to narrow the search:
    such a name is found through its reading or its birth date."""
    facts, kind = _query_facts(query, None)
    if kind != "name":
        return None
    full = coarse_kana(_prepare(facts).kanji.full)
    if not 3 <= len(full) <= KEY_MAX_LENGTH - 2 or full.count(UNKNOWN) != 1 or full[0] == UNKNOWN:
        return None
    return "n:" + full


def query_kind(query: str) -> str:
    """What a search box query was read as: "name", "phone" or "address"."""
    return _query_facts(query, None)[1]


def name_key_prefixes(name: str) -> set[str]:
    """Prefixes of the full-name keys (``n:``) of everyone whose name begins with `name`,
    written in kanji or kana however typed: a surname alone finds 高橋和子 and 髙橋一郎."""
    text = unicodedata.normalize("NFKC", name).strip()
    if not text:
        return set()
    prefixes = {"n:" + normalize_name(text)}
    if is_kana_name(text):
        prefixes.add("n:" + coarse_kana(normalize_kana(text)))
    return {p[:KEY_MAX_LENGTH] for p in prefixes}


def _address_query(q: _Prep, c: _Prep) -> tuple[float, tuple[str, ...]]:
    """Weight of a candidate's address against a (possibly partial) typed address."""
    if not q.addr_full or not c.addr_full:
        return 0.0, ()
    if q.addr_full == c.addr_full or (
        q.addr_house == c.addr_house and q.addr_building in ("", c.addr_building)
    ):
        return _W_ADDRESS, ("住所一致",)
    house = q.addr_house
    if house and c.addr_house.startswith(house) and c.addr_house[len(house) :][:1] in ("", "-"):
        return _W_ADDRESS * 0.8, ("住所一致（部分）",)
    if q.addr_full in c.addr_full:
        return _W_ADDRESS * 0.5, ("住所の一部が一致",)
    return 0.0, ()


def search[K: Hashable](
    query: str,
    birth_date: datetime.date | None,
    candidates: Iterable[tuple[K, PersonFacts]],
    limit: int = 20,
) -> list[tuple[K, Match]]:
    """Rank candidates for a counselor's query (a name, a phone number or part of an address).

    Scores are on the scale of ``compare``: at or above DEFAULT_THRESHOLD only when what was
    typed (with the birth date) identifies the candidate, so a name alone ranks a namesake
    first but never scores as a strong match. Candidates matching nothing are left out.
    """
    facts, kind = _query_facts(query, birth_date)
    q = _prepare(facts)
    # Two typed words may be 名 then 姓 (the search keys already read them either way). The
    # other order is tried where the typed order does not reach review: a record with a new
    # family name, typed given name first, agrees then on the given name and the birth date.
    turned = _turned_query(facts) if kind == "name" else None
    # A field the query lacks weighs nothing whatever the candidate holds (`_contact` skips a
    # phone, an address or a postal code missing on either side, `_birth_state` a birth date),
    # so candidates are compared without it: the same scores and reasons, without normalising
    # every candidate's address. Candidates then alike (namesakes: a common name is most of a
    # search's candidates) are prepared and scored once.
    phone = kind == "address" or bool(q.phone)
    address = kind == "address" or bool(q.addr_full or q.postal)
    birth = q.birth is not None
    ids: list[K] = []
    # the facts compared, as PersonFacts' fields in order → the candidates' places
    alike: dict[
        tuple[str, str, str, str, datetime.date | None, str, str, str, tuple[str, ...]], list[int]
    ] = {}
    for n, (cid, cand) in enumerate(candidates):
        ids.append(cid)
        alike.setdefault(
            (
                cand.family_name,
                cand.given_name,
                cand.family_name_kana,
                cand.given_name_kana,
                cand.birth_date if birth else None,
                cand.phone if phone else "",
                cand.postal_code if address else "",
                cand.address if address else "",
                cand.former_family_names,
            ),
            [],
        ).append(n)
    prepared = {PersonFacts(*compared): places for compared, places in alike.items()}
    preps = {facts: _prepare(facts) for facts in prepared}
    readings = Readings._from_preps(preps.values()) if kind == "name" else None
    # Every candidate is scored without its reasons (they change neither score nor weight);
    # the reasons are written for the `limit` ranked first only.
    scored: dict[PersonFacts, tuple[float, float, bool | tuple[str, ...]]] = {}
    ranked: list[tuple[float, float, int, int, float, PersonFacts]] = []
    for facts, places in prepared.items():
        c = preps[facts]
        found = scored[facts] = _search_score(q, turned, c, kind, readings)
        score, weight, _ = found
        if weight <= 0:
            continue
        # At an equal score the birth date typed decides: the same date, then one slip or era
        # away, then none recorded, then another date (a namesake born on another day).
        near = _BIRTH_ORDER.get(_birth_state(q.birth, c.birth)[0], 3) if q.birth else 0
        ranked.extend((-score, -weight, near, n, score, facts) for n in places)
    ranked.sort(key=lambda t: (t[0], t[1], t[2], t[3]))
    explained: dict[PersonFacts, tuple[str, ...]] = {}
    out: list[tuple[K, Match]] = []
    for _, _, _, n, score, facts in ranked[:limit]:
        reasons = explained.get(facts)
        if reasons is None:
            c, how = preps[facts], scored[facts][2]
            if isinstance(how, tuple):
                reasons = how
            elif how and turned is not None:
                turned_reasons = _compare(turned, c, readings=readings).reasons
                reasons = ("入力の姓と名を入れ替えて照合", *turned_reasons)
            else:
                reasons = _compare(q, c, readings=readings).reasons
            explained[facts] = reasons
        out.append((ids[n], Match(round(score, 4), reasons)))
    return out


def _search_score(
    q: _Prep, turned: _Prep | None, c: _Prep, kind: str, readings: Readings | None
) -> tuple[float, float, bool | tuple[str, ...]]:
    """A candidate's score and weight for `search`, and whether it was reached by the query
    turned round (for an address: the reasons themselves)."""
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
        return min(_logistic(weight), cap, _CAP_REVIEW), weight, reasons
    r = _compare(q, c, explain=False, readings=readings)
    if turned is not None and r.score < REVIEW_THRESHOLD:
        other = _compare(turned, c, explain=False, readings=readings)
        if (other.score, other.weight) > (r.score, r.weight):
            return other.score, other.weight, True
    return r.score, r.weight, False
