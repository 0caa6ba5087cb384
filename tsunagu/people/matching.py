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

import datetime
import math
import re
import unicodedata
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Hashable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache


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


# --------------------------------------------------------------------------------------------
# Normalisation
# --------------------------------------------------------------------------------------------

# 異体字 (old or variant forms) found in Japanese names and place names -> the common form.
# Compatibility ideographs (U+F900..) are folded by NFKC before this table applies, except the
# few that Unicode treats as unified ideographs (such as 﨑 U+FA11), which are listed here.
_VARIANT_PAIRS = (
    "髙高 﨑崎 嵜崎 碕崎 邊辺 邉辺 齋斎 齊斎 斉斎 澤沢 濱浜 濵浜 廣広 嶋島 嶌島 櫻桜 國国 圀国 "
    "德徳 惠恵 眞真 實実 壽寿 冨富 曾曽 槇槙 𠮷吉 𡈽土 栁柳 桒桑 瀨瀬 邨村 淵渕 渊渕 龍竜 瀧滝 "
    "嶽岳 峯峰 舘館 檜桧 藏蔵 增増 來来 兒児 圓円 淺浅 滿満 榮栄 豐豊 禮礼 靜静 與与 龜亀 會会 "
    "傳伝 條条 淸清 晉晋 愼慎 鐵鉄 顯顕 萬万 縣県 戶戸 户戸 寬寛 彥彦 穗穂 稻稲 團団 黑黒 學学 "
    "莊荘 靑青 聰聡 亞亜 爲為 將将 乘乗 佛仏 臺台 關関 巖巌 彌弥 讓譲 穰穣 驒騨 黃黄 蘆芦 鹽塩 "
    "澁渋 壹壱 辯弁 辨弁 瓣弁 曉暁 遙遥 凜凛 昻昂 舩船 藪薮 譽誉 對対 獨独 廳庁 樂楽 氣気 "
    "驛駅 步歩 淨浄 濟済 郞郎 祿禄 綠緑 錄録 麥麦 黨党"
)
VARIANT_FOLD: dict[str, str] = {pair[0]: pair[1] for pair in _VARIANT_PAIRS.split()}
_VARIANT_TABLE = str.maketrans(VARIANT_FOLD)

_SPACE_RE = re.compile(r"\s+")
_NAME_PUNCT_RE = re.compile(r"[\s・･=＝.,、。'’\-‐]+")
_SELECTOR_RE = re.compile("[\ufe00-\ufe0f\U000e0100-\U000e01ef]")
_DIGITS_RE = re.compile(r"\d")

_HIRA_TO_KATA = {c: c + 0x60 for c in [*range(0x3041, 0x3097), 0x309D, 0x309E]}
_KANA_RE = re.compile("[ァ-ヺーヽヾ]+")
_REPEAT_MARKS = frozenset("々〻ヽヾ")


def _hira_to_kata(text: str) -> str:
    return text.translate(_HIRA_TO_KATA)


def _is_kana(text: str) -> bool:
    return _KANA_RE.fullmatch(text) is not None


def _expand_repeats(text: str) -> str:
    """佐々木 -> 佐佐木, ササヽキ -> ササキ."""
    if _REPEAT_MARKS.isdisjoint(text):
        return text
    out: list[str] = []
    for c in text:
        if c in "々〻ヽ" and out:
            out.append(out[-1])
        elif c == "ヾ" and out:
            out.append(unicodedata.normalize("NFC", out[-1] + "\u3099"))
        else:
            out.append(c)
    return "".join(out)


def normalize_name(text: str) -> str:
    """A name as written in kanji: NFKC, no spaces, 異体字 folded, kana as katakana."""
    text = unicodedata.normalize("NFKC", text)
    text = _SELECTOR_RE.sub("", text)
    text = _NAME_PUNCT_RE.sub("", text)
    text = _expand_repeats(_hira_to_kata(text.translate(_VARIANT_TABLE)))
    return text.upper()


