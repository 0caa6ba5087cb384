"""Generate a labelled synthetic set for the identity-matching benchmark.

    .venv/bin/python bench/identity/generate.py --seed 1 --persons 2000 --out /tmp/ids.jsonl

Every person is invented: names are drawn from short lists of common Japanese family and given
names (with readings) and combined at random; addresses are in a fictional city; phone numbers
are random digits. Each person gets a base record and 0-3 variant records, each variant
applying 1-3 kinds of variation (see KINDS). Some persons are hard negatives of another person:
a namesake (same name, different person), a twin, or a household member. Each JSON line is one
record with its true ``person_id``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

# (kanji, reading, variant forms)
FAMILY: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("佐藤", "サトウ", ()),
    ("鈴木", "スズキ", ()),
    ("高橋", "タカハシ", ("髙橋",)),
    ("田中", "タナカ", ()),
    ("伊藤", "イトウ", ()),
    ("伊東", "イトウ", ()),
    ("渡辺", "ワタナベ", ("渡邊", "渡邉")),
    ("渡部", "ワタナベ", ()),
    ("山本", "ヤマモト", ()),
    ("中村", "ナカムラ", ()),
    ("小林", "コバヤシ", ()),
    ("加藤", "カトウ", ()),
    ("吉田", "ヨシダ", ("𠮷田",)),
    ("山田", "ヤマダ", ()),
    ("佐々木", "ササキ", ()),
    ("山口", "ヤマグチ", ()),
    ("松本", "マツモト", ()),
    ("井上", "イノウエ", ()),
    ("木村", "キムラ", ()),
    ("林", "ハヤシ", ()),
    ("斎藤", "サイトウ", ("齋藤", "齊藤", "斉藤")),
    ("清水", "シミズ", ()),
    ("山崎", "ヤマザキ", ("山﨑", "山嵜")),
    ("森", "モリ", ()),
    ("池田", "イケダ", ()),
    ("橋本", "ハシモト", ()),
    ("阿部", "アベ", ()),
    ("石川", "イシカワ", ()),
    ("山下", "ヤマシタ", ()),
    ("中島", "ナカジマ", ("中嶋", "中嶌")),
    ("石井", "イシイ", ()),
    ("小川", "オガワ", ()),
    ("前田", "マエダ", ()),
    ("岡田", "オカダ", ()),
    ("長谷川", "ハセガワ", ()),
    ("藤田", "フジタ", ()),
    ("後藤", "ゴトウ", ()),
    ("近藤", "コンドウ", ()),
    ("村上", "ムラカミ", ()),
    ("遠藤", "エンドウ", ()),
    ("青木", "アオキ", ()),
    ("坂本", "サカモト", ()),
    ("福田", "フクダ", ()),
    ("太田", "オオタ", ()),
    ("西村", "ニシムラ", ()),
    ("藤井", "フジイ", ()),
    ("金子", "カネコ", ()),
    ("岡本", "オカモト", ()),
    ("藤原", "フジワラ", ()),
    ("中野", "ナカノ", ()),
    ("三浦", "ミウラ", ()),
    ("原田", "ハラダ", ()),
    ("中川", "ナカガワ", ()),
    ("松田", "マツダ", ()),
    ("竹内", "タケウチ", ()),
    ("小野", "オノ", ()),
    ("大野", "オオノ", ()),
    ("田村", "タムラ", ()),
    ("中山", "ナカヤマ", ()),
    ("和田", "ワダ", ()),
    ("石田", "イシダ", ()),
    ("森田", "モリタ", ()),
    ("上田", "ウエダ", ()),
    ("原", "ハラ", ()),
    ("内田", "ウチダ", ()),
    ("柴田", "シバタ", ()),
    ("酒井", "サカイ", ()),
    ("宮崎", "ミヤザキ", ("宮﨑",)),
    ("横山", "ヨコヤマ", ()),
    ("高木", "タカギ", ("髙木",)),
    ("安藤", "アンドウ", ()),
    ("宮本", "ミヤモト", ()),
    ("小島", "コジマ", ("小嶋",)),
    ("谷口", "タニグチ", ()),
    ("今井", "イマイ", ()),
    ("工藤", "クドウ", ()),
    ("高田", "タカダ", ("髙田",)),
    ("増田", "マスダ", ("增田",)),
    ("丸山", "マルヤマ", ()),
    ("杉山", "スギヤマ", ()),
    ("村田", "ムラタ", ()),
    ("大塚", "オオツカ", ()),
    ("新井", "アライ", ()),
    ("小山", "コヤマ", ()),
    ("平野", "ヒラノ", ()),
    ("藤本", "フジモト", ()),
    ("河野", "コウノ", ()),
    ("上野", "ウエノ", ()),
    ("野口", "ノグチ", ()),
    ("武田", "タケダ", ()),
    ("松井", "マツイ", ()),
    ("千葉", "チバ", ()),
    ("岩崎", "イワサキ", ("岩﨑",)),
    ("菅原", "スガワラ", ()),
    ("木下", "キノシタ", ()),
    ("久保", "クボ", ()),
    ("佐野", "サノ", ()),
    ("野村", "ノムラ", ()),
    ("松尾", "マツオ", ()),
    ("市川", "イチカワ", ()),
    ("菊地", "キクチ", ()),
    ("杉本", "スギモト", ()),
    ("古川", "フルカワ", ()),
    ("大西", "オオニシ", ()),
    ("島田", "シマダ", ("嶋田",)),
    ("水野", "ミズノ", ()),
    ("桜井", "サクライ", ("櫻井",)),
    ("高野", "タカノ", ("髙野",)),
    ("吉川", "ヨシカワ", ()),
    ("山内", "ヤマウチ", ()),
    ("西田", "ニシダ", ()),
    ("飯田", "イイダ", ()),
    ("沢田", "サワダ", ("澤田",)),
    ("浜田", "ハマダ", ("濱田", "濵田")),
    ("広瀬", "ヒロセ", ("廣瀬",)),
    ("富田", "トミタ", ("冨田",)),
    ("国分", "コクブ", ("國分",)),
    ("柳田", "ヤナギダ", ("栁田",)),
    ("曽根", "ソネ", ("曾根",)),
    ("槙野", "マキノ", ("槇野",)),
    ("徳永", "トクナガ", ("德永",)),
    ("真田", "サナダ", ("眞田",)),
    ("滝沢", "タキザワ", ("瀧澤", "滝澤", "瀧沢")),
    ("関", "セキ", ("關",)),
    ("黒田", "クロダ", ("黑田",)),
    ("広田", "ヒロタ", ("廣田",)),
    ("都築", "ツヅキ", ()),
)

MALE: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("太郎", "タロウ", ()),
    ("一郎", "イチロウ", ()),
    ("健太", "ケンタ", ()),
    ("翔太", "ショウタ", ()),
    ("大輔", "ダイスケ", ()),
    ("拓也", "タクヤ", ()),
    ("直樹", "ナオキ", ()),
    ("誠", "マコト", ()),
    ("浩", "ヒロシ", ()),
    ("博", "ヒロシ", ()),
    ("茂", "シゲル", ()),
    ("清", "キヨシ", ()),
    ("勇", "イサム", ()),
    ("隆", "タカシ", ()),
    ("実", "ミノル", ("實",)),
    ("進", "ススム", ()),
    ("修", "オサム", ()),
    ("正", "タダシ", ()),
    ("豊", "ユタカ", ("豐",)),
    ("明", "アキラ", ()),
    ("和夫", "カズオ", ()),
    ("健一", "ケンイチ", ()),
    ("浩二", "コウジ", ()),
    ("雄一", "ユウイチ", ()),
    ("裕太", "ユウタ", ()),
    ("悠斗", "ユウト", ()),
    ("蓮", "レン", ()),
    ("陽翔", "ハルト", ()),
    ("湊", "ミナト", ()),
    ("大和", "ヤマト", ()),
    ("翼", "ツバサ", ()),
    ("颯太", "ソウタ", ()),
    ("竜也", "タツヤ", ("龍也",)),
    ("広志", "ヒロシ", ("廣志",)),
    ("真一", "シンイチ", ("眞一",)),
    ("恵介", "ケイスケ", ("惠介",)),
    ("徳男", "トクオ", ("德男",)),
    ("寿夫", "ヒサオ", ("壽夫",)),
    ("正人", "マサト", ()),
    ("和也", "カズヤ", ()),
    ("健二", "ケンジ", ()),
    ("秀樹", "ヒデキ", ()),
    ("康弘", "ヤスヒロ", ()),
    ("剛", "ツヨシ", ()),
    ("亮", "リョウ", ()),
    ("悠真", "ユウマ", ()),
    ("樹", "イツキ", ()),
    ("陸", "リク", ()),
    ("聡", "サトシ", ("聰",)),
    ("学", "マナブ", ("學",)),
    ("栄一", "エイイチ", ("榮一",)),
    ("満", "ミツル", ("滿",)),
    ("清志", "キヨシ", ("淸志",)),
    ("慎吾", "シンゴ", ("愼吾",)),
    ("譲", "ユズル", ()),
    ("隼人", "ハヤト", ()),
    ("優斗", "ユウト", ()),
    ("大翔", "ヒロト", ()),
    ("拓海", "タクミ", ()),
    ("昇", "ノボル", ()),
)

FEMALE: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("花子", "ハナコ", ()),
    ("洋子", "ヨウコ", ()),
    ("恵子", "ケイコ", ("惠子",)),
    ("幸子", "サチコ", ()),
    ("和子", "カズコ", ()),
    ("節子", "セツコ", ()),
    ("京子", "キョウコ", ()),
    ("久美子", "クミコ", ()),
    ("裕子", "ユウコ", ()),
    ("由美", "ユミ", ()),
    ("真由美", "マユミ", ("眞由美",)),
    ("美穂", "ミホ", ("美穗",)),
    ("恵美", "エミ", ("惠美",)),
    ("陽子", "ヨウコ", ()),
    ("智子", "トモコ", ()),
    ("直美", "ナオミ", ()),
    ("明美", "アケミ", ()),
    ("美香", "ミカ", ()),
    ("愛", "アイ", ()),
    ("彩", "アヤ", ()),
    ("舞", "マイ", ()),
    ("麻衣", "マイ", ()),
    ("沙織", "サオリ", ()),
    ("香織", "カオリ", ()),
    ("美咲", "ミサキ", ()),
    ("さくら", "サクラ", ()),
    ("桜子", "サクラコ", ("櫻子",)),
    ("結衣", "ユイ", ()),
    ("陽菜", "ヒナ", ()),
    ("凛", "リン", ("凜",)),
    ("葵", "アオイ", ()),
    ("結菜", "ユイナ", ()),
    ("芽依", "メイ", ()),
    ("紬", "ツムギ", ()),
    ("美月", "ミヅキ", ()),
    ("千鶴", "チヅル", ()),
    ("静香", "シズカ", ("靜香",)),
    ("春香", "ハルカ", ()),
    ("遥", "ハルカ", ("遙",)),
    ("優子", "ユウコ", ()),
    ("寿美子", "スミコ", ("壽美子",)),
    ("富子", "トミコ", ("冨子",)),
    ("清美", "キヨミ", ("淸美",)),
    ("礼子", "レイコ", ("禮子",)),
    ("静子", "シズコ", ("靜子",)),
    ("豊子", "トヨコ", ("豐子",)),
    ("栄子", "エイコ", ("榮子",)),
    ("広美", "ヒロミ", ("廣美",)),
    ("真理", "マリ", ("眞理",)),
    ("文子", "フミコ", ()),
    ("千尋", "チヒロ", ()),
    ("七海", "ナナミ", ()),
    ("杏", "アン", ()),
    ("莉子", "リコ", ()),
    ("瑞穂", "ミズホ", ("瑞穗",)),
    ("弥生", "ヤヨイ", ("彌生",)),
)

# Foreign residents: (romaji, katakana). Family names, given names, middle names.
FOREIGN_FAMILY = (
    ("NGUYEN", "グエン"),
    ("TRAN", "チャン"),
    ("PHAM", "ファム"),
    ("HOANG", "ホアン"),
    ("SANTOS", "サントス"),
    ("SILVA", "シルバ"),
    ("OLIVEIRA", "オリベイラ"),
    ("PEREIRA", "ペレイラ"),
    ("REYES", "レイエス"),
    ("GARCIA", "ガルシア"),
    ("KIM", "キム"),
    ("PARK", "パク"),
    ("WANG", "ワン"),
    ("CHEN", "チェン"),
    ("SMITH", "スミス"),
    ("BROWN", "ブラウン"),
    ("GURUNG", "グルン"),
    ("BHATTARAI", "バッタライ"),
    ("RODRIGUEZ", "ロドリゲス"),
    ("MARTINEZ", "マルティネス"),
)
FOREIGN_GIVEN = (
    ("ANH", "アン"),
    ("MINH", "ミン"),
    ("LAN", "ラン"),
    ("HUNG", "フン"),
    ("MARIA", "マリア"),
    ("JOSE", "ホセ"),
    ("ANA", "アナ"),
    ("CARLOS", "カルロス"),
    ("JOHN", "ジョン"),
    ("MINJUN", "ミンジュン"),
    ("JIHOON", "ジフン"),
    ("WEI", "ウェイ"),
    ("MING", "ミン"),
    ("DAVID", "デイビッド"),
    ("SARAH", "サラ"),
    ("RAM", "ラム"),
    ("SITA", "シタ"),
    ("PEDRO", "ペドロ"),
    ("LUCAS", "ルーカス"),
    ("GRACE", "グレース"),
)
FOREIGN_MIDDLE = (("VAN", "ヴァン"), ("THI", "ティ"), ("DE", "デ"), ("LUIZ", "ルイス"))

PREFECTURE = "神奈川県"
CITY = "つなぐ市"  # fictional
TOWNS = (
    "本町",
    "栄町",
    "緑町",
    "旭町",
    "中央",
    "東町",
    "西町",
    "南町",
    "北町",
    "新町",
    "寿町",
    "桜町",
    "若葉",
    "青葉台",
    "日の出町",
    "霞ケ丘",
    "松ケ丘",
    "一ノ宮",
    "宮前",
    "富士見",
)
BUILDINGS = ("コーポ若葉", "ハイツ本町", "メゾン栄", "グリーンハイツ", "つなぐ団地", "サンシャイン")

KINDS = (
    "width",
    "kana_script",
    "spacing",
    "itaiji",
    "address_format",
    "phone_format",
    "marriage",
    "moved",
    "missing",
    "kana_typo",
    # the classes of the second edition (issue 16)
    "era_offset",
    "digit_slip",
    "month_day_swap",
    "reading_only",
    "kanji_only",
    "name_swap",
    "whole_name",
    "unknown_char",
    "banchi_no",
)
# Kinds only foreign residents' records get.
FOREIGN_KINDS = ("romaji",)
HARD_NEGATIVES = ("namesake", "twin", "household", "jr", "sibling", "spouse", "neighbour")
# 和暦 conversion mistakes: years added or taken (see tsunagu.people.matching.ERA_OFFSETS).
ERA_SLIPS = (63, -63, 14, -14, 30, -30, -25, -88)

KANJI_NUM = "〇一二三四五六七八九"
TODAY = dt.date(2026, 4, 1)


@dataclass
class Person:
    """The truth about one synthetic person."""

    person_id: int
    family: tuple[str, str, tuple[str, ...]]
    given: tuple[str, str, tuple[str, ...]]
    female: bool
    birth: dt.date
    phone: str  # canonical digits
    town: int
    block: tuple[int, int, int]
    building: tuple[str, int] | None
    hard_negative: str | None = None
    anchor: int | None = None
    # foreign residents: ((romaji, katakana) family, given, middle or None)
    foreign: tuple[tuple[str, str], tuple[str, str], tuple[str, str] | None] | None = None
    # an address without 丁目 and a long 番地: 本町163-15, also written 本町163番地の15
    long_block: bool = False


@dataclass
class Record:
    """One record as a window wrote it."""

    person_id: int
    kinds: list[str]
    family_name: str = ""
    given_name: str = ""
    family_name_kana: str = ""
    given_name_kana: str = ""
    birth_date: str | None = None
    phone: str = ""
    postal_code: str = ""
    address: str = ""
    former_family_names: list[str] = field(default_factory=list)


def _digits_wide(text: str) -> str:
    return text.translate(str.maketrans("0123456789-", "０１２３４５６７８９－"))


def _kanji_numeral(n: int) -> str:
    if n < 10:
        return KANJI_NUM[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else KANJI_NUM[tens]) + "十" + (KANJI_NUM[ones] if ones else "")


def _hira(text: str) -> str:
    return "".join(chr(ord(c) - 0x60) if "ァ" <= c <= "ヶ" else c for c in text)


_HALF = dict(
    zip(
        "アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワヲン"
        "ァィゥェォッャュョー",
        "ｱｲｳｴｵｶｷｸｹｺｻｼｽｾｿﾀﾁﾂﾃﾄﾅﾆﾇﾈﾉﾊﾋﾌﾍﾎﾏﾐﾑﾒﾓﾔﾕﾖﾗﾘﾙﾚﾛﾜｦﾝｧｨｩｪｫｯｬｭｮｰ",
        strict=True,
    )
)
_VOICED = dict(
    zip(
        "ガギグゲゴザジズゼゾダヂヅデドバビブベボ",
        "カキクケコサシスセソタチツテトハヒフヘホ",
        strict=True,
    )
)
_SEMI = dict(zip("パピプペポ", "ハヒフヘホ", strict=True))


def _halfwidth(text: str) -> str:
    out = []
    for c in text:
        if c in _VOICED:
            out.append(_HALF[_VOICED[c]] + "ﾞ")
        elif c in _SEMI:
            out.append(_HALF[_SEMI[c]] + "ﾟ")
        else:
            out.append(_HALF.get(c, c))
    return "".join(out)


def _postal(p: Person) -> str:
    return f"251-{p.town * 3 + 11:04d}"


def _address(p: Person, rng: random.Random, style: str) -> str:
    town = TOWNS[p.town]
    chome, ban, go = p.block
    if style == "kanji_block":
        body = f"{town}{_kanji_numeral(chome)}丁目{ban}-{go}"
    elif style == "hyphen":
        body = f"{town}{chome}-{ban}-{go}"
    elif style == "wide":
        body = _digits_wide(f"{town}{chome}-{ban}-{go}")
    elif style == "banchi":
        body = f"{town}{chome}丁目{ban}番地{go}"
    else:
        body = f"{town}{chome}丁目{ban}番{go}号"
    if p.long_block:  # no 丁目: 本町163-15, 本町163番地の15, 本町163番地15
        n = chome * 100 + ban
        body = {
            "banchi_no": f"{town}{n}番地の{go}",
            "banchi": f"{town}{n}番地{go}",
            "wide": _digits_wide(f"{town}{n}-{go}"),
        }.get(style, f"{town}{n}-{go}")
    if "ケ" in town and rng.random() < 0.5:
        body = body.replace("ケ", rng.choice(("ヶ", "が")))
    prefix = (
        rng.choice(("", CITY, PREFECTURE + CITY)) if style != "canonical" else (PREFECTURE + CITY)
    )
    building = ""
    if p.building and (style == "canonical" or rng.random() < 0.7):
        name, room = p.building
        building = rng.choice((f" {name}{room}号室", f"{name} {room}", f"　{name}{room}"))
        if style == "canonical":
            building = f" {name}{room}号室"
    return prefix + body + building


def _phone(digits: str, rng: random.Random, style: str) -> str:
    if digits.startswith(("090", "080", "070")):
        parts = (digits[:3], digits[3:7], digits[7:])
    else:
        parts = (digits[:4], digits[4:6], digits[6:])
    if style == "plain":
        return digits
    if style == "wide":
        return _digits_wide("-".join(parts))
    if style == "intl":
        return "+81 " + "-".join((parts[0][1:], *parts[1:]))
    if style == "paren":
        return f"({parts[0]}){parts[1]}-{parts[2]}"
    return "-".join(parts)


def _kana_typo(kana: str, rng: random.Random) -> str:
    """One small slip in a reading: 濁点, small kana, long vowel, or one wrong kana."""
    if len(kana) < 2:
        return kana
    kind = rng.choice(("voice", "small", "long", "sub", "drop"))
    chars = list(kana)
    idx = list(range(len(chars)))
    rng.shuffle(idx)
    if kind == "voice":
        for i in idx:
            c = chars[i]
            if c in _VOICED:
                chars[i] = _VOICED[c]
                return "".join(chars)
            inverse = {v: k for k, v in _VOICED.items()}
            if c in inverse:
                chars[i] = inverse[c]
                return "".join(chars)
    if kind == "small":
        for i in idx:
            small = {"ョ": "ヨ", "ュ": "ユ", "ャ": "ヤ", "ッ": "ツ"}
            if chars[i] in small:
                chars[i] = small[chars[i]]
                return "".join(chars)
    if kind == "long":
        for i in idx:
            if i > 0 and chars[i] in "ウオイ":
                chars[i] = "ー"
                return "".join(chars)
    if kind == "drop" and len(chars) > 2:
        del chars[idx[0]]
        return "".join(chars)
    i = idx[0]
    chars[i] = rng.choice("アイウエオカキクケコサシスセソタチツテトナニヌネノマミムメモラリルレロ")
    return "".join(chars)


def _new_person(
    rng: random.Random,
    pid: int,
    female: bool | None = None,
    birth: dt.date | None = None,
) -> Person:
    female = rng.random() < 0.55 if female is None else female
    if birth is None:
        birth = dt.date(1930, 1, 1) + dt.timedelta(days=rng.randrange(365 * 94))
    foreign = None
    if rng.random() < 0.04:
        foreign = (
            rng.choice(FOREIGN_FAMILY),
            rng.choice(FOREIGN_GIVEN),
            rng.choice(FOREIGN_MIDDLE) if rng.random() < 0.4 else None,
        )
    return Person(
        foreign=foreign,
        long_block=rng.random() < 0.25,
        person_id=pid,
        family=rng.choice(FAMILY),
        given=rng.choice(FEMALE if female else MALE),
        female=female,
        birth=birth,
        phone=_random_phone(rng),
        town=rng.randrange(len(TOWNS)),
        block=(rng.randint(1, 5), rng.randint(1, 30), rng.randint(1, 25)),
        building=(rng.choice(BUILDINGS), rng.choice((101, 102, 201, 203, 305)))
        if rng.random() < 0.35
        else None,
    )


def _random_phone(rng: random.Random) -> str:
    if rng.random() < 0.6:
        return rng.choice(("090", "080", "070")) + f"{rng.randrange(10**8):08d}"
    return "0466" + f"{rng.randrange(10**6):06d}"


def _names(p: Person) -> tuple[str, str, str, str]:
    """(family, given, family kana, given kana) as the base record writes them."""
    if p.foreign:
        (_, fam_k), (_, giv_k), middle = p.foreign
        giv = giv_k + ("・" + middle[1] if middle else "")
        return fam_k, giv, fam_k, giv
    return p.family[0], p.given[0], p.family[1], p.given[1]


def _base_record(p: Person) -> Record:
    fam, giv, fam_k, giv_k = _names(p)
    return Record(
        person_id=p.person_id,
        kinds=[],
        family_name=fam,
        given_name=giv,
        family_name_kana=fam_k,
        given_name_kana=giv_k,
        birth_date=p.birth.isoformat(),
        phone=_phone(p.phone, random.Random(0), "hyphen"),
        postal_code=_postal(p),
        address=_address(p, random.Random(0), "canonical"),
    )


def _date_slip(birth: dt.date, rng: random.Random) -> dt.date:
    """One digit of YYYYMMDD changed, or two neighbours swapped: still a real, other date."""
    text = birth.strftime("%Y%m%d")
    for _ in range(50):
        chars = list(text)
        i = rng.randrange(2, 8)
        if rng.random() < 0.3 and i < 7:
            chars[i], chars[i + 1] = chars[i + 1], chars[i]
        else:
            chars[i] = rng.choice([d for d in "0123456789" if d != chars[i]])
        try:
            other = dt.datetime.strptime("".join(chars), "%Y%m%d").date()  # noqa: DTZ007
        except ValueError:
            continue
        if other != birth and other < TODAY:
            return other
    return birth.replace(day=birth.day % 28 + 1)


def _era_slip(birth: dt.date, rng: random.Random) -> dt.date:
    for _ in range(20):
        year = birth.year + rng.choice(ERA_SLIPS)
        if 1800 <= year <= 2100:
            day = min(birth.day, 28) if birth.month == 2 else birth.day
            return birth.replace(year=year, day=day)
    return birth


def _second_edition(r: Record, p: Person, kinds: set[str], rng: random.Random) -> None:
    """The kinds of issue 16: dates as offices get them wrong, field layouts, readings, 外字."""
    birth = dt.date.fromisoformat(r.birth_date) if r.birth_date else None
    if birth and "era_offset" in kinds:
        r.birth_date = _era_slip(birth, rng).isoformat()
    elif birth and "month_day_swap" in kinds and birth.day <= 12 and birth.day != birth.month:
        r.birth_date = birth.replace(month=birth.day, day=birth.month).isoformat()
    elif birth and kinds & {"digit_slip", "month_day_swap"}:
        r.birth_date = _date_slip(birth, rng).isoformat()
    if "unknown_char" in kinds and r.family_name:
        i = rng.randrange(len(r.family_name))
        if rng.random() < 0.25:  # the 外字 kept, with an ideographic variation selector
            r.family_name = r.family_name[: i + 1] + "\U000e0100" + r.family_name[i + 1 :]
        else:
            mark = rng.choice(("〓", "？", "■", "?"))
            r.family_name = r.family_name[:i] + mark + r.family_name[i + 1 :]
    if "name_swap" in kinds:
        r.family_name, r.given_name = r.given_name, r.family_name
        r.family_name_kana, r.given_name_kana = r.given_name_kana, r.family_name_kana
    if "whole_name" in kinds:
        r.family_name, r.given_name = r.family_name + r.given_name, ""
        r.family_name_kana, r.given_name_kana = r.family_name_kana + r.given_name_kana, ""
    if "reading_only" in kinds:
        fam_k, giv_k = (
            (r.family_name_kana, r.given_name_kana)
            if r.family_name_kana
            else (p.family[1], p.given[1])
        )
        if rng.random() < 0.5:
            conv = _hira if rng.random() < 0.5 else (lambda t: t)
            r.family_name, r.given_name = conv(fam_k), conv(giv_k)
            r.family_name_kana = r.given_name_kana = ""
        else:
            r.family_name = r.given_name = ""
            r.family_name_kana, r.given_name_kana = fam_k, giv_k
    elif "kanji_only" in kinds:
        r.family_name_kana = r.given_name_kana = ""


def _foreign_variant(p: Person, rng: random.Random) -> Record:
    """A foreign resident's record elsewhere: romaji in upper case, family name first or last,
    the middle name kept or dropped; sometimes also a birth-date slip or a move."""
    assert p.foreign
    (fam_r, _), (giv_r, _), middle = p.foreign
    kinds = {"romaji"} | set(rng.sample(("moved", "digit_slip", "phone_format", "none"), 1))
    kinds.discard("none")
    r = _base_record(p)
    r.kinds = sorted(kinds)
    given = giv_r + (" " + middle[0] if middle and rng.random() < 0.5 else "")
    if rng.random() < 0.5:
        r.family_name, r.given_name = fam_r, given
    else:  # one field, given name first, as a passport reads
        r.family_name, r.given_name = f"{given} {fam_r}", ""
    if rng.random() < 0.3:
        r.family_name, r.given_name = r.family_name.title(), r.given_name.title()
    r.family_name_kana = r.given_name_kana = ""
    if "moved" in kinds:
        moved = replace(p, town=rng.randrange(len(TOWNS)), building=None)
        r.address = _address(moved, rng, "hyphen")
        r.postal_code = _postal(moved)
    if "digit_slip" in kinds and r.birth_date:
        r.birth_date = _date_slip(dt.date.fromisoformat(r.birth_date), rng).isoformat()
    if "phone_format" in kinds:
        r.phone = _phone(p.phone, rng, rng.choice(("plain", "intl", "paren", "wide")))
    return r


def _variant(p: Person, rng: random.Random) -> Record:
    """A record of p from another window: 1-3 kinds of variation applied at random."""
    if p.foreign and rng.random() < 0.7:
        return _foreign_variant(p, rng)
    kinds = set(rng.sample(KINDS, rng.choice((1, 1, 2, 2, 3))))
    if p.foreign:
        kinds -= {"itaiji", "unknown_char", "reading_only", "kanji_only", "kana_typo", "marriage"}
    if "reading_only" in kinds:
        kinds -= {"kanji_only", "itaiji", "unknown_char", "spacing"}
    if "name_swap" in kinds:
        kinds -= {"spacing", "whole_name"}
    if "whole_name" in kinds:
        kinds.discard("spacing")
    adult_woman = p.female and (TODAY - p.birth).days > 20 * 365
    if "marriage" in kinds and not adult_woman:
        kinds.discard("marriage")
    if "itaiji" in kinds and not (p.family[2] or p.given[2]):
        kinds.discard("itaiji")
    if "banchi_no" in kinds and not p.long_block:
        kinds.discard("banchi_no")
    if "unknown_char" in kinds and "missing" in kinds:
        kinds.discard("missing")
    if not kinds:
        kinds = {rng.choice(("address_format", "phone_format", "kana_script", "width"))}
    r = _base_record(p)
    r.kinds = sorted(kinds)
    fam_k, giv_k = p.family, p.given
    phone, person = p.phone, p
    if "marriage" in kinds:
        new = rng.choice([f for f in FAMILY if f[1] != p.family[1]])
        if rng.random() < 0.4:
            r.former_family_names = [p.family[0]]
        fam_k = new
        if rng.random() < 0.4:
            phone = _random_phone(rng)
        if rng.random() < 0.6:
            person = replace(
                p,
                town=rng.randrange(len(TOWNS)),
                block=(rng.randint(1, 5), rng.randint(1, 30), rng.randint(1, 25)),
                building=None,
            )
    if "moved" in kinds:
        # Another year, another window: a new address, a new phone number, or both.
        change = rng.choice(("address", "address", "phone", "both"))
        if change in ("phone", "both"):
            phone = _random_phone(rng)
        if change in ("address", "both"):
            person = replace(
                person,
                town=rng.randrange(len(TOWNS)),
                block=(rng.randint(1, 5), rng.randint(1, 30), rng.randint(1, 25)),
                building=None,
            )
    fam_kanji, giv_kanji = fam_k[0], giv_k[0]
    if p.foreign:
        fam_kanji, giv_kanji = _names(p)[:2]
    if "itaiji" in kinds:
        if fam_k[2] and (not giv_k[2] or rng.random() < 0.7):
            fam_kanji = rng.choice(fam_k[2])
        elif giv_k[2]:
            giv_kanji = rng.choice(giv_k[2])
    fam_kana, giv_kana = fam_k[1], giv_k[1]
    if p.foreign:
        fam_kana, giv_kana = _names(p)[2:]
    if "kana_typo" in kinds:
        if rng.random() < 0.5:
            fam_kana = _kana_typo(fam_kana, rng)
        else:
            giv_kana = _kana_typo(giv_kana, rng)
    if "kana_script" in kinds:
        script = rng.choice(("hira", "half"))
        conv = _hira if script == "hira" else _halfwidth
        fam_kana, giv_kana = conv(fam_kana), conv(giv_kana)
    if "width" in kinds:
        fam_kana, giv_kana = _halfwidth(fam_kana), _halfwidth(giv_kana)
    r.family_name, r.given_name = fam_kanji, giv_kanji
    r.family_name_kana, r.given_name_kana = fam_kana, giv_kana
    if "spacing" in kinds:
        sep = rng.choice(("　", " ", ""))
        r.family_name, r.given_name = fam_kanji + sep, giv_kanji
        r.family_name = fam_kanji + sep + giv_kanji
        r.given_name = ""
        r.family_name_kana = fam_kana + rng.choice(("　", " ", "")) + giv_kana
        r.given_name_kana = ""
    address_style = "canonical"
    if "banchi_no" in kinds and person.long_block:
        address_style = "banchi_no"
    elif "address_format" in kinds:
        address_style = rng.choice(("kanji_block", "hyphen", "banchi", "wide"))
    elif "width" in kinds:
        address_style = "wide"
    r.address = _address(person, rng, address_style)
    r.postal_code = _postal(person)
    phone_style = "hyphen"
    if "phone_format" in kinds:
        phone_style = rng.choice(("plain", "intl", "paren", "wide"))
    elif "width" in kinds:
        phone_style = "wide"
    r.phone = _phone(phone, rng, phone_style)
    if "width" in kinds:
        r.postal_code = _digits_wide(r.postal_code)
    elif "address_format" in kinds and rng.random() < 0.5:
        r.postal_code = "〒" + r.postal_code.replace("-", "")
    _second_edition(r, p, kinds, rng)
    if "missing" in kinds:
        fields = ["kana", "birth", "phone", "address", "kanji"]
        for name in rng.sample(fields, rng.choice((1, 1, 2))):
            if name == "kana" and r.family_name:
                r.family_name_kana = r.given_name_kana = ""
            elif name == "kanji" and r.family_name_kana:
                r.family_name = r.given_name = ""
            elif name == "birth":
                r.birth_date = None
            elif name == "phone":
                r.phone = ""
            elif name == "address":
                r.address = r.postal_code = ""
    return r


def _hard_negative(anchor: Person, rng: random.Random, pid: int, kind: str) -> Person:
    if kind == "namesake":
        other = _new_person(rng, pid, female=anchor.female)
        other.family, other.given = anchor.family, anchor.given
    elif kind == "twin":
        other = _new_person(rng, pid, birth=anchor.birth)
        other.family = anchor.family
        names = FEMALE if other.female else MALE
        other.given = rng.choice([g for g in names if g[1] != anchor.given[1]])
        other.phone, other.town, other.block = anchor.phone, anchor.town, anchor.block
        other.building = anchor.building
    elif kind in ("jr", "sibling", "spouse"):
        if kind == "jr":  # a son or daughter with the parent's full name
            years = rng.randint(22, 38)
            birth = anchor.birth + dt.timedelta(days=365 * years + rng.randint(-180, 180))
            if birth > TODAY - dt.timedelta(days=30):
                birth = anchor.birth - dt.timedelta(days=365 * years + rng.randint(-180, 180))
        elif kind == "sibling":
            birth = anchor.birth + dt.timedelta(
                days=rng.choice((-1, 1)) * rng.randint(365, 365 * 8)
            )
        else:
            birth = anchor.birth + dt.timedelta(days=rng.randint(-365 * 6, 365 * 6))
        if birth == anchor.birth:
            birth += dt.timedelta(days=500)
        female = anchor.female if kind == "jr" else None
        if kind == "spouse":
            female = not anchor.female
        other = _new_person(rng, pid, female=female, birth=birth)
        other.family = anchor.family
        names = FEMALE if other.female else MALE
        other.given = (
            anchor.given
            if kind == "jr"
            else rng.choice([g for g in names if g[1] != anchor.given[1]])
        )
        other.phone, other.town, other.block = anchor.phone, anchor.town, anchor.block
        other.building = anchor.building
    elif kind == "neighbour":  # 斎藤 and 斉藤 next door: same name after folding, other person
        other = _new_person(rng, pid, female=anchor.female)
        fam = anchor.family
        other.family = (rng.choice(fam[2]) if fam[2] else fam[0], fam[1], ())
        other.given = anchor.given
        chome, ban, go = anchor.block
        other.town, other.block = anchor.town, (chome, ban, go % 25 + 1)
    else:  # household: parent or child
        gap = rng.choice((rng.randint(22, 38), -rng.randint(22, 38)))
        birth = anchor.birth + dt.timedelta(days=365 * gap + rng.randint(-180, 180))
        if birth > TODAY - dt.timedelta(days=30):  # no child yet: a parent instead
            birth = anchor.birth - dt.timedelta(days=365 * rng.randint(22, 38))
        if birth == anchor.birth:
            birth += dt.timedelta(days=400)
        other = _new_person(rng, pid, birth=birth)
        other.family = anchor.family
        names = FEMALE if other.female else MALE
        other.given = rng.choice([g for g in names if g[1] != anchor.given[1]])
        other.phone, other.town, other.block = anchor.phone, anchor.town, anchor.block
        other.building = anchor.building
    other.long_block = anchor.long_block
    if anchor.foreign:
        f_fam, f_giv, _ = anchor.foreign
        if kind not in ("namesake", "jr", "neighbour"):
            f_giv = rng.choice([g for g in FOREIGN_GIVEN if g[1] != f_giv[1]])
        other.foreign = (f_fam, f_giv, None)
    else:
        other.foreign = None
    other.hard_negative, other.anchor = kind, anchor.person_id
    return other


# Cumulative shares of anchors that get a look-alike of each kind.
_HARD_SHARES = (
    ("namesake", 0.06),
    ("twin", 0.09),
    ("household", 0.15),
    ("jr", 0.17),
    ("sibling", 0.21),
    ("spouse", 0.25),
    ("neighbour", 0.27),
)


def generate(seed: int, persons: int) -> list[dict[str, Any]]:
    """All records of a synthetic population, shuffled, each with its label."""
    rng = random.Random(seed)
    people: list[Person] = []
    for pid in range(persons):
        people.append(_new_person(rng, pid))
    next_id = persons
    for anchor in list(people):
        roll = rng.random()
        kind = next((k for k, upto in _HARD_SHARES if roll < upto), None)
        if kind:
            people.append(_hard_negative(anchor, rng, next_id, kind))
            next_id += 1
    records: list[Record] = []
    for p in people:
        records.append(_base_record(p))
        count = rng.choice((0, 1, 1, 2, 2, 3)) if p.hard_negative is None else rng.choice((0, 1, 2))
        records.extend(_variant(p, rng) for _ in range(count))
    rng.shuffle(records)
    by_id = {p.person_id: p for p in people}
    out = []
    for n, r in enumerate(records):
        p = by_id[r.person_id]
        row: dict[str, Any] = {"record_id": n, **r.__dict__}
        row["hard_negative"] = p.hard_negative
        row["anchor_person"] = p.anchor
        out.append(row)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--persons", type=int, default=2000)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    rows = generate(args.seed, args.persons)
    with args.out.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    persons = len({row["person_id"] for row in rows})
    print(f"{len(rows)} records of {persons} persons -> {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
