"""Backup and restore round trip: every table and every uploaded file comes back identical, on
SQLite and on PostgreSQL, natively and in the logical format; a non-empty database is refused;
a wrong key, a changed byte or a cut file is refused with nothing written; the file holds no
readable personal data; making a backup is in the access log."""

from __future__ import annotations

from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django_otp.plugins.otp_totp.models import TOTPDevice

from tsunagu.access.chain import GENESIS, chain_verify
from tsunagu.access.models import AccessLog, AuditChainHead
from tsunagu.access.tests.test_every_endpoint import records  # noqa: F401  (fixture)
from tsunagu.accounts.models import User
from tsunagu.accounts.tokens import api_token_create
from tsunagu.backup.services import NOT_KEPT, BackupError, backup_create, backup_restore

pytestmark = pytest.mark.django_db(transaction=True)
KEY = "correct horse battery staple 2026"


def every_table() -> dict[str, list[dict[str, Any]]]:
    """All rows of every table (many-to-many tables included), but sessions."""
    out = {}
    for model in apps.get_models(include_auto_created=True):
        label = model._meta.label_lower
        if label in NOT_KEPT or not model._meta.managed or model._meta.proxy:
            continue
        out[label] = list(model._base_manager.order_by("pk").values())
    return out


def files_under(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


@pytest.fixture
def media(tmp_path: Path, settings: Any) -> Path:
    root = tmp_path / "media"
    (root / "imports" / "2026").mkdir(parents=True)
    (root / "imports" / "2026" / "本人一覧.csv").write_bytes("氏名\n井上 節子\n".encode("cp932"))
    (root / "note.bin").write_bytes(bytes(range(256)) * 10)
    settings.MEDIA_ROOT = root
    settings.BACKUP_KEY = KEY
    return root


@pytest.mark.parametrize("logical", [False, True], ids=["native", "logical"])
def test_round_trip_restores_every_table_and_file(
    logical: bool,
    records: dict[str, int],  # noqa: F811
    counselor: User,
    manager: User,
    media: Path,
    tmp_path: Path,
) -> None:
    api_token_create(user=counselor, label="連携")
    TOTPDevice.objects.create(user=counselor, name="app", confirmed=True)
    before = every_table()
    before_files = files_under(media)
    assert sum(len(rows) for rows in before.values()) > 50
    target = tmp_path / "nightly.tsunagu-backup"
    report = backup_create(path=target, operator="ops", logical=logical)
    assert report.method == (
        "logical" if logical else {"sqlite": "sqlite", "postgresql": "pg_dump"}[connection.vendor]
    )
    assert report.files == 2
    # logged: one export row for the whole backup
    row = AccessLog.objects.get(object_type="backup")
    assert row.action == "export" and row.operator == "ops" and row.object_id == target.name
    # nothing readable in the file
    raw = target.read_bytes()
    assert "井上".encode() not in raw and "井上".encode("cp932") not in raw
    assert b"SQLite format" not in raw and b"PGDMP" not in raw

    # a database with records is refused, and nothing changes
    with pytest.raises(BackupError, match="データがある"):
        backup_restore(path=target, operator="ops")

    call_command("flush", interactive=False, verbosity=0)
    # what `migrate` leaves in a new database: the empty head of the log's chain
    AuditChainHead.objects.create(pk=1, last_hash=GENESIS, count=0)
    for path in sorted(media.rglob("*"), reverse=True):
        path.unlink() if path.is_file() else path.rmdir()
    restored = backup_restore(path=target, operator="ops")
    assert restored.files == 2

    after = every_table()
    log = after["access.accesslog"]
    assert [r["object_type"] for r in log if r["object_type"] in ("backup", "restore")] == [
        "restore"
    ]  # the backup's own row was written after the snapshot; the restore adds its row
    after["access.accesslog"] = [r for r in log if r["object_type"] != "restore"]
    # the hash chain goes on from the restored log: one row more on the shared chain (head 1:
    # the restore's row names no organization; the head is absent before when no such row was
    # written since the database was last flushed), the other chains as they were; it verifies
    heads_before = {h["id"]: h["count"] for h in before.pop("access.auditchainhead")}
    heads_after = {h["id"]: h["count"] for h in after.pop("access.auditchainhead")}
    assert heads_after == {**heads_before, 1: heads_before.get(1, 0) + 1}
    assert chain_verify() is None
    assert after.keys() == before.keys()
    for label in before:
        assert after[label] == before[label], label
    assert files_under(media) == before_files
    # the restored system works: a new record gets a fresh id
    api_token_create(user=User.objects.get(username="counselor"))


def test_a_wrong_key_a_changed_byte_or_a_cut_file_is_refused(
    counselor: User, media: Path, tmp_path: Path, settings: Any
) -> None:
    target = tmp_path / "b.tsunagu-backup"
    backup_create(path=target, operator="ops")
    with pytest.raises(BackupError, match="既にあります"):
        backup_create(path=target, operator="ops")  # never overwrites
    call_command("flush", interactive=False, verbosity=0)
    for path in sorted(media.rglob("*"), reverse=True):
        path.unlink() if path.is_file() else path.rmdir()
    data = target.read_bytes()
    changed = bytearray(data)
    changed[len(data) // 2] ^= 0x01
    cases = {
        "changed": bytes(changed),
        "cut": data[: len(data) - 100],
        "extended": data + b"\x00" * 20,
        "not a backup": b"hello" * 100,
    }
    for name, content in cases.items():
        bad = tmp_path / f"{name}.bin"
        bad.write_bytes(content)
        with pytest.raises(BackupError):
            backup_restore(path=bad, operator="ops")
    settings.BACKUP_KEY = "another key of enough length"
    with pytest.raises(BackupError, match="鍵"):
        backup_restore(path=target, operator="ops")
    assert not User.objects.exists() and not any(media.iterdir())
    settings.BACKUP_KEY = "short"
    with pytest.raises(BackupError, match="20 文字以上"):
        backup_create(path=tmp_path / "c", operator="ops")


def test_commands(counselor: User, media: Path, tmp_path: Path, settings: Any) -> None:
    out = StringIO()
    target = tmp_path / "cmd.tsunagu-backup"
    call_command("backup", str(target), "--user", "counselor", stdout=out)
    assert "暗号化済み" in out.getvalue()
    assert AccessLog.objects.get(object_type="backup").user == counselor
    with pytest.raises(CommandError, match="データがある"):
        call_command("restore", str(target), stdout=StringIO())
    settings.BACKUP_KEY = ""
    with pytest.raises(CommandError, match="TSUNAGU_BACKUP_KEY"):
        call_command("backup", str(tmp_path / "x"), stdout=StringIO())
