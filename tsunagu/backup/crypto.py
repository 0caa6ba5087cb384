"""Authenticated encryption of a backup file, streamed in chunks (AES-256-GCM).

The key comes from a passphrase (`TSUNAGU_BACKUP_KEY`) through scrypt with a random salt kept
in the file's header. The stream is cut into chunks of at most 1 MiB; each is sealed with a
nonce made of a random prefix, the chunk's number and a last-chunk flag, and with the header
as associated data (the STREAM construction): a changed, removed, reordered or truncated chunk,
a changed header or a wrong key all fail to decrypt, and nothing past the failure is used.

Layout: MAGIC | salt (16) | scrypt log2(n), r, p (3) | nonce prefix (7) | chunks, each
4-byte big-endian length + ciphertext with its 16-byte tag.
"""

from __future__ import annotations

import os
import struct
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

MAGIC = b"TSUNAGU-BACKUP\x00\x01"
CHUNK = 1024 * 1024
SCRYPT_LOG2_N, SCRYPT_R, SCRYPT_P = 15, 8, 1
MIN_PASSPHRASE = 20


class BackupCryptoError(Exception):
    """The file cannot be decrypted: wrong key, damaged or not a backup."""


def _key(passphrase: str, salt: bytes, log2_n: int, r: int, p: int) -> bytes:
    if len(passphrase) < MIN_PASSPHRASE:
        raise BackupCryptoError(
            f"バックアップの鍵（TSUNAGU_BACKUP_KEY）は {MIN_PASSPHRASE} 文字以上にしてください"
        )
    if not (10 <= log2_n <= 22 and 1 <= r <= 32 and 1 <= p <= 16):
        raise BackupCryptoError("バックアップのファイルではないか、壊れています")
    kdf = Scrypt(salt=salt, length=32, n=2**log2_n, r=r, p=p)
    return kdf.derive(passphrase.encode())


def _nonce(prefix: bytes, counter: int, last: bool) -> bytes:
    return prefix + struct.pack(">I", counter) + (b"\x01" if last else b"\x00")


def encrypt_stream(src: BinaryIO, dst: BinaryIO, passphrase: str) -> int:
    """Encrypt all of `src` into `dst`; returns the number of plaintext bytes."""
    salt, prefix = os.urandom(16), os.urandom(7)
    header = MAGIC + salt + bytes([SCRYPT_LOG2_N, SCRYPT_R, SCRYPT_P]) + prefix
    aead = AESGCM(_key(passphrase, salt, SCRYPT_LOG2_N, SCRYPT_R, SCRYPT_P))
    dst.write(header)
    total, counter = 0, 0
    chunk = src.read(CHUNK)
    while True:
        following = src.read(CHUNK)
        last = not following
        sealed = aead.encrypt(_nonce(prefix, counter, last), chunk, header)
        dst.write(struct.pack(">I", len(sealed)) + sealed)
        total += len(chunk)
        if last:
            return total
        counter += 1
        if counter >= 2**32:
            raise BackupCryptoError("バックアップが大きすぎます")
        chunk = following


def decrypt_stream(src: BinaryIO, dst: BinaryIO, passphrase: str) -> int:
    """Decrypt `src` into `dst`; raises BackupCryptoError on any damage or a wrong key."""
    header = src.read(len(MAGIC) + 16 + 3 + 7)
    if len(header) != len(MAGIC) + 26 or not header.startswith(MAGIC):
        raise BackupCryptoError("tsunagu のバックアップファイルではありません")
    salt = header[len(MAGIC) : len(MAGIC) + 16]
    log2_n, r, p = header[len(MAGIC) + 16 : len(MAGIC) + 19]
    prefix = header[len(MAGIC) + 19 :]
    aead = AESGCM(_key(passphrase, salt, log2_n, r, p))
    total, counter = 0, 0
    while True:
        size_bytes = src.read(4)
        if len(size_bytes) != 4:
            raise BackupCryptoError("バックアップファイルが途中で切れています")
        (size,) = struct.unpack(">I", size_bytes)
        if size > CHUNK + 16:
            raise BackupCryptoError("バックアップファイルが壊れています")
        sealed = src.read(size)
        if len(sealed) != size:
            raise BackupCryptoError("バックアップファイルが途中で切れています")
        last = _at_end(src)
        try:
            chunk = aead.decrypt(_nonce(prefix, counter, last), sealed, header)
        except InvalidTag as exc:
            raise BackupCryptoError(
                "復号できません: 鍵（TSUNAGU_BACKUP_KEY）が違うか、ファイルが壊れています"
            ) from exc
        dst.write(chunk)
        total += len(chunk)
        if last:
            return total
        counter += 1


def _at_end(src: BinaryIO) -> bool:
    position = src.tell()
    more = src.read(1)
    src.seek(position)
    return not more
