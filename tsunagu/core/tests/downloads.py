"""Reading an encrypted export the way staff do: the one-time password off the page, then the
archive the page carries (core/archive.py)."""

from __future__ import annotations

import base64
import io
import re
from typing import Any

import pyzipper

PASSWORD = re.compile(r"data-password>([^<]+)<")
ARCHIVE = re.compile(r'href="data:application/zip;base64,([A-Za-z0-9+/=]+)"')


def unzip_download(response: Any, password: str | None = None) -> dict[str, bytes]:
    """The files of the archive on an encrypted-download page (name → content)."""
    assert response.status_code == 200, response.status_code
    page = response.content.decode()
    if password is None:
        shown = PASSWORD.search(page)
        assert shown is not None, "no one-time password on the page"
        password = shown.group(1)
    found = ARCHIVE.search(page)
    assert found is not None, "no archive on the page"
    data = base64.b64decode(found.group(1))
    with pyzipper.AESZipFile(io.BytesIO(data)) as archive:
        archive.setpassword(password.encode())
        return {name: archive.read(name) for name in archive.namelist()}


def download_text(response: Any) -> str:
    """The one file of the archive, as text (UTF-8, BOM dropped)."""
    files = unzip_download(response)
    assert len(files) == 1, sorted(files)
    return next(iter(files.values())).decode("utf-8-sig")


ARCHIVE_PASSWORD = "test-export-key"  # set as EXPORT_ARCHIVE_PASSWORD by `pairs_read`'s users


def pairs_read(path: Any) -> list[dict[str, str]]:
    """The rows of the CSV inside an encrypted `find-duplicates` archive written under the
    configured key `ARCHIVE_PASSWORD`."""
    import csv

    with pyzipper.AESZipFile(path) as archive:
        archive.setpassword(ARCHIVE_PASSWORD.encode())
        text = archive.read("duplicates.csv").decode("utf-8")
    return list(csv.DictReader(io.StringIO(text)))
