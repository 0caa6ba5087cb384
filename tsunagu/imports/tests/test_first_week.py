"""Issue 7, class 5 (words staff understand) in imports: the consultation CSV takes the labels
staff see on screen as well as the codes; half-width kana and full-width digits are stored
normalised, from a CSV or a form alike."""

from __future__ import annotations

from pathlib import Path

from conftest import client_for
from tsunagu.accounts.models import User
from tsunagu.consultations.models import Consultation
from tsunagu.imports.tests.conftest import CONSULTATION_HEADER, PERSON_HEADER, write
from tsunagu.imports.tests.test_commands import fails, run
from tsunagu.people.models import Person


def test_consultation_csv_accepts_the_labels_staff_see(tmp_path: Path, counselor: User) -> None:
    run(
        "import_persons",
        write(tmp_path / "p.csv", [PERSON_HEADER, "P1,山田,一郎,やまだ,いちろう,,,,,"]),
        counselor,
    )
    path = write(
        tmp_path / "c.csv",
        [
            CONSULTATION_HEADER,
            "C1,P1,,R8/4/1 9:30,窓口,本人,,介護,収入・生活費、ひきこもり・不登校,"
            "母の介護,継続支援,新規",
            "C2,P1,,2026/04/02 10:00,電話,家族,,8050,,電話で相談,情報提供・助言,継続",
            "C3,P1,,2026/04/03 10:00,ＬＩＮＥ,民生委員,,ダブルケア,介護;子育て,相談,つなぎ,1",
            "C4,P1,,2026/04/04 10:00,phone,family,,care,income,コードでも,ongoing,0",
        ],
    )
    run("import_consultations", path, counselor)
    rows = {
        c.external_id: c for c in Consultation.dangerously_unscoped.prefetch_related("topics").all()
    }
    c1 = rows["C1"]
    assert (c1.channel, c1.requester, c1.main_topic, c1.response, c1.is_new) == (
        "window",
        "self",
        "care",
        "ongoing",
        True,
    )
    assert {t.topic for t in c1.topics.all()} == {"care", "income", "hikikomori"}
    assert (rows["C2"].channel, rows["C2"].requester, rows["C2"].is_new) == (
        "phone",
        "family",
        False,
    )
    assert rows["C2"].main_topic == "8050" and rows["C2"].response == "information"
    assert (rows["C3"].channel, rows["C3"].requester) == ("line", "minsei_iin")
    assert {t.topic for t in rows["C3"].topics.all()} == {"double_care", "care", "childcare"}
    assert rows["C4"].channel == "phone"  # codes still work


def test_an_unknown_label_is_refused_with_the_codes_and_labels(
    tmp_path: Path, counselor: User
) -> None:
    path = write(
        tmp_path / "c.csv",
        [CONSULTATION_HEADER, "C1,,近所の方,2026/04/01 9:30,FAX,本人,,介護,,内容,継続支援,1"],
    )
    _, err = fails("import_consultations", path, counselor)
    assert "channel: 相談方法の値が不正です" in err and "window（窓口）" in err


def test_half_width_kana_and_full_width_digits_are_stored_normalised(
    tmp_path: Path, counselor: User
) -> None:
    run(
        "import_persons",
        write(
            tmp_path / "p.csv",
            [PERSON_HEADER, "P1,ﾀﾅｶ,ﾊﾟﾝﾀﾞ,ﾀﾅｶ,ｼﾞﾛｳ,,,,北町１丁目２番,０７６６－１１－２２２２"],
        ),
        counselor,
    )
    person = Person.dangerously_unscoped.get(external_id="P1")
    assert (person.family_name, person.given_name) == ("タナカ", "パンダ")
    assert (person.family_name_kana, person.given_name_kana) == ("タナカ", "ジロウ")
    assert person.address == "北町1丁目2番" and person.phone == "0766-11-2222"
    # the form too: one rule for every way in
    client = client_for(counselor)
    client.post("/people/new/", {"family_name": "ｽｽﾞｷ", "family_name_kana": "ｽｽﾞｷ"})
    typed = Person.dangerously_unscoped.exclude(external_id="P1").get()
    assert typed.family_name == "スズキ" and typed.family_name_kana == "スズキ"
    # and she is still found by what an agency's system would type
    found = client.get("/people/?q=ｽｽﾞｷ").content.decode()
    assert f"/people/{typed.pk}/" in found


def test_japanese_column_headers_are_accepted_and_errors_name_columns_in_japanese(
    tmp_path: Path, counselor: User
) -> None:
    path = write(
        tmp_path / "p.csv",
        [
            "機関システムのID,姓,名,セイ,メイ,生年月日,性別,郵便番号,住所,電話番号",
            "J1,山田,花,ヤマダ,ハナ,S23.3.3,女,,,",
        ],
    )
    run("import_persons", path, counselor)
    person = Person.dangerously_unscoped.get(external_id="J1")
    assert person.family_name_kana == "ヤマダ" and str(person.birth_date) == "1948-03-03"
    bad = write(tmp_path / "b.csv", ["ID,姓,生年月日", "J2,山田,昭和64年1月8日"])
    _, err = fails("import_persons", bad, counselor)
    assert "行 2: birth_date: 昭和64年1月8日はありません" in err
    from tsunagu.imports.csvfile import RowError

    assert RowError(2, "birth_date", "x").column_label == "birth_date（生年月日）"
