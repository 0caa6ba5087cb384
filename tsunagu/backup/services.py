"""Backup and restore: the whole database and the uploaded files, in one encrypted file.

The database part is, by engine:
- SQLite: a copy made with SQLite's online backup API (consistent while the app runs);
- PostgreSQL: `pg_dump --format=custom` (one consistent snapshot) when pg_dump is installed and
  matches the server, otherwise a logical dump of every table made inside one
  REPEATABLE READ, READ ONLY transaction (also consistent);
- either engine with `logical=True`: the logical dump, which restores into the other engine too
  (e.g. from a trial on SQLite into production on PostgreSQL).
Sessions are not kept: a restored system starts with everybody signed out.

A restore refuses a database that holds any record (only the rows `migrate` makes by itself,
content types and permissions, may be there), and a non-empty media directory.
"""

from __future__ import annotations

import datetime as dt
import getpass
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

from django.apps import apps
from django.conf import settings
from django.core import serializers
from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

from tsunagu.access.models import AccessLog
from tsunagu.access.services import access_log_operation
from tsunagu.accounts.models import User
from tsunagu.backup.crypto import BackupCryptoError, decrypt_stream, encrypt_stream
from tsunagu.core.partitioning import partitioned_tables

FORMAT = 1
MANIFEST = "manifest.json"
MEDIA_PREFIX = "media/"
# Rows `migrate` writes by itself (content types, permissions, the empty head of the access
# log's hash chain): a freshly migrated database still counts as empty, and a restore replaces
# them with the backup's.
MIGRATE_MADE = {"contenttypes.contenttype", "auth.permission", "access.auditchainhead"}
# Not kept: sessions (a restored system starts signed out).
NOT_KEPT = {"accounts.usersession", "sessions.session"}


class BackupError(Exception):
    """A backup or restore that cannot be done; the message says why, in Japanese."""


@dataclass
class BackupReport:
    path: Path
    method: str
    tables: dict[str, int]
    files: int
    bytes_written: int
    notes: list[str] = field(default_factory=list)


def backup_key() -> str:
    key = str(getattr(settings, "BACKUP_KEY", "") or "")
    if not key:
        raise BackupError(
            "バックアップの鍵がありません。環境変数 TSUNAGU_BACKUP_KEY に20文字以上の合言葉を"
            "設定してください（鍵はバックアップとは別の場所に保管します）"
        )
    return key


def kept_models() -> list[type[models.Model]]:
    """Every concrete table the backup keeps, many-to-many tables included (as rows of their
    own, so that even their ids come back as they were)."""
    return [
        m
        for m in apps.get_models(include_auto_created=True)
        if m._meta.managed and not m._meta.proxy and m._meta.label_lower not in NOT_KEPT
    ]


def _manager(model: type[models.Model]) -> models.Manager[Any]:
    # unscoped: a backup is all of every table, whatever the scoped managers of personal-data
    # models would show one user; it is logged once, as one export of everything
    return model._base_manager


def table_counts() -> dict[str, int]:
    return {m._meta.label_lower: _manager(m).count() for m in kept_models()}


def _migrations() -> list[list[str]]:
    recorder = MigrationRecorder(connection)
    if not recorder.has_table():
        return []
    return sorted([app, name] for app, name in recorder.applied_migrations())


def _media_files() -> Iterator[tuple[Path, str]]:
    root = Path(settings.MEDIA_ROOT)
    if not root.is_dir():
        return
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.is_symlink():
            yield path, path.relative_to(root).as_posix()


# --- backup -------------------------------------------------------------------------------


def backup_create(
    *, path: Path, operator: str = "", user: User | None = None, logical: bool = False
) -> BackupReport:
    """Write an encrypted backup of the database and the uploaded files to `path`, then record
    that it was made in the access log (an export of everything)."""
    key = backup_key()
    path = Path(path)
    if path.exists():
        raise BackupError(f"{path} は既にあります。別の名前を指定してください")
    notes: list[str] = []
    with tempfile.TemporaryDirectory(prefix="tsunagu-backup-") as tmp:
        work = Path(tmp)
        os.chmod(work, 0o700)
        if logical:
            method = "logical"
            database, tables = _dump_logical(work)
        elif connection.vendor == "sqlite":
            method = "sqlite"
            database, tables = _dump_sqlite(work)
        elif connection.vendor == "postgresql":
            try:
                method = "pg_dump"
                database, tables = _dump_pg(work)
            except BackupError as exc:
                notes.append(f"pg_dump を使えないため論理ダンプにしました: {exc}")
                method = "logical"
                database, tables = _dump_logical(work)
        else:
            method = "logical"
            database, tables = _dump_logical(work)
        files = list(_media_files())
        manifest = {
            "format": FORMAT,
            "created_at": timezone.now().isoformat(),
            "vendor": connection.vendor,
            "method": method,
            "database": database.name,
            "migrations": _migrations(),
            "tables": tables,
            "files": [name for _, name in files],
        }
        archive = work / "backup.tar"
        with tarfile.open(archive, "w:gz") as tar:
            data = json.dumps(manifest, ensure_ascii=False, indent=1).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
            tar.add(database, arcname=database.name)
            for file_path, name in files:
                tar.add(file_path, arcname=MEDIA_PREFIX + name)
        partial = path.with_name(path.name + ".partial")
        try:
            with archive.open("rb") as src, open(partial, "xb") as dst:
                os.chmod(partial, 0o600)
                encrypt_stream(src, dst, key)
            partial.replace(path)
        except BackupCryptoError as exc:
            partial.unlink(missing_ok=True)
            raise BackupError(str(exc)) from exc
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
    access_log_operation(
        operator=operator or _os_login(),
        user=user,
        action=AccessLog.Action.EXPORT,
        object_type="backup",
        object_ids=(path.name,),
    )
    return BackupReport(
        path=path,
        method=method,
        tables=tables,
        files=len(files),
        bytes_written=path.stat().st_size,
        notes=notes,
    )


