"""Bulk exports of personal data are encrypted archives (AES-256 ZIP) with a one-time password
shown once on the page, or the city's configured key; the export is logged."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import override_settings

from conftest import client_for, make_user
from tsunagu.access.models import AccessLog
from tsunagu.accounts.models import Role, User
from tsunagu.core.archive import PASSWORD_LENGTH, encrypted_zip
from tsunagu.core.tests.downloads import ARCHIVE, PASSWORD, unzip_download
from tsunagu.organizations.models import Municipality
from tsunagu.people.services import PersonData, person_create


def test_an_archive_is_aes_encrypted_and_needs_its_password() -> None:
    import pyzipper

    data = encrypted_zip({"a.csv": "氏名\n山田\n".encode()}, "s3cret-pass")
    with zipfile.ZipFile(io.BytesIO(data)) as plain:
        info = plain.infolist()[0]
        assert info.flag_bits & 0x1 and info.compress_type == 99  # encrypted, WinZip AES
        assert "山田".encode() not in data
    with pyzipper.AESZipFile(io.BytesIO(data)) as archive:
        archive.setpassword(b"wrong")
        with pytest.raises(RuntimeError):
            archive.read("a.csv")
        archive.setpassword(b"s3cret-pass")
        assert archive.read("a.csv").decode() == "氏名\n山田\n"


def test_the_access_log_export_is_an_archive_with_a_one_time_password(
    counselor: User, city: Municipality
) -> None:
    person = person_create(user=counselor, data=PersonData(family_name="鈴鹿", given_name="花子"))
    boss = make_user(city, "hokatsu-kita", Role.MANAGER, "boss")
    url = f"/people/{person.pk}/access-log/?format=csv"
    first, second = client_for(boss).get(url), client_for(boss).get(url)
    assert "no-store" in first["Cache-Control"] and "鈴鹿" not in first.content.decode()
    passwords = [PASSWORD.search(r.content.decode()) for r in (first, second)]
    assert all(p and len(p.group(1)) == PASSWORD_LENGTH for p in passwords)
    assert passwords[0].group(1) != passwords[1].group(1)  # type: ignore[union-attr]
    files = unzip_download(first)
    assert list(files) == [f"access-log-{person.pk}.csv"]
    assert "登録" in files[f"access-log-{person.pk}.csv"].decode("utf-8-sig")
    exports = AccessLog.objects.filter(person=person, action=AccessLog.Action.EXPORT)
    assert exports.count() == 2 and exports.first().user == boss  # type: ignore[union-attr]


@override_settings(EXPORT_ARCHIVE_PASSWORD="city-key-2026")
def test_the_citys_configured_key_is_used_and_not_shown(
    counselor: User, city: Municipality
) -> None:
    person = person_create(user=counselor, data=PersonData(family_name="暗号", given_name="次郎"))
    boss = make_user(city, "hokatsu-kita", Role.MANAGER, "boss")
    response = client_for(boss).get(f"/records/persons/{person.pk}/disclosure/")
    page = response.content.decode()
    assert PASSWORD.search(page) is None and "city-key-2026" not in page
    assert ARCHIVE.search(page) is not None and "市で定めた" in page
    files = unzip_download(response, password="city-key-2026")
    assert "暗号" in files[f"disclosure-{person.pk}.json"].decode()


def test_find_duplicates_writes_an_encrypted_archive(tmp_path: Path, counselor: User) -> None:
    for given in ("一郎", "一郎"):
        person_create(
            user=counselor,
            data=PersonData(
                family_name="重複",
                given_name=given,
                family_name_kana="ちょうふく",
                birth_date=dt.date(1950, 1, 1),
            ),
        )
    out, err = io.StringIO(), io.StringIO()
    target = tmp_path / "pairs.zip"
    call_command("find_duplicates", output=str(target), stdout=out, stderr=err)
    shown = re.search(r"パスワード（今回かぎり、ここにだけ表示）: (\S+)", err.getvalue())
    assert shown is not None
    import pyzipper

    with pyzipper.AESZipFile(target) as archive:
        archive.setpassword(shown.group(1).encode())
        text = archive.read("duplicates.csv").decode()
    assert text.startswith("external_id_a,") and len(text.splitlines()) == 2