# Kana rows, to fold the long-vowel mark and to drop lengthening vowels in the coarse form.
_ROWS = {
    "ア": "アカガサザタダナハバパマヤャラワァヮ",
    "イ": "イキギシジチヂニヒビピミリィ",
    "ウ": "ウクグスズツヅヌフブプムユュルゥヴ",
    "エ": "エケゲセゼテデネヘベペメレェ",
    "オ": "オコゴソゾトドノホボポモヨョロヲォ",
}
_VOWEL_OF = {c: vowel for vowel, row in _ROWS.items() for c in row}
# What a long-vowel mark after each row is most often written as in names (ヨーコ = ヨウコ).
_LONG_MARK = {"ア": "ア", "イ": "イ", "ウ": "ウ", "エ": "イ", "オ": "ウ"}
_KANA_FOLD = str.maketrans(
    {"ヂ": "ジ", "ヅ": "ズ", "ヲ": "オ", "ヰ": "イ", "ヱ": "エ", "ヵ": "カ", "ヶ": "ケ", "ヮ": "ワ"}
)
_VU_RE = re.compile("ヴ([ァィェォ]?)")
_VU_MAP = {"ァ": "バ", "ィ": "ビ", "ェ": "ベ", "ォ": "ボ", "": "ブ"}


def normalize_kana(text: str) -> str:
    """A reading in one katakana form: any script or width, no spaces, ヂ/ヅ/ヲ/ヴ/ー folded."""
    text = unicodedata.normalize("NFKC", text)
    text = _NAME_PUNCT_RE.sub("", text)
    text = _expand_repeats(_hira_to_kata(text)).upper()
    text = _VU_RE.sub(lambda m: _VU_MAP[m.group(1)], text).translate(_KANA_FOLD)
    out: list[str] = []
    for c in text:
        if c == "ー":
            vowel = _VOWEL_OF.get(out[-1]) if out else None
            if vowel:
                out.append(_LONG_MARK[vowel])
            continue
        out.append(c)
    return "".join(out)


_UNVOICE = str.maketrans(
    "ガギグゲゴザジズゼゾダヂヅデドバビブベボパピプペポァィゥェォッャュョヮ",
    "カキクケコサシスセソタチツテトハヒフヘホハヒフヘホアイウエオツヤユヨワ",
)
# Vowels that merely lengthen the kana before them (オウ, オオ, エイ, ユウ ...).
_LENGTHENERS = {"ア": "ア", "イ": "イエ", "ウ": "ウオ", "エ": "エ", "オ": "オ"}


@lru_cache(maxsize=1 << 17)
def _coarse(text: str) -> str:
    """A forgiving form of normalised kana: no 濁点/半濁点, no small kana, no long vowels.

    Kanji and other characters pass through, so mixed strings (山田タロウ) fold too.
    """
    text = text.translate(_UNVOICE)
    out: list[str] = []
    for c in text:
        if out and c in _LENGTHENERS and _VOWEL_OF.get(out[-1], "") in _LENGTHENERS[c]:
            continue
        out.append(c)
    return "".join(out)


def normalize_phone(text: str) -> str:
    """Digits only (any width); the country code +81 becomes the trunk prefix 0."""
    text = unicodedata.normalize("NFKC", text).strip()
    international = text.startswith(("+81", "81-", "81 ")) or text.startswith("(+81)")
    digits = "".join(c for c in text if c.isdigit())
    if international:
        digits = digits[2:]
        if not digits.startswith("0"):
            digits = "0" + digits
    return digits


# fmt: off
PREFECTURES: tuple[str, ...] = (
    "北海道", "青森県", "岩手県", "宮城県", "秋田県", "山形県", "福島県", "茨城県", "栃木県",
    "群馬県", "埼玉県", "千葉県", "東京都", "神奈川県", "新潟県", "富山県", "石川県", "福井県",
    "山梨県", "長野県", "岐阜県", "静岡県", "愛知県", "三重県", "滋賀県", "京都府", "大阪府",
    "兵庫県", "奈良県", "和歌山県", "鳥取県", "島根県", "岡山県", "広島県", "山口県", "徳島県",
    "香川県", "愛媛県", "高知県", "福岡県", "佐賀県", "長崎県", "熊本県", "大分県", "宮崎県",
    "鹿児島県", "沖縄県",
)
# fmt: on
_PREF_RE = re.compile("^(?:" + "|".join(PREFECTURES) + ")")