def _os_login() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def _dump_sqlite(work: Path) -> tuple[Path, dict[str, int]]:
    """SQLite's online backup: one step copies every page under one read lock, a consistent
    snapshot while the app keeps running. The counts are read from the copy itself."""
    target = work / "database.sqlite3"
    connection.ensure_connection()
    source = connection.connection
    assert isinstance(source, sqlite3.Connection)  # noqa: S101  (sqlite vendor)
    copy = sqlite3.connect(target)
    try:
        source.backup(copy, pages=-1)
        tables = {
            m._meta.label_lower: int(
                copy.execute(f'SELECT COUNT(*) FROM "{m._meta.db_table}"').fetchone()[0]  # noqa: S608
            )
            for m in kept_models()
        }
    finally:
        copy.close()
    return target, tables


def _pg_env() -> tuple[list[str], dict[str, str]]:
    db = connection.settings_dict
    args = []
    if db.get("HOST"):
        args += ["--host", str(db["HOST"])]
    if db.get("PORT"):
        args += ["--port", str(db["PORT"])]
    if db.get("USER"):
        args += ["--username", str(db["USER"])]
    env = dict(os.environ)
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    return args, env


def _dump_pg(work: Path) -> tuple[Path, dict[str, int]]:
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        raise BackupError("pg_dump がインストールされていません")
    target = work / "database.pgdump"
    args, env = _pg_env()
    with transaction.atomic():
        # pg_dump takes its own snapshot; the counts are for the report only
        tables = table_counts()
    result = subprocess.run(  # noqa: S603  (fixed program, arguments from settings)
        [
            pg_dump,
            *args,
            "--format=custom",
            "--no-owner",
            "--no-privileges",
            "--file",
            str(target),
            str(connection.settings_dict["NAME"]),
        ],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise BackupError(result.stderr.strip() or "pg_dump が失敗しました")
    return target, tables


def _dump_logical(work: Path) -> tuple[Path, dict[str, int]]:
    """Every kept table as JSON lines, read in one consistent snapshot."""
    target = work / "database.jsonl"
    tables: dict[str, int] = {}
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        with target.open("w", encoding="utf-8") as out:
            for model in kept_models():
                rows = _manager(model).order_by("pk")
                count = 0
                for batch in _batches(rows.iterator(chunk_size=2000), 2000):
                    for item in serializers.serialize("python", batch):
                        out.write(json.dumps(item, default=_exact, ensure_ascii=False) + "\n")
                    count += len(batch)
                tables[model._meta.label_lower] = count
    return target, tables


def _batches(items: Iterator[models.Model], size: int) -> Iterator[list[models.Model]]:
    batch: list[models.Model] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _exact(value: object) -> str:
    """JSON for what Django's own JSON serializer would round (it keeps milliseconds only)."""
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, (Decimal, UUID)):
        return str(value)
    raise TypeError(f"cannot back up a value of type {type(value).__name__}")


# --- restore ------------------------------------------------------------------------------


@dataclass
class RestoreReport:
    method: str
    created_at: str
    tables: dict[str, int]
    files: int


def database_is_empty() -> bool:
    tables = set(connection.introspection.table_names())
    for model in kept_models():
        if model._meta.label_lower in MIGRATE_MADE or model._meta.db_table not in tables:
            continue
        if _manager(model).exists():
            return False
    return True


