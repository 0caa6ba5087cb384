"""Bulk exports of personal data leave the system only as encrypted archives: a ZIP encrypted
with AES-256 (pyzipper, WinZip AE-2; 7-Zip, Windows 11's own Explorer and macOS archivers open
it) under a password that is either the city's configured key (`EXPORT_ARCHIVE_PASSWORD`,
handed to staff out of band) or, when none is configured, a one-time password made for this
download, shown once on the page that offers it and stored nowhere.

`encrypted_download` is the one way a screen hands over such an export: the page shows the
password and carries the archive itself (a `data:` link with the file name), so that no copy
of the archive stays on the server. The caller has already logged the export (access log,
action `export`), as every personal-data export does.
"""

from __future__ import annotations

import base64
import hashlib
import io
import secrets
from dataclasses import dataclass

import pyzipper
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

# no 0/O, 1/l/I: read off the screen and typed into an archiver
ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789"
PASSWORD_LENGTH = 16


def one_time_password() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(PASSWORD_LENGTH))


def encrypted_zip(files: dict[str, bytes], password: str) -> bytes:
    """A ZIP of `files` (name → content), each encrypted with AES-256 under `password`."""
    buffer = io.BytesIO()
    with pyzipper.AESZipFile(
        buffer, "w", compression=pyzipper.ZIP_DEFLATED, encryption=pyzipper.WZ_AES
    ) as archive:
        archive.setpassword(password.encode("utf-8"))
        archive.setencryption(pyzipper.WZ_AES, nbits=256)
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


@dataclass(frozen=True)
class Archive:
    name: str  # the ZIP's file name
    data: bytes
    password: str  # empty when the city's configured key was used
    configured: bool


def archive_make(*, name: str, files: dict[str, bytes]) -> Archive:
    configured: str = getattr(settings, "EXPORT_ARCHIVE_PASSWORD", "") or ""
    password = configured or one_time_password()
    return Archive(
        name=name,
        data=encrypted_zip(files, password),
        password="" if configured else password,
        configured=bool(configured),
    )


def _seal_key() -> bytes:
    return hashlib.sha256(f"tsunagu.core.archive.seal:{settings.SECRET_KEY}".encode()).digest()


def password_seal(password: str) -> str:
    """A one-time password that must wait for its page (an archive made by a background task)
    kept sealed under a key derived from the server's secret key (AES-GCM), so that the
    database, or a backup of it, alone never holds it in clear. Erase it once shown."""
    nonce = secrets.token_bytes(12)
    sealed = AESGCM(_seal_key()).encrypt(nonce, password.encode("utf-8"), None)
    return base64.b64encode(nonce + sealed).decode("ascii")


def password_unseal(sealed: str) -> str:
    """The password `password_seal` sealed; "" when it cannot be opened (another secret key)."""
    try:
        raw = base64.b64decode(sealed)
        return AESGCM(_seal_key()).decrypt(raw[:12], raw[12:], None).decode("utf-8")
    except (InvalidTag, ValueError):
        return ""


def encrypted_download(
    request: HttpRequest, *, name: str, files: dict[str, bytes], title: str
) -> HttpResponse:
    """The page that hands over an encrypted export: the password once, and the archive."""
    archive = archive_make(name=name, files=files)
    response = render(
        request,
        "core/encrypted_download.html",
        {
            "title": title,
            "archive": archive,
            "href": "data:application/zip;base64," + base64.b64encode(archive.data).decode(),
            "contents": sorted(files),
        },
    )
    response["Cache-Control"] = "no-store"
    return response