_KANJI_DIGITS = {c: n for n, c in enumerate("〇一二三四五六七八九")} | {"零": 0}
_KANJI_UNITS = {"十": 10, "百": 100, "千": 1000}
# A kanji numeral is a number (and not part of a place name such as 千代田 or 八王子) when a
# block unit follows it or it follows a digit or hyphen.
_KANJI_NUM_RE = re.compile(
    r"[〇零一二三四五六七八九十百千]+(?=丁目|丁|番地|番|号|条|線|地割|-|の\d)"
    r"|(?<=[\d-])[〇零一二三四五六七八九十百千]+"
)
_HYPHENS_RE = re.compile(r"[‐‑‒–—―−﹣ｰ]|(?<=\d)ー|ー(?=\d)")
_BLOCK_RE = re.compile(r"(?<=\d)(?:丁目|丁|番地|番|号室|号|の|之)")
_ADDR_SMALL_KE_RE = re.compile(r"(?<=[一-龥])[ヶケがガヵ](?=[一-龥])")
_ADDR_NO_RE = re.compile(r"(?<=[一-龥])[のノ之乃](?=[一-龥])")
_POSTAL_IN_ADDR_RE = re.compile(r"^〒?\d{3}-?\d{4}")


def _kanji_number(text: str) -> int:
    if all(c in _KANJI_DIGITS for c in text):  # 二〇三 written digit by digit
        return int("".join(str(_KANJI_DIGITS[c]) for c in text))
    total, current = 0, 0
    for c in text:
        if c in _KANJI_DIGITS:
            current = _KANJI_DIGITS[c]
        else:
            total += (current or 1) * _KANJI_UNITS[c]
            current = 0
    return total + current


def normalize_address(text: str) -> str:
    """NFKC, no spaces, kanji numerals as digits, 丁目/番地/番/号/の as hyphens.

    The prefecture is kept as written; ``strip_prefecture`` removes it for comparison.
    """
    text = unicodedata.normalize("NFKC", text).strip()
    text = re.sub(r"(?<=\d)\s+(?=\d)", "-", text)
    text = _SPACE_RE.sub("", text)
    text = _POSTAL_IN_ADDR_RE.sub("", text)
    text = _SELECTOR_RE.sub("", text).translate(_VARIANT_TABLE)
    text = _HYPHENS_RE.sub("-", text)
    text = _KANJI_NUM_RE.sub(lambda m: str(_kanji_number(m.group())), text)
    text = _BLOCK_RE.sub("-", text)
    text = _ADDR_SMALL_KE_RE.sub("ケ", text)
    text = _ADDR_NO_RE.sub("ノ", text)
    text = re.sub(r"-+", "-", text)
    text = re.sub(r"-(?=[^\d])", "", text)
    return text.strip("-")


def strip_prefecture(address: str) -> str:
    """A normalised address without its leading 都道府県."""
    return _PREF_RE.sub("", address)


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