def backup_restore(*, path: Path, operator: str = "", user_name: str = "") -> RestoreReport:
    """Restore a backup into an empty database and an empty media directory."""
    key = backup_key()
    if not database_is_empty():
        raise BackupError(
            "データベースにデータがあるため戻せません。空のデータベース（作ったばかり、"
            "または migrate しただけのもの）を指定してください"
        )
    media = Path(settings.MEDIA_ROOT)
    if media.is_dir() and any(media.iterdir()):
        raise BackupError(f"アップロードファイルの置き場所 {media} が空ではありません")
    with tempfile.TemporaryDirectory(prefix="tsunagu-restore-") as tmp:
        work = Path(tmp)
        os.chmod(work, 0o700)
        archive = work / "backup.tar"
        try:
            with open(path, "rb") as src, archive.open("wb") as dst:
                decrypt_stream(src, dst, key)
        except FileNotFoundError as exc:
            raise BackupError(f"{path} がありません") from exc
        except BackupCryptoError as exc:
            raise BackupError(str(exc)) from exc
        with tarfile.open(archive, "r:gz") as tar:
            tar.extractall(work / "x", filter="data")
        root = work / "x"
        manifest = json.loads((root / MANIFEST).read_text(encoding="utf-8"))
        if manifest.get("format") != FORMAT:
            raise BackupError("この版の tsunagu では読めない形式のバックアップです")
        method = str(manifest["method"])
        database = root / str(manifest["database"])
        if method == "sqlite":
            _restore_sqlite(database)
        elif method == "pg_dump":
            _restore_pg(database)
        elif method == "logical":
            _restore_logical(database, manifest)
        else:
            raise BackupError(f"不明なバックアップ方式です: {method}")
        files = 0
        media_src = root / MEDIA_PREFIX.rstrip("/")
        if media_src.is_dir():
            for name in manifest.get("files", []):
                source = media_src / name
                destination = media / name
                destination.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, destination)
                files += 1
    access_log_operation(
        operator=operator or _os_login(),
        user=User.objects.filter(username=user_name).first() if user_name else None,
        action=AccessLog.Action.IMPORT,
        object_type="restore",
        object_ids=(Path(path).name,),
    )
    return RestoreReport(
        method=method, created_at=str(manifest["created_at"]), tables=table_counts(), files=files
    )


def _restore_sqlite(database: Path) -> None:
    if connection.vendor != "sqlite":
        raise BackupError(
            "SQLite のバックアップです。PostgreSQL へ移すときは、SQLite 上で "
            "tsunagu backup --logical で作ったバックアップを使ってください"
        )
    connection.ensure_connection()
    target = connection.connection
    assert isinstance(target, sqlite3.Connection)  # noqa: S101  (sqlite vendor)
    source = sqlite3.connect(database)
    try:
        source.backup(target)
    finally:
        source.close()


def _restore_pg(database: Path) -> None:
    if connection.vendor != "postgresql":
        raise BackupError("PostgreSQL（pg_dump）のバックアップは PostgreSQL にだけ戻せます")
    pg_restore = shutil.which("pg_restore")
    if pg_restore is None:
        raise BackupError("pg_restore がインストールされていません")
    args, env = _pg_env()
    # pg_restore --clean cannot drop a partition's key or indexes (they are attached to the
    # parent's): drop the partitioned tables first, with their partitions. The database holds no
    # record (checked before), so nothing is lost; the backup's tables and partitions replace
    # them. Should pg_restore then fail, make the database anew and migrate it before retrying.
    with connection.cursor() as cursor:
        for table in partitioned_tables(connection):
            cursor.execute(f'DROP TABLE IF EXISTS "{table}" CASCADE')
    connection.close()  # pg_restore replaces the (empty) tables this connection may know
    result = subprocess.run(  # noqa: S603  (fixed program, arguments from settings)
        [
            pg_restore,
            *args,
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
            "--dbname",
            str(connection.settings_dict["NAME"]),
            str(database),
        ],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise BackupError(
            (result.stderr.strip() or "pg_restore が失敗しました")
            + "（データベースを作り直し、tsunagu migrate してから戻し直してください）"
        )


def _restore_logical(database: Path, manifest: dict[str, Any]) -> None:
    if sorted(map(list, manifest["migrations"])) != _migrations():
        raise BackupError(
            "データベースの版（マイグレーション）がバックアップと違います。バックアップと同じ版の "
            "tsunagu で tsunagu migrate してから戻してください"
        )
    with transaction.atomic():
        for label in MIGRATE_MADE:
            # unscoped: the rows `migrate` made, replaced by the backup's
            apps.get_model(label)._base_manager.all().delete()
        restored: set[type[models.Model]] = set()
        with database.open(encoding="utf-8") as lines:
            for batch in _line_batches(lines, 2000):
                for obj in serializers.deserialize("python", batch):
                    obj.save(save_m2m=False)  # many-to-many rows come as rows of their own
                    restored.add(type(obj.object))
        if restored:
            with connection.cursor() as cursor:
                for sql in connection.ops.sequence_reset_sql(no_style(), list(restored)):
                    cursor.execute(sql)
        connection.check_constraints()


def _line_batches(lines: Iterator[str], size: int) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for line in lines:
        if line.strip():
            batch.append(json.loads(line))
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def when(created_at: str) -> str:
    """A manifest's time, in the local time zone, for messages."""
    return timezone.localtime(dt.datetime.fromisoformat(created_at)).strftime("%Y-%m-%d %H:%M")
