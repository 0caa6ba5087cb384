"""One Japanese text toolkit: names, readings, widths, 異体字, addresses, romaji.

Pure Python (no Django): identity matching, area routing, organization search and import
normalisation all fold text here, so a name or address written one way in one place and another
way elsewhere compares equal everywhere.

* ``normalize_name``: a name as written (kanji or kana); NFKC, no spaces, 異体字 folded, kana as
  katakana, 外字 placeholders (〓 ？ ■, private-use characters) as one ``UNKNOWN`` character.
* ``normalize_kana`` / ``coarse_kana``: a reading in one katakana form / a forgiving form of it.
* ``normalize_phone``, ``normalize_address``, ``strip_prefecture``: contact details.
* ``fold_for_search``: what a search box compares (ステップ = すてっぷ = ｽﾃｯﾌﾟ).
* ``reading_of``: a reading of a kanji name from the dictionary shipped with pykakasi.
* ``romaji_tokens`` / ``kana_sound_tokens``: names in romaji and in katakana reduced to the
  same consonant skeleton, so ``NGUYEN VAN ANH`` and ``グエン・ヴァン・アン`` can be compared.

The 異体字 fold (``VARIANT_FOLD``) is generated from the 文字情報基盤 MJ縮退マップ and shipped as
data (``data/itaiji.tsv``); bench/identity/README.md says what is covered and what is not.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

import jaconv

# 異体字 (old or variant forms) -> the common form, generated from the 文字情報基盤 MJ縮退マップ
# (data/itaiji.tsv, CC BY-SA 2.1 JP; data/README.md says how it was made and what it adds).
# Compatibility ideographs (U+F900..) are folded by NFKC before this table applies.
ITAIJI_DATA = Path(__file__).resolve().parent / "data" / "itaiji.tsv"


def load_variant_fold(path: Path = ITAIJI_DATA) -> dict[str, str]:
    """variant -> folded form, from a table of ``variant<TAB>folded<TAB>ground`` lines."""
    fold: dict[str, str] = {}
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.startswith("#") or not line.strip():
                continue
            variant, folded = line.split("\t")[:2]
            fold[variant] = folded
    return fold


VARIANT_FOLD: dict[str, str] = load_variant_fold()
_VARIANT_TABLE = str.maketrans(VARIANT_FOLD)

_SPACE_RE = re.compile(r"\s+")
_NAME_PUNCT_RE = re.compile(r"[\s・･=＝.,、。'’\-‐]+")
_SELECTOR_RE = re.compile("[\ufe00-\ufe0f\U000e0100-\U000e01ef]")
_DIGITS_RE = re.compile(r"\d")

_HIRA_TO_KATA = {c: c + 0x60 for c in [*range(0x3041, 0x3097), 0x309D, 0x309E]}
_KANA_RE = re.compile("[ァ-ヺーヽヾ]+")
_REPEAT_MARKS = frozenset("々〻ヽヾ")


def hira_to_kata(text: str) -> str:
    return text.translate(_HIRA_TO_KATA)


def is_kana(text: str) -> bool:
    return _KANA_RE.fullmatch(text) is not None


def is_kana_name(text: str) -> bool:
    """True for a name typed in kana only (ひらがな or カタカナ); spaces and ・ allowed."""
    return is_kana(_NAME_PUNCT_RE.sub("", hira_to_kata(text)))


def expand_repeats(text: str) -> str:
    """佐々木 -> 佐佐木, ササヽキ -> ササキ."""
    if _REPEAT_MARKS.isdisjoint(text):
        return text
    out: list[str] = []
    for c in text:
        prev = out[-1] if out and out[-1] not in _REPEAT_MARKS else ""
        if c in "々〻ヽ" and prev:
            out.append(prev)
        elif c == "ヾ" and prev:
            voiced = unicodedata.normalize("NFC", prev + "\u3099")
            out.append(voiced if len(voiced) == 1 else c)
        else:
            out.append(c)
    return "".join(out)


# What a Shift_JIS export or a font-less system writes for a character it cannot hold (外字):
# the geta mark, question marks, a black square, the replacement character, private-use code
# points. Each becomes one UNKNOWN character, which compares equal to any one character.
UNKNOWN = "〓"
_UNKNOWN_RE = re.compile("[〓?？■□●◆\ufffd\ue000-\uf8ff\U000f0000-\U0010fffd]")


def _unknowns(text: str) -> str:
    return _UNKNOWN_RE.sub(UNKNOWN, text)


def _normalize_name(text: str) -> str:
    """A name as written in kanji: NFKC, no spaces, 異体字 folded, kana as katakana.

    A variation selector is dropped (葛 with an IVS is 葛); 外字 placeholders become UNKNOWN.
    """
    text = unicodedata.normalize("NFKC", text)
    text = _SELECTOR_RE.sub("", text)
    text = _NAME_PUNCT_RE.sub("", _unknowns(text))
    text = expand_repeats(hira_to_kata(text.translate(_VARIANT_TABLE)))
    # Dropping spaces can bring a combining mark next to a letter: compose again.
    return unicodedata.normalize("NFKC", text.upper())


# (half-width ﾞ and ﾟ become the combining marks under NFKC, so they are stray marks too)
_UNSETTLED = frozenset("々〻ヽヾゝゞ\u3099\u309a\u309b\u309c\uff9e\uff9f")


def _settled(step: Callable[[str], str], text: str) -> str:
    """Apply a normaliser until it no longer changes the text.

    Only repeat marks and stray 濁点 can need a second pass (ウ・ヾ: the dot goes, then ヾ
    repeats ウ as ヴ); ordinary names take one.
    """
    out = step(text)
    if _UNSETTLED.isdisjoint(text) and _UNSETTLED.isdisjoint(out):
        return out
    for _ in range(3):
        again = step(out)
        if again == out:
            break
        out = again
    return out


def normalize_name(text: str) -> str:
    """A name as written in kanji: NFKC, no spaces, 異体字 folded, kana as katakana.

    A variation selector is dropped (葛 with an IVS is 葛); 外字 placeholders become UNKNOWN.
    """
    return _settled(_normalize_name, text)


def same_but_unknown(a: str, b: str) -> bool:
    """True when a and b differ only where one of them has an UNKNOWN character.

    At least one known character must agree, so 〓 alone matches nothing.
    """
    if len(a) != len(b) or a == b or (UNKNOWN not in a and UNKNOWN not in b):
        return False
    known = 0
    for x, y in zip(a, b, strict=True):
        if x == UNKNOWN or y == UNKNOWN:
            continue
        if x != y:
            return False
        known += 1
    return known > 0


def has_unknown(text: str) -> bool:
    return UNKNOWN in text


def normalize_kana(text: str) -> str:
    """A reading in one katakana form: any script or width, no spaces, ヂ/ヅ/ヲ/ヴ/ー folded."""
    return _settled(_normalize_kana, text)


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


def _normalize_kana(text: str) -> str:
    """A reading in one katakana form: any script or width, no spaces, ヂ/ヅ/ヲ/ヴ/ー folded."""
    text = unicodedata.normalize("NFKC", text)
    text = _NAME_PUNCT_RE.sub("", _unknowns(_SELECTOR_RE.sub("", text)))
    text = expand_repeats(hira_to_kata(text).upper().translate(_KANA_FOLD))
    text = _VU_RE.sub(lambda m: _VU_MAP[m.group(1)], text).translate(_KANA_FOLD)
    out: list[str] = []
    for c in text:
        if c == "ー":
            vowel = _VOWEL_OF.get(out[-1]) if out else None
            if vowel:
                out.append(_LONG_MARK[vowel])
            continue
        out.append(c)
    return unicodedata.normalize("NFKC", "".join(out))


_UNVOICE = str.maketrans(
    "ガギグゲゴザジズゼゾダヂヅデドバビブベボパピプペポァィゥェォッャュョヮ",
    "カキクケコサシスセソタチツテトハヒフヘホハヒフヘホアイウエオツヤユヨワ",
)
# Vowels that merely lengthen the kana before them (オウ, オオ, エイ, ユウ ...).
_LENGTHENERS = {"ア": "ア", "イ": "イエ", "ウ": "ウオ", "エ": "エ", "オ": "オ"}


@lru_cache(maxsize=1 << 17)
def coarse_kana(text: str) -> str:
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
    r"|(?<=\d番地[のノ])[〇零一二三四五六七八九十百千]+"
    r"|(?<=\d番[のノ])[〇零一二三四五六七八九十百千]+"
)
_HYPHENS_RE = re.compile(r"[‐‑‒–—―−﹣ｰ]|(?<=\d)ー|ー(?=\d)")
_BLOCK_RE = re.compile(r"(?<=\d)(?:丁目|丁|番地|番|号室|号|の|之)")
_BLOCK_NO_RE = re.compile(r"(?<=-)[のノ之](?=\d)")
_ADDR_SMALL_KE_RE = re.compile(r"(?<=[一-龥])[ヶケがガヵ](?=[一-龥])")
_ADDR_NO_RE = re.compile(r"(?<=[一-龥])[のノ之乃](?=[一-龥])")
_POSTAL_IN_ADDR_RE = re.compile(r"^〒?\d{3}-?\d{4}(?!\d)")


def kanji_number(text: str) -> int:
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
    for _ in range(2):  # 百六十三番地の十五: the second number is known after the first
        text = _KANJI_NUM_RE.sub(lambda m: str(kanji_number(m.group())), text)
    text = _BLOCK_RE.sub("-", text)
    text = _BLOCK_NO_RE.sub("-", text)  # 163番地の15 -> 163-の15 -> 163-15
    text = _ADDR_SMALL_KE_RE.sub("ケ", text)
    text = _ADDR_NO_RE.sub("ノ", text)
    text = re.sub(r"-+", "-", text)
    text = re.sub(r"-(?=[^\d])", "", text)
    return unicodedata.normalize("NFKC", text.strip("-"))


def strip_prefecture(address: str) -> str:
    """A normalised address without its leading 都道府県."""
    return _PREF_RE.sub("", address)


# --------------------------------------------------------------------------------------------
# Tidying what people type or import (stored values, not comparison forms)
# --------------------------------------------------------------------------------------------

# ひらがな, カタカナ (full or half width), ー, ・, 濁点 and spaces.
_READING_RE = re.compile(
    r"^[\u3041-\u3096\u309b-\u309e\u30a1-\u30fa\u30fc-\u30fe\uff65-\uff9f\s]*$"
)


# half-width katakana and their punctuation (｡｢｣､･), which `clean_text` makes full-width
_HALF_WIDTH_KANA_RE = re.compile(r"[\uff61-\uff9f]")
_FULL_WIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")


def clean_text(value: str) -> str:
    """A stored text field as agencies' systems and keyboards send it, tidied: NFC, no outer
    spaces, half-width katakana full-width (ﾀｶﾊｼ → タカハシ, ｶﾞ → ガ) and full-width digits
    half-width (１丁目 → 1丁目). Kanji and 異体字 are kept as written (NFKC would turn 﨑-like
    compatibility ideographs into other characters); identity matching folds the rest itself."""
    text = unicodedata.normalize("NFC", value).strip()
    if _HALF_WIDTH_KANA_RE.search(text):  # rare: the conversion (with 濁点) costs far more
        text = jaconv.h2z(text, kana=True, ascii=False, digit=False)
    return text.translate(_FULL_WIDTH_DIGITS)


def is_reading(value: str) -> bool:
    """True for a ふりがな as typed: ひらがな, カタカナ of either width, ー, ・ and spaces only."""
    return _READING_RE.match(value) is not None


def nfkc(value: str) -> str:
    """Full-width digits and letters as ASCII (dates, phone numbers, codes), no outer spaces."""
    return unicodedata.normalize("NFKC", value).strip()


# --------------------------------------------------------------------------------------------
# Search boxes and short texts
# --------------------------------------------------------------------------------------------

_SEARCH_DROP_RE = re.compile(r"[\s・･\-‐－ー]+")


def fold_for_search(text: str) -> str:
    """What a search compares: NFKC, upper case, kana as katakana, 異体字 folded, no spaces.

    ステップ, すてっぷ and ｽﾃｯﾌﾟ fold alike; so do 髙齢 and 高齢, ＡＢＣ and abc. The long-vowel
    mark and hyphens are dropped, so 「サポート」 and 「サポ－ト」 agree.
    """
    return _settled(_fold_for_search, text)


def _fold_for_search(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    text = _SELECTOR_RE.sub("", text).translate(_VARIANT_TABLE)
    text = _SEARCH_DROP_RE.sub("", hira_to_kata(text).upper())
    return unicodedata.normalize("NFKC", expand_repeats(text))


# --------------------------------------------------------------------------------------------
# Readings of kanji names (pykakasi's dictionary, shipped in the package: no network)
# --------------------------------------------------------------------------------------------

_kakasi: Any = None


def _converter() -> Any:
    global _kakasi
    if _kakasi is None:
        import pykakasi  # a dictionary load (0.3 s of CPU): web workers do it at start

        _kakasi = pykakasi.kakasi()  # type: ignore[no-untyped-call]
    return _kakasi


@lru_cache(maxsize=1 << 15)
def reading_of(name: str) -> str:
    """The dictionary reading of a (normalised) kanji name in katakana, or "" if unknown.

    Names are read irregularly (陽翔 is ハルト, the dictionary says ヨウショウ): a reading from
    here supports a match, its absence or disagreement proves nothing.
    """
    if not name or UNKNOWN in name or not any("\u4e00" <= c <= "\u9fff" for c in name):
        return ""
    out: list[str] = []
    for part in _converter().convert(name):
        kana = part.get("kana") or ""
        if not kana or not is_kana(normalize_kana(kana)):
            return ""
        out.append(kana)
    return normalize_kana("".join(out))


def warm_up() -> None:
    """Load the reading dictionary now (a web worker calls this as it starts), so that the first
    search a worker serves does not wait for it. The dictionary is loaded lazily otherwise:
    commands and tests that never read a name do not pay for it."""
    _converter().convert("山田")


# --------------------------------------------------------------------------------------------
# Romaji and katakana: foreign residents' names on both sides
# --------------------------------------------------------------------------------------------

_LATIN_RE = re.compile("[A-Za-z]")
_TOKEN_SPLIT_RE = re.compile(r"[^A-Za-z]+")
_KANA_SPLIT_RE = re.compile(r"[\s・･=＝,、.]+")
# Romaji spellings folded towards what katakana can write, in order.
_SOUND_RULES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), repl)
    for pattern, repl in (
        (r"^ng", "g"),  # NGUYEN -> グエン
        (r"^tr(?=[aeiou])", "ch"),  # TRAN -> チャン (Vietnamese)
        (r"ng$", "n"),  # WANG -> ワン
        (r"tch", "ch"),
        (r"chr", "kr"),  # CHRISTOPHER -> クリストファー
        (r"sch", "sh"),
        (r"ph", "f"),
        (r"th", "t"),
        (r"ck", "k"),
        (r"([bdgk])h", r"\1"),  # BHATTARAI, KHAN
        (r"h(?![aeiouy])", ""),  # JOHN, SARAH, ANH
        (r"c(?=[eiy])", "s"),
        (r"ch", "C"),
        (r"c", "k"),
        (r"sh", "s"),
        (r"ts", "t"),
        (r"(?:dz|zh|dj|j)", "j"),
        (r"x", "ks"),
        (r"q", "k"),
        (r"z", "s"),
        (r"l", "r"),
        # R and L are the least stable sounds between the scripts (PARK パク, CARLOS カルロス,
        # MARTINEZ マルティネス): the skeleton leaves them out after the first letter.
        (r"(?<=.)r", ""),
        (r"v", "b"),
        (r"m(?=[bp])", "n"),
        (r"w", "w"),
    )
)
_VOWELS_RE = re.compile("[aeiouy-]+")


def sound_key(token: str) -> str:
    """A consonant skeleton of one romaji token: SMITH and スミス (sumisu) both give smt/sms.

    A leading vowel is kept as ``V`` so that ANH and AN agree but AN and N do not.
    """
    t = token.lower().replace("'", "")
    if not t:
        return ""
    for pattern, repl in _SOUND_RULES:
        t = pattern.sub(repl, t)
    if not t:
        return ""
    lead = "V" if t[0] in "aeiouy" else ""
    skeleton = _VOWELS_RE.sub("", t)
    out: list[str] = []
    for c in skeleton:
        if not out or out[-1] != c:
            out.append(c)
    return lead + "".join(out)


def is_latin(text: str) -> bool:
    """A name written in Latin letters (NFKC folds full-width ＮＧＵＹＥＮ)."""
    return _LATIN_RE.search(unicodedata.normalize("NFKC", text)) is not None


def romaji_tokens(text: str) -> tuple[str, ...]:
    """Sound keys of the words of a romaji name, in order."""
    words = _TOKEN_SPLIT_RE.split(unicodedata.normalize("NFKC", text))
    return tuple(k for k in (sound_key(w) for w in words if w) if k)


# Katakana for foreign sounds that jaconv spells as two syllables (ウェ -> ue, ティ -> tei).
_DIGRAPHS = {
    "ウィ": "wi", "ウェ": "we", "ウォ": "wo", "ティ": "ti", "ディ": "di", "トゥ": "tu",
    "ドゥ": "du", "ファ": "fa", "フィ": "fi", "フェ": "fe", "フォ": "fo", "ヴァ": "ba",
    "ヴィ": "bi", "ヴェ": "be", "ヴォ": "bo", "ヴ": "bu",
}  # fmt: skip
_KANA_DIGRAPHS = re.compile("|".join(sorted(_DIGRAPHS, key=len, reverse=True)))


def kana_sound_tokens(text: str) -> tuple[str, ...]:
    """Sound keys of the words of a katakana (or hiragana) name, in order."""
    words = _KANA_SPLIT_RE.split(hira_to_kata(unicodedata.normalize("NFKC", text)).strip())
    keys = []
    for w in words:
        if w and is_kana(w):
            romaji = jaconv.kata2alphabet(_KANA_DIGRAPHS.sub(lambda m: _DIGRAPHS[m[0]], w))
            key = sound_key(romaji)
            if key:
                keys.append(key)
    return tuple(keys)