@lru_cache(maxsize=65536)
def _prepare(p: PersonFacts) -> _Prep:
    fam, giv, split = _split_field(p.family_name, p.given_name)
    fam_k, giv_k, split_k = _split_field(p.family_name_kana, p.given_name_kana)
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
        if _is_kana(kanji_parts[i]):
            kanji_parts[i] = normalize_kana(kanji_parts[i])
            if (i == 2 and kana_empty) or (i < 2 and not kana_parts[i] and not kana_parts[2]):
                kana_parts[i] = kanji_parts[i]
    raw = _SPACE_RE.sub("", unicodedata.normalize("NFKC", p.family_name + p.given_name))
    former = tuple(
        f for f in (_fold_kana_part(normalize_name(x)) for x in p.former_family_names) if f
    )
    full, house, building = (
        _address_parts(normalize_address(p.address)) if p.address else ("", "", "")
    )
    return _Prep(
        kanji=_Layer(*kanji_parts),
        kana=_Layer(*kana_parts),
        kanji_raw=raw,
        former=former,
        birth=p.birth_date,
        phone=normalize_phone(p.phone),
        postal="".join(c for c in unicodedata.normalize("NFKC", p.postal_code) if c.isdigit()),
        addr_full=full,
        addr_house=house,
        addr_building=building,
    )


def _fold_kana_part(name: str) -> str:
    """A name for keys and 旧姓 checks: kana characters in it folded coarsely."""
    return _coarse(normalize_kana(name)) if _is_kana(name) else _coarse(name)


# --------------------------------------------------------------------------------------------
# Blocking keys
# --------------------------------------------------------------------------------------------

# Keys with these prefixes serve the search box only; find_pairs does not block on them
# (a whole 丁目 would be one block; a one-kana slip alone never makes an automatic match).
SEARCH_ONLY_PREFIXES = ("ac:", "nd:")
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
                families.add(_coarse(layer.family))
            if layer.given:
                givens.add(_coarse(layer.given))
            if layer.family and layer.given:
                fulls.add(_coarse(layer.family + layer.given))
        elif layer.whole:
            fulls.add(_coarse(layer.whole))
            for f, g in _splits(layer.whole):
                families.add(_coarse(f))
                givens.add(_coarse(g))
    kj, kn = prep.kanji, prep.kana
    if kj.split and kn.split:
        if kj.family and kn.given:
            fulls.add(_coarse(kj.family + kn.given))
        if kn.family and kj.given:
            fulls.add(_coarse(kn.family + kj.given))
    split_givens = {_coarse(g) for g in (kj.given, kn.given) if g}
    for old in prep.former:
        families.add(old)
        for g in split_givens:
            fulls.add(old + g)
    return fulls, families, givens


def _keys(prep: _Prep) -> set[str]:
    fulls, families, givens = _name_pieces(prep)
    keys = {"n:" + f for f in fulls}
    kana_full = _coarse(prep.kana.full)
    if len(kana_full) >= 4:
        # One-deletion neighbourhood: two readings one slip apart share a key.
        keys.add("nd:" + kana_full)
        keys.update("nd:" + kana_full[:i] + kana_full[i + 1 :] for i in range(len(kana_full)))
    if prep.birth:
        b = prep.birth.isoformat()
        keys.update(f"b:{b}:f:{f}" for f in families)
        keys.update(f"b:{b}:g:{g}" for g in givens)
    if len(prep.phone) >= 8:
        keys.add("p:" + prep.phone[-8:])
    house = prep.addr_house
    if house:
        keys.update(f"a:{house}:{g}" for g in givens)
        keys.update("ac:" + h for h in _house_prefixes(house))
    return {k[:KEY_MAX_LENGTH] for k in keys}


def _house_prefixes(house: str) -> list[str]:
    parts = house.split("-")
    return ["-".join(parts[: i + 1]) for i in range(len(parts))]


def match_keys(p: PersonFacts) -> set[str]:
    """Blocking keys of a record; two records of one person share at least one.

    Kinds: ``n:`` full name (kanji, kana, mixed, with 旧姓); ``b:<date>:f:`` / ``b:<date>:g:``
    birth date with family or given name; ``p:`` last 8 phone digits; ``a:<house>:<given>``
    address with given name; search only: ``ac:`` address prefixes and ``nd:`` the reading
    with each kana deleted in turn (finds a reading one slip away).
    """
    return _keys(_prepare(p))


# --------------------------------------------------------------------------------------------
# Pairwise comparison
# --------------------------------------------------------------------------------------------

