"""A consistent copy of the database, taken while the app and the scheduler keep running.

SQLite: the online backup API (``sqlite3.Connection.backup``) copies the pages under SQLite's
own locking, so writers that commit meanwhile are either wholly in the copy or not at all. The
copy is written next to the target and renamed into place only when complete.

PostgreSQL: ``pg_dump --format=custom`` (one snapshot of the database), with the connection
parameters of ``DATABASE_URL``; restore it with ``pg_restore --dbname=… FILE``.

:func:`restore_database` puts such a copy back, replacing everything the database holds.

The files attached to cases live outside the database, under ATTACHMENT_DIR, each named by its
SHA-256: :func:`backup_attachments` copies them beside the backup (``FILE.attachments/``, after
the database, so every row of the copy finds its file), and :func:`restore_attachments` puts
back those missing, each checked against its name.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Table, text
from sqlalchemy.engine import URL, Engine

from .files import write_atomically

__all__ = [
    "BackupError",
    "BackupResult",
    "attachments_folder",
    "backup_attachments",
    "backup_database",
    "pg_dump_command",
    "restore_attachments",
    "restore_database",
]


class BackupError(Exception):
    """The backup could not be made; the message says why (nothing is left at the target)."""


@dataclass(frozen=True)
class BackupResult:
    path: Path
    backend: str  # "sqlite" or "postgresql"
    bytes: int
    seconds: float
    rows: int | None = None  # of the table counted, in the copy itself

    def as_dict(self) -> dict:
        return {
            "file": str(self.path),
            "backend": self.backend,
            "bytes": self.bytes,
            "seconds": round(self.seconds, 3),
        }


def backup_database(
    engine: Engine, target: Path, *, overwrite: bool = False, counted: Table | None = None
) -> BackupResult:
    """Copy the database behind ``engine`` to ``target`` (a file). Raises BackupError. With
    ``counted``, the result's ``rows`` is that table's row count as the copy holds it (not as
    the database held it a moment before or after)."""
    target = Path(target)
    if target.is_dir():
        raise BackupError(f"{target} is a folder; give the name of the backup file.")
    if target.exists() and not overwrite:
        raise BackupError(f"{target} exists already; choose another name or pass --force.")
    if not target.parent.is_dir():
        raise BackupError(f"the folder {target.parent} does not exist.")
    started = time.perf_counter()
    backend = engine.url.get_backend_name()
    if backend == "sqlite":
        rows = _sqlite_backup(engine, target, counted)
    elif backend == "postgresql" and counted is None:
        rows = _pg_dump(engine.url, target)
    elif backend == "postgresql":
        rows = _pg_backup(engine, target, counted)
    else:
        raise BackupError(f"cannot back up a {backend} database (SQLite and PostgreSQL only).")
    seconds = time.perf_counter() - started
    return BackupResult(target, backend, target.stat().st_size, seconds, rows)


def _sqlite_backup(engine: Engine, target: Path, counted: Table | None) -> int | None:
    source_path = engine.url.database
    if source_path and source_path != ":memory:" and _same_file(Path(source_path), target):
        raise BackupError(f"{target} is the database itself; choose another file.")
    fd, partial = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".partial", dir=target.parent)
    os.close(fd)
    try:
        raw = engine.raw_connection()
        try:
            destination = sqlite3.connect(partial)
            try:
                # Page by page, so that writers are not held off for the whole copy.
                raw.driver_connection.backup(destination, pages=1024)
                rows = _count(destination.execute, counted)
            finally:
                destination.close()
        finally:
            raw.close()
        os.replace(partial, target)
    except sqlite3.Error as error:
        raise BackupError(f"the SQLite backup failed: {error}") from None
    finally:
        if os.path.exists(partial):
            os.unlink(partial)
    return rows


def _pg_backup(engine: Engine, target: Path, counted: Table | None) -> int | None:
    """pg_dump of a snapshot this connection exports, counted in that same snapshot."""
    _need_pg_dump()
    with engine.connect() as connection:
        connection = connection.execution_options(isolation_level="REPEATABLE READ")
        with connection.begin():
            snapshot = connection.execute(text("SELECT pg_export_snapshot()")).scalar_one()
            rows = _count(lambda sql: connection.exec_driver_sql(sql), counted)
            _pg_dump(engine.url, target, snapshot=snapshot)  # while the snapshot is held
    return rows


def _count(execute, table: Table | None) -> int | None:
    if table is None:
        return None
    return execute(f'SELECT count(*) FROM "{table.name}"').fetchone()[0]


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve()
    except OSError:
        return False


def pg_dump_command(
    url: URL, target: Path, snapshot: str | None = None
) -> tuple[list[str], dict[str, str]]:
    """The pg_dump command line and environment for ``url`` (the password goes in PGPASSWORD,
    never on the command line); ``snapshot``: dump exactly what that exported snapshot sees."""
    command = ["pg_dump", "--format=custom", "--no-password", f"--file={target}"]
    if snapshot:
        command.append(f"--snapshot={snapshot}")
    if url.host:
        command.append(f"--host={url.host}")
    if url.port:
        command.append(f"--port={url.port}")
    if url.username:
        command.append(f"--username={url.username}")
    command.append(f"--dbname={url.database or 'postgres'}")
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    for key, value in url.query.items():  # e.g. sslmode=require
        if key == "sslmode":
            env["PGSSLMODE"] = str(value)
    return command, env


def _need_pg_dump() -> None:
    if shutil.which("pg_dump") is None:
        raise BackupError(
            "pg_dump is not installed (it comes with the PostgreSQL client: "
            "apt-get install postgresql-client); no backup was made."
        )


def _pg_dump(url: URL, target: Path, snapshot: str | None = None) -> None:
    _need_pg_dump()
    fd, partial = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".partial", dir=target.parent)
    os.close(fd)
    command, env = pg_dump_command(url, Path(partial), snapshot)
    try:
        finished = subprocess.run(command, env=env, capture_output=True, text=True)
        if finished.returncode != 0:
            message = finished.stderr.strip() or f"exit status {finished.returncode}"
            raise BackupError(f"pg_dump failed: {message}")
        os.replace(partial, target)
    finally:
        if os.path.exists(partial):
            os.unlink(partial)


def restore_database(engine: Engine, source: Path) -> BackupResult:
    """Replace the whole content of the database behind ``engine`` with the backup ``source``
    (made by :func:`backup_database` of the same kind of database). Raises BackupError, having
    changed nothing when the file is not such a backup."""
    source = Path(source)
    if not source.is_file():
        raise BackupError(f"{source} is not a file.")
    started = time.perf_counter()
    backend = engine.url.get_backend_name()
    engine.dispose()  # no pooled connection keeps a transaction or a lock open
    if backend == "sqlite":
        _sqlite_restore(engine, source)
    elif backend == "postgresql":
        _pg_restore(engine.url, source)
    else:
        raise BackupError(f"cannot restore a {backend} database (SQLite and PostgreSQL only).")
    return BackupResult(source, backend, source.stat().st_size, time.perf_counter() - started)


def _sqlite_restore(engine: Engine, source: Path) -> None:
    target_path = engine.url.database
    if target_path and target_path != ":memory:" and _same_file(Path(target_path), source):
        raise BackupError(f"{source} is the database itself.")
    try:
        backup = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    except sqlite3.Error as error:
        raise BackupError(f"cannot open {source}: {error}") from None
    try:
        try:
            backup.execute("SELECT version_num FROM alembic_version").fetchall()
        except sqlite3.DatabaseError:
            raise BackupError(f"{source} is not a SQLite backup of this application.") from None
        raw = engine.raw_connection()
        try:
            backup.backup(raw.driver_connection)
        except sqlite3.Error as error:
            raise BackupError(f"the SQLite restore failed: {error}") from None
        finally:
            raw.close()
    finally:
        backup.close()


def _pg_restore(url: URL, source: Path) -> None:
    if shutil.which("pg_restore") is None:
        raise BackupError(
            "pg_restore is not installed (it comes with the PostgreSQL client: "
            "apt-get install postgresql-client); nothing was restored."
        )
    command, env = pg_dump_command(url, source)
    connection = [
        arg for arg in command if arg.startswith(("--host=", "--port=", "--username=", "--dbname="))
    ]
    listed = subprocess.run(
        ["pg_restore", "--list", str(source)], env=env, capture_output=True, text=True
    )
    if listed.returncode != 0 or "alembic_version" not in listed.stdout:
        raise BackupError(f"{source} is not a pg_dump backup of this application.")
    # One transaction: on any error the database is left as it was.
    finished = subprocess.run(
        [
            "pg_restore",
            "--clean",
            "--if-exists",
            "--no-owner",
            "--single-transaction",
            "--exit-on-error",
            "--no-password",
            *connection,
            str(source),
        ],
        env=env,
        capture_output=True,
        text=True,
    )
    if finished.returncode != 0:
        raise BackupError(f"pg_restore failed: {finished.stderr.strip() or finished.returncode}")


# --- attachments --------------------------------------------------------------------------------

_SHA256 = re.compile(r"[0-9a-f]{64}")


def attachments_folder(backup_file: Path) -> Path:
    """Where the attachments of the backup ``backup_file`` are kept: FILE.attachments/."""
    backup_file = Path(backup_file)
    return backup_file.with_name(backup_file.name + ".attachments")


def _stored_files(folder: Path):
    """The complete stored files under ``folder`` (ab/cd/<sha256>), not temporary ones."""
    if not folder.is_dir():
        return
    for path in sorted(folder.glob("??/??/*")):
        if (
            _SHA256.fullmatch(path.name)
            and path.parent.name == path.name[2:4]
            and path.parent.parent.name == path.name[:2]
            and path.is_file()
        ):
            yield path


def backup_attachments(source: Path, backup_file: Path, *, overwrite: bool = False) -> int:
    """Copy the attachment files under ``source`` (ATTACHMENT_DIR) beside ``backup_file``;
    the folder appears whole or not at all (none when there are no files). Returns how many
    files were copied. Raises BackupError."""
    target = attachments_folder(backup_file)
    files = list(_stored_files(Path(source)))
    if target.exists() and not overwrite:
        raise BackupError(f"{target} exists already; choose another name or pass --force.")
    if not files:
        if target.exists():
            shutil.rmtree(target)
        return 0
    partial = target.with_name(f".{target.name}.partial")
    try:
        if partial.exists():
            shutil.rmtree(partial)
        for path in files:
            copy = partial / path.relative_to(source)
            copy.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(path, copy)  # the files never change: a hard link is a copy
            except OSError:
                shutil.copyfile(path, copy)
        if target.exists():
            shutil.rmtree(target)
        os.replace(partial, target)
    except OSError as error:
        raise BackupError(f"copying the attachments failed: {error}") from None
    finally:
        if partial.exists():
            shutil.rmtree(partial, ignore_errors=True)
    return len(files)


def restore_attachments(backup_file: Path, destination: Path) -> tuple[int, list[str]]:
    """Put back the attachment files kept beside ``backup_file`` that ``destination``
    (ATTACHMENT_DIR) lacks, each written whole then renamed into place; a file whose content
    does not match its name is left out and named. Returns (files restored, files refused)."""
    restored, refused = 0, []
    destination = Path(destination)
    source = attachments_folder(backup_file)
    for path in _stored_files(source):
        target = destination / path.relative_to(source)
        if target.exists():
            continue
        data = path.read_bytes()
        if hashlib.sha256(data).hexdigest() != path.name:
            refused.append(path.name)
            continue
        write_atomically(target, data, prefix=".restore-")
        restored += 1
    return restored, refused
