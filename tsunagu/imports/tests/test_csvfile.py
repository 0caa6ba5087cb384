"""Reading files: encodings, headers, row shapes. No database."""

from __future__ import annotations

import codecs
import csv

import pytest
from django.test import override_settings

from tsunagu.imports.csvfile import ImportFileError, decode, header_read, scan
from tsunagu.imports.models import ImportKind
from tsunagu.imports.tests.conftest import PERSON_HEADER, PERSONS, csv_text

PERSONS_TEXT = csv_text(PERSONS)


def test_utf8_with_and_without_bom_and_cp932_read_the_same() -> None:
    plain = decode(PERSONS_TEXT.encode("utf-8"))
    bom = decode(codecs.BOM_UTF8 + PERSONS_TEXT.encode("utf-8"))
    cp932 = decode(PERSONS_TEXT.encode("cp932"))
    assert plain.encoding == "UTF-8"
    assert bom.encoding == "UTF-8（BOM付き）"
    assert cp932.encoding == "Shift_JIS（CP932）"
    assert plain.text == bom.text == cp932.text
    assert "\r" not in plain.text and "髙橋" in plain.text


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "空です"),
        (b"  \r\n\r\n", "空です"),
        (codecs.BOM_UTF8, "空です"),
        (b"PK\x03\x04\x14\x00\x06\x00" + bytes(200), "Excel のブック"),
        (codecs.BOM_UTF16_LE + "external_id\n".encode("utf-16-le"), "UTF-16"),
        ("external_id,family_name\nP1,やまだ\n".encode("euc_jp"), "EUC-JP"),
        (bytes(range(256)) * 4, "UTF-8 か Shift_JIS"),
        (b"external_id\nP1\x00\x01\x02\n", "テキストの CSV ファイルではない"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "テキストの CSV ファイルではない"),
    ],
)
def test_unreadable_files_are_refused_with_a_reason(data: bytes, message: str) -> None:
    with pytest.raises(ImportFileError, match=message):
        decode(data)


@override_settings(MAX_IMPORT_BYTES=100)
def test_oversized_data_is_refused() -> None:
    with pytest.raises(ImportFileError, match="大きすぎます"):
        decode(b"a" * 101)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("family_name\n山田\n", "行 1: 見出し: 必須の列がありません: external_id"),
        ("external_id,nickname,memo\nP1,a,b\n", "不明な列があります: nickname, memo"),
        ("external_id,family_name,family_name\nP1,a,b\n", "同じ見出しの列が複数あります"),
        ("external_id,,family_name\nP1,a,b\n", "見出しが空の列があります（2 列目）"),
        ("\n\n" + PERSON_HEADER + "\n\n,,,,\n", "データの行がありません"),
        ('"external_id\n', "データの行がありません"),
    ],
)
def test_header_problems(text: str, message: str) -> None:
    with pytest.raises(ImportFileError, match=message):
        scan(text, ImportKind.PERSONS)


def test_a_consultations_file_given_as_persons_says_so() -> None:
    text = "external_id,received_at,channel\nC1,2026-04-01 10:00,phone\n"
    with pytest.raises(ImportFileError, match="相談のファイルではありませんか"):
        header_read(text, ImportKind.PERSONS)


def test_header_is_case_and_space_insensitive_and_trailing_empty_columns_are_fine() -> None:
    header = header_read(" External_ID , Family_Name ,,\nP1,山田,,\n", ImportKind.PERSONS)
    assert header.columns == ["external_id", "family_name"]


def test_row_shape_errors_name_the_line() -> None:
    text = (
        "\n"  # a blank first line: the header is on line 2
        "external_id,family_name\n"
        "P1,山田\n"
        "\n"
        "P2,佐藤,余分\n"
        'P3,"複数行の\n名前"\n'
        "P4\n"
        "P1,重複\n"
        ",,\n"  # Excel's emptied row: blank
        "P5,,\n"  # trailing empty cells are fine
    )
    result = scan(text, ImportKind.PERSONS)
    assert result.total_rows == 6
    assert [str(e) for e in result.errors] == [
        "行 5: 列の数が見出しと違います（見出し 2 列、この行 3 列）",
        "行 8: 列の数が見出しと違います（見出し 2 列、この行 1 列）",
        "行 9: external_id: 同じ external_id の行がこのファイルの行 3 にもあります",
    ]


def test_an_unclosed_quote_is_reported_where_it_starts() -> None:
    text = 'external_id,family_name,given_name\nP1,"山田,一郎\nP2,佐藤,次郎\nP3,鈴木,三郎\n'
    (error,) = scan(text, ImportKind.PERSONS).errors
    assert error.line == 2
    assert "行 2〜4 が1行として読まれました" in error.message


def test_a_field_over_the_csv_limit_is_an_error_not_a_crash() -> None:
    huge = "x" * (csv.field_size_limit() + 10)
    text = f"external_id,family_name\nP1,a\nP2,{huge}\nP3,b\n"
    result = scan(text, ImportKind.PERSONS)
    assert [str(e) for e in result.errors] == [
        f"行 3: 項目が長すぎます（1項目 {csv.field_size_limit():,} 文字まで）"
    ]
    with pytest.raises(ImportFileError, match="行 1: 項目が長すぎます"):
        scan(f"{huge}\n", ImportKind.PERSONS)