# Outcomes for one part of a name (family or given).
_EXACT, _READING, _CLOSE, _FUZZY, _DOUBT, _DIFFER, _MISSING = range(7)

_W_BIRTH = 15.0
_W_BIRTH_NEAR = -3.0
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

# score = logistic((weight - _MID) / _SCALE)
_MID = 24.0
_SCALE = 3.0
DEFAULT_THRESHOLD = 0.75
# Caps keep a pair under the threshold when something tells the two apart or is unproven.
_CAP_CONFLICT = 0.3
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
    ca, cb = _coarse(a), _coarse(b)
    if ca == cb:
        return _CLOSE
    if _within_one_edit(a, b) or _within_one_edit(ca, cb):
        return _FUZZY
    return _DIFFER


def _part(kanji_a: str, kanji_b: str, kana_a: str, kana_b: str) -> tuple[int, float]:
    """Outcome and weight for one name part from its kanji and kana comparisons."""
    kana = _kana_state(kana_a, kana_b)
    if not kanji_a or not kanji_b:
        return {
            _EXACT: (_EXACT, 8.0),
            _CLOSE: (_CLOSE, 6.5),
            _FUZZY: (_FUZZY, 3.0),
            _DIFFER: (_DIFFER, -6.0),
            _MISSING: (_MISSING, 0.0),
        }[kana]
    if kanji_a == kanji_b:
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


def _birth_near(a: datetime.date, b: datetime.date) -> bool:
    """A difference that looks like a slip of the pen: one digit, two swapped, or 月/日 swapped."""
    sa = f"{a.year:04d}{a.month:02d}{a.day:02d}"
    sb = f"{b.year:04d}{b.month:02d}{b.day:02d}"
    diff = [i for i in range(8) if sa[i] != sb[i]]
    if len(diff) == 1:
        return True
    if len(diff) == 2 and diff[1] == diff[0] + 1 and sa[diff[0]] == sb[diff[1]]:
        return sa[diff[1]] == sb[diff[0]]
    return a.year == b.year and a.month == b.day and a.day == b.month


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


