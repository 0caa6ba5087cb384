"""Identity matching: plain functions, no database and no Django settings needed.

Run alone with: .venv/bin/pytest tsunagu/people/tests/test_matching.py -p no:django
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tsunagu.people import matching
from tsunagu.people.matching import (
    DEFAULT_THRESHOLD,
    KEY_MAX_LENGTH,
    SEARCH_ONLY_PREFIXES,
    VARIANT_FOLD,
    PersonFacts,
    _address_parts,
    compare,
    find_pairs,
    match_keys,
    neighbour_keys,
    normalize_address,
    normalize_kana,
    normalize_name,
    normalize_phone,
    query_keys,
    search,
    strip_prefecture,
    wildcard_key,
)

BIRTH = dt.date(1978, 6, 14)

# All synthetic: invented people in a fictional city.
HANAKO = PersonFacts(
    family_name="高橋",
    given_name="花子",
    family_name_kana="タカハシ",
    given_name_kana="ハナコ",
    birth_date=BIRTH,
    phone="090-1234-5678",
    postal_code="251-0011",
    address="神奈川県つなぐ市本町1丁目2番3号",
)


def replace(p: PersonFacts, **changes: object) -> PersonFacts:
    return dataclasses.replace(p, **changes)  # type: ignore[arg-type]


def matches(a: PersonFacts, b: PersonFacts) -> bool:
    return compare(a, b).score >= DEFAULT_THRESHOLD


def pairing_keys(p: PersonFacts) -> set[str]:
    return {k for k in match_keys(p) if not k.startswith(SEARCH_ONLY_PREFIXES)}


# --------------------------------------------------------------------------- normalisation


@pytest.mark.parametrize(
    ("variants", "expected"),
    [
        (["髙橋", "高橋", "高 橋", "高　橋"], "高橋"),
        (["山﨑", "山崎", "山嵜"], "山崎"),
        (["渡邊", "渡邉", "渡辺"], "渡辺"),
        (["齋藤", "齊藤", "斉藤", "斎藤"], "斎藤"),
        (["澤田", "沢田"], "沢田"),
        (["濱田", "濵田", "浜田"], "浜田"),
        (["廣瀬", "広瀬"], "広瀬"),
        (["嶋田", "嶌田", "島田"], "島田"),
        (["櫻井", "桜井"], "桜井"),
        (["國分", "国分"], "国分"),
        (["德永", "徳永"], "徳永"),
        (["惠子", "恵子"], "恵子"),
        (["眞一", "真一"], "真一"),
        (["實", "実"], "実"),
        (["壽夫", "寿夫"], "寿夫"),
        (["冨田", "富田"], "富田"),
        (["曾根", "曽根"], "曽根"),
        (["槇野", "槙野"], "槙野"),
        (["𠮷田", "吉田"], "吉田"),
        (["大\ufa10", "大塚"], "大塚"),  # CJK compatibility ideograph 塚
        (["辻\U000e0100", "辻"], "辻"),  # ideographic variation selector
    ],
)
def test_normalize_name_folds_variant_kanji(variants: list[str], expected: str) -> None:
    assert {normalize_name(v) for v in variants} == {expected}


def test_variant_table_is_a_real_table() -> None:
    assert len(VARIANT_FOLD) >= 60
    assert all(len(k) == 1 and len(v) == 1 and k != v for k, v in VARIANT_FOLD.items())
    # The common form is never itself folded again.
    assert not set(VARIANT_FOLD.values()) & set(VARIANT_FOLD)


def test_normalize_name_repeat_mark_and_kana() -> None:
    assert normalize_name("佐々木") == normalize_name("佐佐木")
    assert normalize_name("さくら") == normalize_name("サクラ") == "サクラ"


def test_normalize_kana_any_script_and_width() -> None:
    forms = ["やまだ たろう", "ヤマダ　タロウ", "ﾔﾏﾀﾞ ﾀﾛｳ", "ヤマダタロー", "ﾔﾏﾀﾞﾀﾛｰ"]
    assert {normalize_kana(f) for f in forms} == {"ヤマダタロウ"}


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("チヅル", "チズル"),
        ("ツヅキ", "ツズキ"),
        ("カヲル", "カオル"),
        ("ヴィオラ", "ビオラ"),
        ("ユーコ", "ユウコ"),
        ("ヨーコ", "ようこ"),
    ],
)
def test_normalize_kana_folds_spellings_names_use_both_ways(a: str, b: str) -> None:
    assert normalize_kana(a) == normalize_kana(b)


def test_normalize_phone() -> None:
    expected = "09012345678"
    for form in [
        "090-1234-5678",
        "09012345678",
        "０９０－１２３４－５６７８",
        "+81 90-1234-5678",
        "+81-90-1234-5678",
        "(090)1234-5678",
        "090 1234 5678",
    ]:
        assert normalize_phone(form) == expected, form
    assert normalize_phone("+81 (0)466-12-3456") == "0466123456"


def test_normalize_address_forms_agree() -> None:
    forms = [
        "本町1丁目2番3号",
        "本町一丁目2-3",
        "本町1-2-3",
        "本町１－２－３",
        "本町1丁目2番地3",
        "本町一丁目二番三号",
        "本町1の2の3",
        "本町 1-2-3",
    ]
    assert {normalize_address(f) for f in forms} == {"本町1-2-3"}


def test_normalize_address_details() -> None:
    assert normalize_address("本町1丁目2番") == "本町1-2"  # trailing hyphens trimmed
    assert normalize_address("本町二十三番地") == "本町23"
    # Kanji numerals inside place names stay; ケ/ヶ/が fold between kanji.
    assert normalize_address("千代田区本町1-2") == "千代田区本町1-2"
    assert normalize_address("八王子市本町1-2") == "八王子市本町1-2"
    assert normalize_address("霞ヶ丘3-4") == normalize_address("霞が丘三丁目4番") == "霞ケ丘3-4"
    assert strip_prefecture(normalize_address("東京都八王子市本町1-2")) == "八王子市本町1-2"


# --------------------------------------------------------------------------- same person


SAME_PERSON = {
    "全角/半角 and no hyphens": replace(
        HANAKO, phone="０９０１２３４５６７８", address="神奈川県つなぐ市本町１－２－３"
    ),
    "ひらがな": replace(HANAKO, family_name_kana="たかはし", given_name_kana="はなこ"),
    "半角カナ": replace(HANAKO, family_name_kana="ﾀｶﾊｼ", given_name_kana="ﾊﾅｺ"),
    "one field with a space": replace(
        HANAKO,
        family_name="高橋　花子",
        given_name="",
        family_name_kana="タカハシ ハナコ",
        given_name_kana="",
    ),
    "one field without a space": replace(
        HANAKO,
        family_name="髙橋花子",
        given_name="",
        family_name_kana="たかはしはなこ",
        given_name_kana="",
    ),
    "異体字 髙橋": replace(HANAKO, family_name="髙橋"),
    "address 本町一丁目2-3 without prefecture": replace(HANAKO, address="つなぐ市本町一丁目2-3"),
    "address 本町1-2-3 only": replace(HANAKO, address="本町1-2-3"),
    "address with building": replace(HANAKO, address="本町1-2-3 コーポ若葉101号室"),
    "phone with +81": replace(HANAKO, phone="+81 90 1234 5678"),
    "kana typo (濁点)": replace(HANAKO, family_name_kana="タカバシ"),
    "kana typo (one kana)": replace(HANAKO, given_name_kana="ハナユ"),
    "no phone, no address": replace(HANAKO, phone="", address="", postal_code=""),
    "kana only": replace(HANAKO, family_name="", given_name="", phone="", address=""),
    "kanji only": replace(HANAKO, family_name_kana="", given_name_kana=""),
    "moved": replace(HANAKO, phone="0466-99-1234", address="つなぐ市栄町5-6-7", postal_code=""),
}


def test_no_birth_date_is_for_review_however_much_else_agrees() -> None:
    # A parent and a child of the same name at one address differ only by the birth date.
    other = replace(HANAKO, birth_date=None)
    m = compare(HANAKO, other)
    assert m.tier == "review" and "電話番号一致" in m.reasons


@pytest.mark.parametrize("label", sorted(SAME_PERSON))
def test_same_person_written_differently_matches(label: str) -> None:
    other = SAME_PERSON[label]
    m = compare(HANAKO, other)
    assert m.score >= DEFAULT_THRESHOLD, (label, m)
    assert compare(other, HANAKO).score == m.score  # symmetric
    assert pairing_keys(HANAKO) & pairing_keys(other), label


@pytest.mark.parametrize(
    ("family_a", "family_b"),
    [
        ("髙橋", "高橋"),
        ("山﨑", "山崎"),
        ("渡邊", "渡辺"),
        ("渡邉", "渡辺"),
        ("渡邊", "渡邉"),
        ("齋藤", "斎藤"),
        ("齊藤", "斉藤"),
        ("斉藤", "斎藤"),
        ("澤田", "沢田"),
    ],
)
def test_variant_kanji_in_the_name_match(family_a: str, family_b: str) -> None:
    a = replace(HANAKO, family_name=family_a, family_name_kana="", phone="", address="")
    b = replace(HANAKO, family_name=family_b, family_name_kana="", phone="", address="")
    m = compare(a, b)
    assert m.score >= DEFAULT_THRESHOLD
    assert "氏名（漢字）一致" in m.reasons
    assert "異体字・表記ゆれを吸収" in m.reasons


def test_addresses_written_three_ways_match_each_other() -> None:
    forms = ["本町1丁目2番3号", "本町一丁目2-3", "本町1-2-3"]
    for x, y in itertools.combinations(forms, 2):
        m = compare(
            PersonFacts(family_name="高橋", given_name="花子", address=x),
            PersonFacts(family_name="高橋", given_name="花子", address=y),
        )
        assert "住所一致" in m.reasons
        assert m.tier in ("likely", "review")


def test_prefecture_is_optional_when_comparing_addresses() -> None:
    a = replace(HANAKO, address="神奈川県つなぐ市本町1丁目2番3号")
    b = replace(HANAKO, address="つなぐ市本町1-2-3")
    assert "住所一致" in compare(a, b).reasons


def test_changed_family_name_with_same_phone_matches_and_says_so() -> None:
    married = replace(
        HANAKO,
        family_name="佐藤",
        family_name_kana="サトウ",
        address="つなぐ市栄町2-3-4",
        postal_code="",
    )
    m = compare(HANAKO, married)
    assert m.tier == "review"  # a new family name with no recorded 旧姓: staff confirm
    assert "姓が異なる（旧姓の可能性）" in m.reasons
    assert "電話番号一致" in m.reasons
    assert "生年月日一致" in m.reasons
    assert pairing_keys(HANAKO) & pairing_keys(married)


def test_changed_family_name_with_known_former_name_matches() -> None:
    married = replace(
        HANAKO,
        family_name="佐藤",
        family_name_kana="さとう",
        phone="",
        address="",
        postal_code="",
        former_family_names=("髙橋",),
    )
    m = compare(HANAKO, married)
    assert m.score >= DEFAULT_THRESHOLD
    assert "旧姓一致" in m.reasons


def test_changed_family_name_alone_is_left_for_staff() -> None:
    # Same given name and birth date but nothing else: many different people share that in a
    # city, so it is shown as a candidate with the reason, never merged silently.
    married = replace(
        HANAKO,
        family_name="佐藤",
        family_name_kana="サトウ",
        phone="",
        address="",
        postal_code="",
    )
    m = compare(HANAKO, married)
    assert 0.1 < m.score < DEFAULT_THRESHOLD
    assert "姓が異なる（旧姓の可能性）" in m.reasons
    assert pairing_keys(HANAKO) & pairing_keys(married)  # still found as a candidate


# --------------------------------------------------------------------------- hard negatives


def test_same_full_name_different_birth_date_does_not_match() -> None:
    other = replace(HANAKO, birth_date=dt.date(1985, 11, 2))
    m = compare(HANAKO, other)
    assert m.score < DEFAULT_THRESHOLD
    assert "生年月日が異なる" in m.reasons
    # Even at the same address and phone (a parent and child of the same name).
    assert compare(HANAKO, replace(other, phone=HANAKO.phone)).score < DEFAULT_THRESHOLD


def test_birth_date_slip_is_held_for_review() -> None:
    slip = replace(HANAKO, birth_date=dt.date(1978, 6, 15))
    m = compare(HANAKO, slip)
    assert m.score < DEFAULT_THRESHOLD
    assert "生年月日の数字が1字違い（誤記の可能性）" in m.reasons
    assert m.tier == "review"


def test_twins_do_not_match() -> None:
    twin = replace(HANAKO, given_name="桜子", given_name_kana="サクラコ")
    m = compare(HANAKO, twin)
    assert m.score < DEFAULT_THRESHOLD
    assert "名が異なる" in m.reasons
    # Twins whose names differ by one kana and no kanji to tell: still not merged.
    a = replace(HANAKO, family_name="", given_name="", given_name_kana="ユウタ")
    b = replace(HANAKO, family_name="", given_name="", given_name_kana="ユウト")
    assert compare(a, b).score < DEFAULT_THRESHOLD


def test_twins_whose_readings_differ_only_by_a_long_vowel_do_not_match() -> None:
    yuuki = replace(HANAKO, given_name="優希", given_name_kana="ユウキ")
    yuki = replace(HANAKO, given_name="由紀", given_name_kana="ユキ")
    assert compare(yuuki, yuki).score < DEFAULT_THRESHOLD
    kana_only = [replace(p, family_name="", given_name="") for p in (yuuki, yuki)]
    assert compare(*kana_only).score < DEFAULT_THRESHOLD


def test_legacy_kana_without_small_letters_matches_when_kanji_agree() -> None:
    a = replace(HANAKO, given_name="京子", given_name_kana="キョウコ")
    b = replace(HANAKO, given_name="京子", given_name_kana="ｷﾖｳｺ", phone="", address="")
    assert compare(a, b).score >= DEFAULT_THRESHOLD


def test_married_twin_keeping_the_shared_phone_does_not_match() -> None:
    sister = replace(
        HANAKO,
        family_name="西村弥生",
        given_name="",
        family_name_kana="ニシムラヤヨイ",
        given_name_kana="",
    )
    married = replace(
        HANAKO,
        family_name="近藤　舞",
        given_name="",
        family_name_kana="ｺﾝﾄﾞｳﾏｲ",
        given_name_kana="",
        former_family_names=("西村",),
        address="",
    )
    assert compare(sister, married).score < DEFAULT_THRESHOLD


def test_household_members_do_not_match() -> None:
    members = [
        replace(
            HANAKO, given_name="太郎", given_name_kana="タロウ", birth_date=dt.date(1975, 1, 9)
        ),
        replace(
            HANAKO, given_name="翔太", given_name_kana="ショウタ", birth_date=dt.date(2008, 4, 2)
        ),
        replace(
            HANAKO, given_name="和子", given_name_kana="カズコ", birth_date=dt.date(1949, 9, 30)
        ),
    ]
    for a, b in itertools.combinations([HANAKO, *members], 2):
        assert compare(a, b).score < DEFAULT_THRESHOLD


def test_no_given_name_means_no_automatic_match() -> None:
    # Family, birth date, phone and address fit twins as well as one person.
    no_given = replace(HANAKO, given_name="", given_name_kana="")
    assert compare(HANAKO, no_given).score < DEFAULT_THRESHOLD


# --------------------------------------------------------------------------- missing fields


FIELDS = [f.name for f in dataclasses.fields(PersonFacts)]


def _empty(name: str) -> object:
    return None if name == "birth_date" else () if name == "former_family_names" else ""


@pytest.mark.parametrize(
    "missing",
    [
        ("birth_date",),
        ("phone",),
        ("address", "postal_code"),
        ("family_name_kana", "given_name_kana"),
        ("phone", "address", "postal_code"),
        ("family_name", "given_name"),
    ],
)
def test_missing_fields_are_neutral(missing: tuple[str, ...]) -> None:
    partial = replace(HANAKO, **{f: _empty(f) for f in missing})
    # Whatever the full record says in the fields the partial one lacks changes nothing.
    other = replace(
        HANAKO,
        phone="0466-11-2222",
        address="つなぐ市栄町9-9",
        postal_code="251-0099",
        birth_date=dt.date(1990, 1, 1),
        family_name_kana="ベツ",
        given_name_kana="ベツ",
    )
    other = replace(other, **{f: getattr(other, f) for f in missing})
    stripped = replace(other, **{f: _empty(f) for f in missing})
    assert compare(partial, other).score == compare(partial, stripped).score
    # And against the same person it still matches where enough remains.
    if missing == ("birth_date",):  # a namesake parent or child: for review, not likely
        assert compare(HANAKO, partial).tier == "review"
    elif missing != ("phone", "address", "postal_code"):
        assert compare(HANAKO, partial).score >= DEFAULT_THRESHOLD


def test_anonymous_record_is_neither_match_nor_conflict() -> None:
    anonymous = PersonFacts()
    m = compare(HANAKO, anonymous)
    assert m.score < DEFAULT_THRESHOLD
    assert m.reasons == ()
    assert match_keys(anonymous) == set()


# --------------------------------------------------------------------------- honest reasons


def _population() -> list[PersonFacts]:
    people = [HANAKO, *SAME_PERSON.values()]
    people += [
        replace(HANAKO, given_name="桜子", given_name_kana="サクラコ"),
        replace(HANAKO, birth_date=dt.date(1985, 11, 2), phone="080-0000-1111"),
        replace(HANAKO, family_name="佐藤", family_name_kana="サトウ"),
        PersonFacts(
            family_name="山田",
            given_name="太郎",
            family_name_kana="やまだ",
            given_name_kana="たろう",
            birth_date=dt.date(1950, 2, 3),
            address="本町1-2-3",
            phone="0466-00-0000",
        ),
    ]
    return people


def test_reasons_name_what_really_agrees() -> None:
    for a, b in itertools.combinations(_population(), 2):
        for reason in compare(a, b).reasons:
            if reason == "生年月日一致":
                assert a.birth_date == b.birth_date
            elif reason == "生年月日が異なる":
                assert a.birth_date and b.birth_date and a.birth_date != b.birth_date
            elif reason.startswith("電話番号一致"):
                assert normalize_phone(a.phone)[-8:] == normalize_phone(b.phone)[-8:]
            elif reason == "住所一致":
                pa = _address_parts(normalize_address(a.address))
                pb = _address_parts(normalize_address(b.address))
                assert pa[0] == pb[0] or (pa[1] == pb[1] and pa[2] == pb[2])
            elif reason == "氏名（漢字）一致":
                assert normalize_name(a.family_name + a.given_name) == normalize_name(
                    b.family_name + b.given_name
                )
            elif reason == "氏名（かな）一致":
                assert normalize_kana(a.family_name_kana + a.given_name_kana) == normalize_kana(
                    b.family_name_kana + b.given_name_kana
                )
            elif reason == "郵便番号一致":
                assert normalize_phone(a.postal_code) == normalize_phone(b.postal_code)
            elif reason.startswith("姓が異なる"):
                assert normalize_name(a.family_name) != normalize_name(b.family_name)


# --------------------------------------------------------------------------- keys


def test_keys_are_short_and_deterministic() -> None:
    for p in _population():
        keys = match_keys(p)
        assert keys == match_keys(p)
        assert all(0 < len(k) <= KEY_MAX_LENGTH for k in keys)
    long_name = PersonFacts(family_name="X" * 300, birth_date=BIRTH, address="本町1-2-3")
    assert all(len(k) <= KEY_MAX_LENGTH for k in match_keys(long_name))


def test_true_pairs_share_a_key_despite_one_change_and_a_missing_birth_date() -> None:
    no_birth = replace(HANAKO, birth_date=None)
    cases = [
        replace(no_birth, family_name="佐藤", family_name_kana="サトウ"),  # married; phone kept
        replace(no_birth, given_name_kana="ハナユ", phone=""),  # typo, no phone
        replace(no_birth, family_name_kana="タカバシ", given_name="", phone=""),
        replace(HANAKO, family_name="佐藤", family_name_kana="サトウ", phone="", address=""),
        replace(HANAKO, family_name="佐藤", family_name_kana="サトウ", phone="", birth_date=None),
    ]
    for other in cases:
        assert pairing_keys(HANAKO) & pairing_keys(other), other


def test_query_keys_hit_the_record_for_what_a_counselor_types() -> None:
    keys = match_keys(HANAKO)
    for query, birth in [
        ("高橋花子", None),
        ("高橋 花子", None),
        ("髙橋　花子", None),
        ("たかはしはなこ", None),
        ("ﾀｶﾊｼ ﾊﾅｺ", None),
        ("タカハシハナコ", None),
        ("高橋", BIRTH),
        ("花子", BIRTH),
        ("佐藤花子", BIRTH),
        ("090-1234-5678", None),
        ("09012345678", None),
        ("本町1丁目2番3号", None),
        ("本町一丁目", None),
        ("たかはしはなご", None),
    ]:
        assert query_keys(query, birth) & keys, query


def test_a_name_one_slip_away_is_worked_out_when_searching_not_stored() -> None:
    keys = match_keys(HANAKO)
    assert not any(k.startswith("nd:") for k in keys)
    assert {k for k in keys if k.startswith("w:")} == {"w:〓橋花子"}
    assert len(keys) <= 30
    slips = ["たかはしはなえ", "たかはしはな", "たかはしはなかこ", "たかはしなはこ", "ﾀｶﾊｼ ﾊﾅｴ"]
    for query in slips:
        assert neighbour_keys(query) & keys, query
        assert not query_keys(query, None) & keys, query  # found only as a neighbour
    assert not neighbour_keys("たかはしはなえみ") & keys  # two slips
    assert not neighbour_keys("たかし") and not neighbour_keys("090-1234-5678")
    assert not neighbour_keys("あい" * 100)  # longer than a name: not looked for
    gaiji = match_keys(replace(HANAKO, family_name="〓橋", family_name_kana=""))
    assert neighbour_keys("高橋 花子") & gaiji
    assert not neighbour_keys("高橋 花子") & keys  # never the typed name itself
    assert wildcard_key("高？花子") == "n:高〓花子"
    assert wildcard_key("〓橋花子") is None  # nothing before the 〓 to narrow the search
    assert query_keys("〓橋 花子", None) & keys and not query_keys("石橋 花子", None) & keys
    assert wildcard_key("高〓〓子") is None and wildcard_key("高橋花子") is None
    assert wildcard_key("たかはし") is None and wildcard_key("本町1-2") is None


# --------------------------------------------------------------------------- search


def _candidates() -> list[tuple[str, PersonFacts]]:
    return [
        ("hanako", HANAKO),
        ("twin", replace(HANAKO, given_name="桜子", given_name_kana="サクラコ")),
        (
            "namesake",
            replace(
                HANAKO,
                birth_date=dt.date(1990, 3, 3),
                phone="080-1111-2222",
                address="つなぐ市栄町4-5-6",
            ),
        ),
        (
            "father",
            replace(
                HANAKO, given_name="太郎", given_name_kana="タロウ", birth_date=dt.date(1950, 5, 5)
            ),
        ),
        ("other", PersonFacts(family_name="山田", given_name="太郎", birth_date=BIRTH)),
    ]


def test_search_by_name_and_birth_date_puts_the_person_first() -> None:
    for query in ["高橋花子", "高橋 花子", "髙橋　花子", "たかはし はなこ", "ﾀｶﾊｼﾊﾅｺ"]:
        ranked = search(query, BIRTH, _candidates())
        assert ranked[0][0] == "hanako", query
        assert ranked[0][1].score >= DEFAULT_THRESHOLD
        assert "生年月日一致" in ranked[0][1].reasons
        assert all(m.score < DEFAULT_THRESHOLD for k, m in ranked[1:])


def test_search_by_name_alone_is_never_a_strong_match() -> None:
    ranked = search("高橋花子", None, _candidates())
    assert {k for k, _ in ranked[:2]} == {"hanako", "namesake"}
    assert all(m.score < DEFAULT_THRESHOLD for _, m in ranked)


def test_search_by_new_family_name_and_birth_date_finds_the_old_record() -> None:
    ranked = search("佐藤花子", BIRTH, _candidates())
    assert ranked[0][0] == "hanako"
    assert "姓が異なる（旧姓の可能性）" in ranked[0][1].reasons


def _sato_hanakos() -> list[tuple[str, PersonFacts]]:
    """Six other 佐藤花子, born on other days."""
    return [
        (f"namesake{n}", replace(HANAKO, family_name="佐藤", birth_date=dt.date(1960 + n, 1, 1)))
        for n in range(6)
    ]


def test_search_fetches_and_ranks_a_new_family_name_with_a_slipped_birth_date() -> None:
    # 佐藤花子 typed with the birth date written wrong in the old record (one digit, an era).
    for stored in (dt.date(1978, 6, 19), dt.date(1978 - 63, 6, 14)):
        old = replace(HANAKO, birth_date=stored)
        keys = match_keys(old)
        assert query_keys("佐藤 花子", BIRTH) & keys
        ranked = search("佐藤 花子", BIRTH, [*_sato_hanakos(), ("old", old)], limit=5)
        assert ranked[0][0] == "old", stored
        assert ranked[0][1].score < DEFAULT_THRESHOLD


def test_search_fetches_romaji_against_katakana_with_a_slipped_birth_date() -> None:
    stored = PersonFacts(
        family_name="グエン", given_name="マリア", family_name_kana="グエン",
        given_name_kana="マリア", birth_date=dt.date(2002, 10, 6),
    )  # fmt: skip
    assert query_keys("NGUYEN MARIA", dt.date(2002, 10, 9)) & match_keys(stored)


def test_search_reads_two_typed_words_either_way() -> None:
    # 花子 佐藤: the given name first, and a family name the old record does not carry.
    ranked = search("花子　佐藤", BIRTH, [*_sato_hanakos(), ("hanako", HANAKO)], limit=5)
    assert ranked[0][0] == "hanako"
    assert "入力の姓と名を入れ替えて照合" in ranked[0][1].reasons


def test_search_by_phone_and_by_address() -> None:
    ranked = search("090-1234-5678", None, _candidates())
    assert {k for k, _ in ranked} == {"hanako", "twin", "father"}
    assert all("電話番号一致" in m.reasons for _, m in ranked)
    ranked = search("本町1丁目2番3号", BIRTH, _candidates())
    assert [k for k, _ in ranked[:2]] in (["hanako", "twin"], ["twin", "hanako"])
    ranked = search("本町一丁目", None, _candidates())
    assert "namesake" not in {k for k, _ in ranked}
    assert "hanako" in {k for k, _ in ranked}


def test_search_limit_and_empty() -> None:
    assert len(search("高橋", BIRTH, _candidates(), limit=2)) == 2
    assert search("", None, _candidates()) == []


# --------------------------------------------------------------------------- find_pairs


def test_find_pairs_once_each_sorted_and_no_hard_negatives() -> None:
    records: list[tuple[str, PersonFacts]] = [("base", HANAKO)]
    records += [(label, p) for label, p in SAME_PERSON.items()]
    records += [(k, p) for k, p in _candidates() if k != "hanako"]
    pairs = find_pairs(records)
    seen = [frozenset((a, b)) for a, b, _ in pairs]
    assert len(seen) == len(set(seen))
    scores = [m.score for _, _, m in pairs]
    assert scores == sorted(scores, reverse=True)
    assert all(s >= DEFAULT_THRESHOLD for s in scores)
    involved = {x for pair in seen for x in pair}
    assert not involved & {"twin", "namesake", "father", "other"}
    same = {frozenset(("base", label)) for label in SAME_PERSON}
    assert same <= set(seen)
    order = {label: n for n, (label, _) in enumerate(records)}
    assert all(order[a] < order[b] for a, b, _ in pairs)


def test_find_pairs_threshold_and_integer_ids() -> None:
    records = list(enumerate([HANAKO, SAME_PERSON["ひらがな"], _candidates()[1][1]]))
    assert [(a, b) for a, b, _ in find_pairs(records)] == [(0, 1)]
    assert len(find_pairs(records, threshold=0.0)) == 3


# --------------------------------------------------------------------------- second edition


@pytest.mark.parametrize(
    ("birth", "reason"),
    [
        (dt.date(1915, 6, 14), "昭和と平成の取り違え"),  # 1978 - 63
        (dt.date(1953, 6, 14), "昭和の年を19xx年と誤記"),  # 昭和53年 read as 1953
        (dt.date(1972, 4, 16), ""),  # three digits apart: a different date
        (dt.date(1978, 6, 41 - 27), ""),  # the same day
    ],
)
def test_era_offset_is_for_review_with_its_reason(birth: dt.date, reason: str) -> None:
    m = compare(HANAKO, replace(HANAKO, birth_date=birth))
    if reason:
        assert m.tier == "review" and any(reason in r for r in m.reasons), m
    elif birth != HANAKO.birth_date:
        assert m.tier == "" and "生年月日が異なる" in m.reasons


def test_month_day_swap_and_twins() -> None:
    swapped = replace(
        HANAKO, birth_date=dt.date(1978, 6, 6), given_name="花", given_name_kana="ハナ"
    )
    assert compare(HANAKO, swapped).tier == ""  # another given name: not the same
    m = compare(
        replace(HANAKO, birth_date=dt.date(1978, 3, 11)),
        replace(HANAKO, birth_date=dt.date(1978, 11, 3)),
    )
    assert m.tier == "review" and "生年月日の月と日が入れ替わっている可能性" in m.reasons
    twin = replace(HANAKO, given_name="桜子", given_name_kana="サクラコ")
    assert compare(HANAKO, twin).tier == ""


def test_two_slips_with_name_and_phone_agreeing_are_for_review() -> None:
    a = replace(HANAKO, birth_date=dt.date(1978 - 63, 6, 14))  # era offset on one side
    b = replace(HANAKO, birth_date=dt.date(1978, 6, 41 - 25))  # a digit slip on the other
    m = compare(a, b)
    assert m.tier == "review" and "生年月日が2か所違う（誤記が重なった可能性）" in m.reasons
    moved = replace(b, phone="0466-99-0000", address="つなぐ市栄町9-9", postal_code="")
    assert compare(a, moved).tier == ""  # nothing but the name: different people


def test_family_and_given_swapped_or_in_one_field() -> None:
    swapped = replace(
        HANAKO,
        family_name="花子",
        given_name="高橋",
        family_name_kana="ハナコ",
        given_name_kana="タカハシ",
    )
    m = compare(HANAKO, swapped)
    assert m.tier == "likely" and "姓と名が入れ替わっている可能性" in m.reasons
    assert pairing_keys(HANAKO) & pairing_keys(swapped)
    whole = replace(
        HANAKO, family_name="高橋花子", given_name="", family_name_kana="タカハシハナコ"
    )
    whole = replace(whole, given_name_kana="")
    assert compare(HANAKO, whole).tier == "likely"


def test_unknown_characters_and_variation_selectors() -> None:
    for written in ("〓橋", "？橋", "■橋", "髙\U000e0100橋"):
        m = compare(HANAKO, replace(HANAKO, family_name=written))
        assert m.tier == "likely", (written, m)
    m = compare(HANAKO, replace(HANAKO, family_name="〓橋", family_name_kana=""))
    assert "外字（〓・？等）の字を除いて氏名一致" in m.reasons
    # 〓 stands for one character only
    assert (
        "外字（〓・？等）の字を除いて氏名一致"
        not in compare(HANAKO, replace(HANAKO, family_name="〓〓橋")).reasons
    )


def test_kanji_only_and_reading_only_are_bridged() -> None:
    kanji_only = replace(HANAKO, family_name_kana="", given_name_kana="")
    reading_only = replace(HANAKO, family_name="タカハシ", given_name="はなこ")
    reading_only = replace(reading_only, family_name_kana="", given_name_kana="")
    m = compare(kanji_only, reading_only)
    assert m.tier in ("likely", "review") and "漢字の氏名と読みだけの氏名を読みで照合" in m.reasons
    assert pairing_keys(kanji_only) & pairing_keys(reading_only)
    pairs = find_pairs([(1, kanji_only), (2, reading_only), (3, HANAKO)], 0.45)
    assert {(a, b) for a, b, _ in pairs} >= {(1, 2)}
    # A reading the records give the kanji otherwise tells two names apart.
    yuki = replace(reading_only, given_name="ゆき")
    pairs = find_pairs([(1, kanji_only), (2, yuki), (3, HANAKO)], 0.45)
    assert (1, 2) not in {(a, b) for a, b, _ in pairs}


def test_romaji_and_katakana_for_foreign_residents() -> None:
    kata = PersonFacts(
        family_name="グエン",
        given_name="ヴァン・アン",
        family_name_kana="グエン",
        given_name_kana="ヴァン・アン",
        birth_date=BIRTH,
        phone="090-1111-2222",
    )
    for romaji in ("NGUYEN VAN ANH", "ANH NGUYEN", "Nguyen Anh"):
        other = PersonFacts(family_name=romaji, birth_date=BIRTH, phone="09011112222")
        m = compare(kata, other)
        assert m.tier == "likely", (romaji, m)
        assert "ローマ字とカタカナの氏名が一致（読み替え）" in m.reasons
        assert pairing_keys(kata) & pairing_keys(other)
    moved = PersonFacts(family_name="NGUYEN ANH", birth_date=BIRTH)
    assert compare(kata, moved).tier == "review"  # no phone or address to confirm
    other = PersonFacts(family_name="TRAN MINH", birth_date=BIRTH, phone="09011112222")
    assert compare(kata, other).tier == ""


@pytest.mark.parametrize(
    "name",
    ["", " ", "〓", "〓〓〓", "🙂🙂", "あ" * 200, "山" * 200, "A" * 200, "ABC山田ヤマダ🙂", "?"],
)
def test_bad_input_never_errors_and_never_matches_alone(name: str) -> None:
    odd = PersonFacts(family_name=name, given_name=name, birth_date=dt.date(1800, 1, 1))
    for other in (HANAKO, odd, PersonFacts(family_name=name)):
        m = compare(odd, other)
        assert 0 <= m.score <= 1
    match_keys(odd)
    query_keys(name, dt.date(1800, 1, 1))
    search(name, None, [(1, HANAKO), (2, odd)])
    assert compare(PersonFacts(family_name="〓"), PersonFacts(family_name="林")).tier == ""


# --------------------------------------------------------------------------- properties

_NAMES = st.sampled_from(
    [
        "高橋",
        "髙橋",
        "〓橋",
        "花子",
        "はなこ",
        "ハナコ",
        "ﾊﾅｺ",
        "NGUYEN",
        "グエン",
        "",
        " ",
        "🙂",
        "山" * 50,
    ]
)
_DATES = st.one_of(
    st.none(), st.dates(min_value=dt.date(1800, 1, 1), max_value=dt.date(2030, 12, 31))
)
_FACTS = st.builds(
    PersonFacts,
    family_name=_NAMES,
    given_name=_NAMES,
    family_name_kana=st.sampled_from(["タカハシ", "たかはし", "", "ﾀｶﾊｼ", "グエン"]),
    given_name_kana=st.sampled_from(["ハナコ", "", "ヴァン・アン"]),
    birth_date=_DATES,
    phone=st.sampled_from(["", "090-1234-5678", "+81 90 1234 5678", "12"]),
    address=st.sampled_from(["", "本町163番地の15", "本町163-15", "〓"]),
)


@settings(max_examples=150, deadline=None)
@given(_FACTS, _FACTS)
def test_compare_is_symmetric_bounded_and_total(a: PersonFacts, b: PersonFacts) -> None:
    m = compare(a, b)
    assert 0 <= m.score <= 1
    assert compare(b, a).score == m.score
    assert m.tier in ("likely", "review", "")
    pairs = find_pairs([(1, a), (2, b)], 0.01)
    assert all(x != y for x, y, _ in pairs)


def test_review_score_is_the_score_compare_gives_from_the_review_tier() -> None:
    """`review_score` skips most pairs of a large block without comparing them: it must agree
    with `compare` on every pair, including dates a slip, an era or two slips apart."""
    rng = random.Random(3)  # noqa: S311 - test data
    base = dt.date(1970, 4, 12)
    births = [
        None,
        base,
        dt.date(1970, 12, 4),
        dt.date(1971, 4, 12),
        dt.date(2033, 4, 12),
        dt.date(1970, 4, 21),
        dt.date(1907, 4, 21),
        dt.date(1955, 8, 3),
    ]
    records = [
        PersonFacts(
            family_name=rng.choice(["佐藤", "Sato", ""]),
            given_name=rng.choice(["花子", "Hanako"]),
            family_name_kana=rng.choice(["サトウ", ""]),
            given_name_kana=rng.choice(["ハナコ", ""]),
            birth_date=rng.choice(births),
            phone=rng.choice(["", "0766-11-2222", "11-2222", "0766-99-0000"]),
            address=rng.choice(["", "富山県射水市戸破1-2", "射水市戸破1-2 ハイツ101"]),
        )
        for _ in range(160)
    ]
    prepared = [matching.prepare(r) for r in records]
    reached = 0
    for i, a in enumerate(records):
        for j, b in enumerate(records):
            expected = matching.compare(a, b).score
            got = matching.review_score(prepared[i], prepared[j])
            if expected >= matching.REVIEW_THRESHOLD:
                reached += 1
                assert got == expected
            else:
                assert got is None
    assert reached > 100


# --------------------------------------------------------------------------- name with a fact

# A namesake: the same name and reading, born in another year on another day, living elsewhere.
NAMESAKE = replace(
    HANAKO,
    birth_date=dt.date(1952, 11, 3),
    phone="0466-77-8899",
    postal_code="251-0099",
    address="神奈川県つなぐ市浜町5丁目6番7号",
)


def test_a_name_alone_does_not_make_a_candidate_pair() -> None:
    shared = match_keys(HANAKO) & match_keys(NAMESAKE)
    assert "n:高橋花子" in shared  # the search box still finds both by the name
    assert pairing_keys(HANAKO) & pairing_keys(NAMESAKE) == set()
    assert matching.candidate_pair_count([HANAKO, NAMESAKE]) == 0
    assert find_pairs([(1, HANAKO), (2, NAMESAKE)], threshold=0.0) == []


@pytest.mark.parametrize(
    ("label", "changes", "kind"),
    [
        # the same year, a slip in the day
        ("birth year", {"birth_date": dt.date(1978, 6, 17)}, "ny:"),
        # an era offset keeps the month and the day (昭和53年 converted as 平成)
        ("birth month and day", {"birth_date": dt.date(1978 + 63, 6, 14)}, "nm:"),
    ],
)
def test_a_name_with_a_second_fact_is_a_candidate_pair(
    label: str, changes: dict[str, object], kind: str
) -> None:
    other = replace(NAMESAKE, **changes, postal_code="")
    shared = pairing_keys(HANAKO) & pairing_keys(other)
    assert shared and all(k.startswith(kind) for k in shared), (label, shared)
    (pair,) = find_pairs([(1, HANAKO), (2, other)], threshold=matching.REVIEW_THRESHOLD)
    assert pair[2].tier == "review", label


def test_the_year_digit_swapped_with_the_month_digit_keys_both_years() -> None:
    """1950-12-03 written 1951-02-03 keeps neither the year nor the month and day."""
    a = replace(NAMESAKE, birth_date=dt.date(1950, 12, 3))
    b = replace(NAMESAKE, birth_date=dt.date(1951, 2, 3), phone="", address="", postal_code="")
    assert compare(a, b).tier == "review"
    shared = pairing_keys(a) & pairing_keys(b)
    assert {k[:8] for k in shared} == {"ny:1950:", "ny:1951:"}  # each date keys both years
    assert shared == {k for k in match_keys(a) if k.startswith("ny:")}
    assert matching.candidate_pair_count([a, b]) == 1


@given(
    st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2030, 12, 31)),
    st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2030, 12, 31)),
)
@settings(max_examples=300, deadline=None)
def test_every_namesake_pair_that_can_reach_review_shares_a_pairing_key(
    x: dt.date, y: dt.date
) -> None:
    """Whatever the two birth dates, a pair of one name that compare sends to review is a
    candidate pair (the name-with-a-fact keys lose none of the pairs the name alone found)."""
    a = replace(NAMESAKE, birth_date=x)
    b = replace(NAMESAKE, birth_date=y, phone="", address="", postal_code="")
    if compare(a, b).score >= matching.REVIEW_THRESHOLD:
        assert pairing_keys(a) & pairing_keys(b)


def test_neighbouring_birth_dates_of_one_name_share_a_pairing_key() -> None:
    """Every slip of the pen and era offset of a date (`_birth_neighbours`)."""
    a = replace(NAMESAKE, birth_date=dt.date(1950, 12, 3))
    for date in matching._birth_neighbours(a.birth_date):  # type: ignore[arg-type]
        b = replace(NAMESAKE, birth_date=date, phone="", address="", postal_code="")
        if compare(a, b).score >= matching.REVIEW_THRESHOLD:
            assert pairing_keys(a) & pairing_keys(b), date


def test_search_looks_up_no_name_with_a_fact_keys() -> None:
    """Person search ranks namesakes by the keys they share with the query, as before."""
    keys = query_keys("高橋 花子", BIRTH)
    assert "n:高橋花子" in keys
    assert not any(k.startswith(matching.NAME_FACT_PREFIXES) for k in keys)


def test_a_record_without_birth_date_meets_namesakes_only_through_a_stronger_key() -> None:
    """Not keyed (a known loss, docs/performance.md): no birth date on one side and only the
    postal code agreeing besides the name. A phone or an address agreeing still pairs them."""
    alone = replace(HANAKO, birth_date=None, phone="", address="")
    assert compare(HANAKO, alone).tier == "review"
    assert pairing_keys(HANAKO) & pairing_keys(alone) == set()
    with_phone = replace(alone, phone=HANAKO.phone)
    assert {k[:2] for k in pairing_keys(HANAKO) & pairing_keys(with_phone)} == {"p:"}


# --- the birth-date bound: pairs passed over before the full comparison ---------------------


def _marks(*records: PersonFacts) -> matching.PairingMarks:
    marks = matching.PairingMarks()
    for pk, r in enumerate(records, start=1):
        marks.add(pk, r.family_name, r.given_name, r.birth_date, r.phone, r.address)
    return marks


def _state_differs(x: dt.date, y: dt.date) -> bool:
    return matching._birth_state(x, y)[0] == matching._DIFFER


def test_birth_differs_is_birth_state_on_every_date_of_the_year_and_every_neighbour() -> None:
    """The integer shortcut of one year (both the month and the day differing) and the
    yyyymmdd form the marks keep agree with `_birth_state` on every date of two years and
    every slip and era offset of a few dates."""
    for x in (dt.date(1950, 12, 3), dt.date(1988, 1, 1), dt.date(1961, 10, 23)):
        others = [x + dt.timedelta(days=n) for n in range(-400, 400)]
        others += list(matching._birth_neighbours(x))
        for y in others:
            expected = _state_differs(x, y)
            assert matching.birth_differs(x, y) == expected, (x, y)
            ymd = (x.year * 10000 + x.month * 100 + x.day, y.year * 10000 + y.month * 100 + y.day)
            assert matching._ymd_differ(*ymd) == expected, (x, y)


@settings(max_examples=300, deadline=None)
@given(
    st.dates(min_value=dt.date(1800, 1, 1), max_value=dt.date(2030, 12, 31)),
    st.integers(min_value=1, max_value=12),
    st.integers(min_value=1, max_value=28),
)
def test_birth_differs_is_birth_state_within_one_year(x: dt.date, month: int, day: int) -> None:
    y = dt.date(x.year, month, day)
    assert matching.birth_differs(x, y) == _state_differs(x, y)


@settings(max_examples=300, deadline=None)
@given(_FACTS, _FACTS)
def test_a_pair_is_passed_over_only_when_compare_caps_it_below_review(
    a: PersonFacts, b: PersonFacts
) -> None:
    """`pair_match` (`birth_caps_conflict`) and find-duplicates' marks (`PairingMarks`) skip
    the full comparison only for a pair `compare` keeps at or below the conflict cap."""
    pa, pb = matching.prepare(a), matching.prepare(b)
    score = matching._compare(pa, pb, explain=False).score
    if matching.birth_caps_conflict(pa, pb):
        assert score <= matching.CAP_CONFLICT
    if not _marks(a, b).uncapped(1, [2]):
        assert matching.birth_caps_conflict(pa, pb)
        assert score <= matching.CAP_CONFLICT


def test_namesakes_of_one_birth_year_are_passed_over_unless_a_slip_or_a_contact_agrees() -> None:
    """One name and birth year (one `ny:` block): born on unrelated days with nothing else in
    common, the pair is passed over; a slip of the pen in the day, 月/日 swapped, a shared phone
    (two slips may then be proposed) keep it, and a pair two slips apart with the phone
    agreeing is still proposed for review."""
    base = replace(NAMESAKE, birth_date=dt.date(1960, 3, 4), phone="", address="")
    unrelated = replace(base, birth_date=dt.date(1960, 7, 21), postal_code="")
    slip = replace(base, birth_date=dt.date(1960, 3, 14))
    swapped = replace(base, birth_date=dt.date(1960, 4, 3))
    marks = _marks(base, unrelated, slip, swapped)
    assert marks.uncapped(1, [2, 3, 4]) == [3, 4]
    r = matching.Readings()
    assert matching.pair_match(matching.prepare(base), matching.prepare(unrelated), r, 0.55) is None
    for other in (slip, swapped):
        assert compare(base, other).tier == "review"

    with_phone = replace(base, phone="0466-77-8899")
    two_slips = replace(with_phone, birth_date=dt.date(1961, 3, 14))  # a year and a day slip
    unrelated_phone = replace(unrelated, phone="0466-77-8899")
    marks = _marks(with_phone, two_slips, unrelated_phone)
    assert marks.uncapped(1, [2, 3]) == [2, 3]  # the full comparison decides
    assert compare(with_phone, two_slips).tier == "review"
    match = matching.pair_match(
        matching.prepare(with_phone), matching.prepare(two_slips), r, matching.REVIEW_THRESHOLD
    )
    assert match is not None and "生年月日が2か所違う（誤記が重なった可能性）" in match.reasons


def test_a_romaji_namesake_born_on_another_day_is_passed_over_even_with_a_shared_phone() -> None:
    """A name in romaji is capped by differing dates whatever agrees (`_compare_romaji`)."""
    a = PersonFacts(
        family_name="NGUYEN",
        given_name="VAN AN",
        birth_date=dt.date(1990, 2, 5),
        phone="09011112222",
    )
    b = replace(a, birth_date=dt.date(1990, 9, 18))
    assert _marks(a, b).uncapped(1, [2]) == []
    assert compare(a, b).score <= matching.CAP_CONFLICT
    assert _marks(a, replace(a, birth_date=dt.date(1990, 2, 15))).uncapped(1, [2]) == [2]


def test_pairing_marks_keep_every_pair_of_a_person_never_added() -> None:
    marks = _marks(NAMESAKE)
    assert marks.uncapped(1, [5, 100]) == [5, 100]
    assert marks.uncapped(7, [1]) == [1]
