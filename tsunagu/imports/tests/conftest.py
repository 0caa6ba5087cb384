"""CSV files as the agencies' systems write them, built in the tests (no personal data)."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

PERSON_HEADER = (
    "external_id,family_name,given_name,family_name_kana,given_name_kana,"
    "birth_date,sex,postal_code,address,phone"
)
PERSONS = [
    PERSON_HEADER,
    "P001,山田,一郎,やまだ,いちろう,1972/05/01,男性,939-0000,北町1丁目2番3号,0766-00-0000",
    # CP932-only characters (髙, ①) and half-width kana, as Japanese Excel writes them
    "P002,髙橋,花子,ﾀｶﾊｼ,ﾊﾅｺ,1980-12-31,female,,南町①,",
    "",
    'P003,佐藤,"次郎",さとう,じろう,,unknown,,"東町4-5, 2階",',
]
CONSULTATION_HEADER = (
    "external_id,person_external_id,anonymous_label,received_at,channel,requester,"
    "requester_detail,main_topic,topics,content,response,is_new"
)
CONSULTATIONS = [
    CONSULTATION_HEADER,
    "C001,P001,,2026/04/01 09:30,window,family,,8050,hikikomori;income,"
    '"<script>alert(1)</script>80代の母と50代の息子。\n息子は20年ひきこもり。",referral,1',
    "C002,,近所の高齢女性,2026-04-02T14:00,phone,resident,民生委員から,isolation,,"
    "見守りの相談,information,true",
    "C003,P002,,2026-05-10 10:05:00,visit,self,,income,debt;rent_loan,家賃の滞納,ongoing,0",
]


def csv_text(lines: list[str]) -> str:
    return "\r\n".join(lines) + "\r\n"


def write(path: Path, lines: list[str], encoding: str = "utf-8", bom: bool = False) -> Path:
    data = csv_text(lines).encode(encoding)
    path.write_bytes((codecs.BOM_UTF8 if bom else b"") + data)
    return path


@pytest.fixture
def persons_csv(tmp_path: Path) -> Path:
    return write(tmp_path / "persons.csv", PERSONS)


@pytest.fixture
def consultations_csv(tmp_path: Path) -> Path:
    return write(tmp_path / "consultations.csv", CONSULTATIONS)