def _compare(a: _Prep, b: _Prep, *, explain: bool = True) -> _Result:
    """Weights, caps and (when ``explain``) reasons for a pair of prepared records."""
    weight = 0.0
    reasons: list[str] = []
    cap = 1.0

    (kfa, kga), (kfb, kgb) = _align(a.kanji, b.kanji)
    (nfa, nga), (nfb, ngb) = _align(a.kana, b.kana)
    fam_state, fam_w = _part(kfa, kfb, nfa, nfb)
    giv_state, giv_w = _part(kga, kgb, nga, ngb)
    weight += giv_w

    birth_state = _MISSING
    if a.birth and b.birth:
        if a.birth == b.birth:
            birth_state = _EXACT
        else:
            birth_state = _CLOSE if _birth_near(a.birth, b.birth) else _DIFFER

    former_hit = False
    if fam_state in (_DIFFER, _DOUBT, _FUZZY, _READING, _MISSING) and (a.former or b.former):
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

    if explain:
        reasons.extend(
            _name_reasons(
                a, b, fam_state, giv_state, former_hit, (kfa, kfb, kga, kgb), (nfa, nfb, nga, ngb)
            )
        )
    if fam_state == _DIFFER and not former_hit:
        if giv_state in (_EXACT, _READING, _CLOSE) and birth_state == _EXACT:
            reasons.append("姓が異なる（旧姓の可能性）")
        else:
            reasons.append("姓が異なる")
    if giv_state == _DIFFER:
        reasons.append("名が異なる")
        cap = min(cap, _CAP_CONFLICT)
    elif giv_state in (_CLOSE, _FUZZY, _MISSING):
        # Only an approximate reading, or none: siblings (ユウキ/ユキ, ユウタ/ユウト) look so too.
        cap = min(cap, _CAP_REVIEW)

    if birth_state == _EXACT:
        weight += _W_BIRTH
        reasons.append("生年月日一致")
    elif birth_state == _CLOSE:
        weight += _W_BIRTH_NEAR
        reasons.append("生年月日が近い（誤記の可能性）")
        cap = min(cap, _CAP_REVIEW)
    elif birth_state == _DIFFER:
        weight += _W_BIRTH_DIFFER
        reasons.append("生年月日が異なる")
        cap = min(cap, _CAP_CONFLICT)

    w, reason = _phone_weight(a.phone, b.phone)
    weight += w
    if reason:
        reasons.append(reason)
    w, reason = _address_weight(a, b)
    weight += w
    if reason:
        reasons.append(reason)
    if a.postal and b.postal and a.postal == b.postal:
        weight += _W_POSTAL_WITH_ADDRESS if w >= _W_ADDRESS_PARTIAL else _W_POSTAL
        reasons.append("郵便番号一致")

    score = _logistic(weight)
    return _Result(min(score, cap), weight, cap, tuple(reasons))


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
    kana_close = bool(nfa and nga and nfb and ngb and _coarse(nfa + nga) == _coarse(nfb + ngb))
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
    through another key.
    """
    ids: list[K] = []
    preps: list[_Prep] = []
    for rid, facts in records:
        ids.append(rid)
        preps.append(_prepare.__wrapped__(facts))
    out: list[tuple[K, K, Match]] = []
    for i, others in _candidates(preps, max_block):
        a = preps[i]
        for j in others:
            if _compare(a, preps[j], explain=False).score >= threshold:
                r = _compare(a, preps[j])
                out.append((ids[i], ids[j], Match(round(r.score, 4), r.reasons)))
    out.sort(key=lambda t: -t[2].score)
    return out


def _candidates(preps: Sequence[_Prep], max_block: int) -> Iterator[tuple[int, list[int]]]:
    """For each record, the later records sharing a pairing key with it (sorted)."""
    index: dict[str, list[int]] = defaultdict(list)
    record_keys: list[list[str]] = []
    for i, prep in enumerate(preps):
        keys = [k for k in _keys(prep) if not k.startswith(SEARCH_ONLY_PREFIXES)]
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
    return sum(len(others) for _, others in _candidates(preps, max_block))


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
    folded = _hira_to_kata(text)
    if _is_kana(_NAME_PUNCT_RE.sub("", folded)):
        return PersonFacts(family_name_kana=text, birth_date=birth_date), "name"
    return PersonFacts(family_name=text, birth_date=birth_date), "name"


def query_keys(query: str, birth_date: datetime.date | None) -> set[str]:
    """Keys to look up for a search box query (same key space as ``match_keys``)."""
    facts, kind = _query_facts(query, birth_date)
    prep = _prepare(facts)
    keys = _keys(prep)
    if kind == "name" and birth_date:
        # The whole query may be only a family or only a given name.
        fulls, _, _ = _name_pieces(prep)
        b = birth_date.isoformat()
        for f in fulls:
            keys.add(f"b:{b}:f:{f}")
            keys.add(f"b:{b}:g:{f}")
    if kind == "address":
        # As deep as typed: 本町1 fetches the 丁目, 本町1-2-3 only that house.
        keys = {"ac:" + prep.addr_house} if prep.addr_house else set()
    return {k[:KEY_MAX_LENGTH] for k in keys}


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
    if _is_kana(_NAME_PUNCT_RE.sub("", _hira_to_kata(text))):
        prefixes.add("n:" + _coarse(normalize_kana(text)))
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
    ranked: list[tuple[float, float, int, K, Match]] = []
    for n, (cid, cand) in enumerate(candidates):
        c = _prepare(cand)
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
            r = _compare(q, c)
            weight, reasons, score = r.weight, r.reasons, r.score
        if weight <= 0:
            continue
        ranked.append((-score, -weight, n, cid, Match(round(score, 4), reasons)))
    ranked.sort(key=lambda t: (t[0], t[1], t[2]))
    return [(cid, m) for _, _, _, cid, m in ranked[:limit]]
