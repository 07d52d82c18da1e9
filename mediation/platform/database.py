"""The database: SQLite set up for a web app, migrations, and the first-start setup."""

from __future__ import annotations

import contextlib
import fcntl
import logging
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor, wait
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import JSON, Table, event, select, text
from sqlalchemy.engine import CursorResult, Engine
from sqlalchemy.exc import DBAPIError

from ..config import StartupError
from ..extensions import db, migrate

MIGRATIONS = str(Path(__file__).resolve().parent.parent / "migrations")
log = logging.getLogger(__name__)


def init_app(app: Flask) -> None:
    options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    # A connection the server dropped (a restart, a cut network) is noticed at checkout and
    # replaced, so that service resumes by itself once the database is back.
    options.setdefault("pool_pre_ping", True)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        options.setdefault("connect_args", {}).setdefault("timeout", 15)
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    db.init_app(app)
    migrate.init_app(app, db, directory=MIGRATIONS, render_as_batch=True, compare_type=True)


@event.listens_for(Engine, "connect")
def _configure_sqlite(dbapi_connection, connection_record) -> None:
    """Every SQLite connection: WAL for concurrent readers, a busy wait instead of an
    immediate 'database is locked', and enforced foreign keys."""
    module = type(dbapi_connection).__module__
    if not module.startswith("sqlite3"):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


# --- a long run of large batches: the sweep's -----------------------------------------------

_large_batches: ContextVar[bool] = ContextVar("large_batches", default=False)
# SQLite's settings for a connection taken inside large_batches(), and outside (its defaults)
_BATCH_PRAGMAS = {True: (0, -32768), False: (1000, -2000)}  # autocheckpoint pages, cache KiB


@event.listens_for(Engine, "checkout")
def _batch_mode(dbapi_connection, connection_record, connection_proxy) -> None:
    """A SQLite connection taken inside :func:`large_batches` gets its settings; any other
    SQLite's defaults back."""
    if not type(dbapi_connection).__module__.startswith("sqlite3"):
        return
    inside = _large_batches.get()
    if connection_record.info.get("large_batches", False) is not inside:
        autocheckpoint, cache = _BATCH_PRAGMAS[inside]
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA wal_autocheckpoint={autocheckpoint}")
        cursor.execute(f"PRAGMA cache_size={cache}")
        cursor.close()
        connection_record.info["large_batches"] = inside


@contextlib.contextmanager
def large_batches() -> Iterator[Callable[[], None]]:
    """For a run of large batches, each committed (the sweep's), on SQLite:

    - The commit that fills the write-ahead log past 1,000 pages would also copy them back
      into the database file, ending in two fsyncs: a fifth of a day's backlog sweep. Here the
      log is copied by a thread of its own after each commit, while the run goes on with its
      next batch (SQLite's advice for such writers: wal.html, "Automatic Checkpoint"). The
      last copy is waited for when the context ends, so the run is not done before its
      writes are in the file. A run that calls for no copy (the scheduler's every five
      minutes, a batch of a few cases at most) copies nothing: SQLite's own automatic
      checkpoint takes its pages later, as any small writer's.
    - A page cache of 32 MiB rather than 2: a batch of a thousand cases touches some three
      thousand pages, which the default cache read again and again from the file.

    Yields what to call after each commit. Elsewhere it does nothing."""
    engine = db.engine
    if engine.dialect.name != "sqlite":
        yield lambda: None
        return
    token = _large_batches.set(True)
    running: list[Future] = []
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="checkpoint") as pool:

        def committed() -> None:
            if not running or running[-1].done():  # a copy under way takes these pages too
                running[:] = [pool.submit(_checkpoint, engine)]

        try:
            yield committed
        finally:
            _large_batches.reset(token)
            if running:  # a batch was committed: its pages go into the file before the end
                wait(running)
                pool.submit(_checkpoint, engine).result()


def _checkpoint(engine: Engine) -> None:
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")
    except DBAPIError:  # the next commit outside the context checkpoints instead
        log.warning("checkpoint failed", exc_info=True)


def is_current() -> bool:
    """Whether the schema is at the newest migration."""
    heads = set(ScriptDirectory(MIGRATIONS).get_heads())
    with db.engine.connect() as connection:
        current = set(MigrationContext.configure(connection).get_current_heads())
    return current == heads


def upgrade_schema() -> None:
    upgrade(directory=MIGRATIONS)


@contextlib.contextmanager
def setup_lock(app: Flask):
    """One process at a time migrates and seeds: a file lock for the processes of this machine,
    and an advisory lock on PostgreSQL for the other machines."""
    lock_path = Path(app.instance_path) / ".setup.lock"
    with open(lock_path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            if db.engine.dialect.name == "postgresql":
                with db.engine.connect() as connection:
                    connection.execute(text("SELECT pg_advisory_lock(4242001)"))
                    try:
                        yield
                    finally:
                        connection.execute(text("SELECT pg_advisory_unlock(4242001)"))
                        connection.commit()
            else:
                yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def prepare(app: Flask) -> None:
    """On start: bring the schema up to date, and load the demo county into an empty database
    when MEDIATION_DEMO is on."""
    from ..models import Unit

    with app.app_context():
        try:
            current = is_current()
        except DBAPIError as error:
            db.engine.dispose()
            raise StartupError(
                f"cannot open the database {db.engine.url.render_as_string(hide_password=True)}: "
                f"{error.orig}"
            ) from None
        if current and not app.config["MEDIATION_DEMO"]:
            return
        with setup_lock(app):
            if not is_current():
                log.info("upgrading the database schema")
                upgrade_schema()
            if app.config["MEDIATION_DEMO"] and db.session.scalar(select(Unit.id).limit(1)) is None:
                from ..demo import seed_demo

                seed_demo(echo=lambda line: log.warning("%s", line))
                db.session.commit()
            db.session.remove()


def chunks(items: list, size: int = 900) -> Iterator[list]:
    """Pieces of an IN list small enough for any database's parameter limit."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def insert_rows(table: Table, rows: list[dict[str, Any]]) -> None:
    """INSERT ``rows`` (all with the same keys) into ``table`` in the session's transaction,
    as one batch (see :class:`_Rows`): a sweep's batch repeats the same instant and the same
    few enum values thousands of times. Plain values only: a JSON column wants SQLAlchemy's
    own statements (PostgreSQL's driver takes no bare dict)."""
    if rows:
        batch = _Rows(table, list(rows[0]))
        batch.execute(batch.insert(), batch.columns_of(rows))


def insert_new(table: Table, rows: list[dict[str, Any]], *, key: str) -> dict[Any, int]:
    """INSERT those of ``rows`` whose ``key`` (a unique column) is not taken yet, as
    :func:`insert_rows` does; a row already there stands as it is. Returns the ``id`` of each
    row inserted, by its key. PostgreSQL does it in one statement (``RETURNING`` only what it
    inserted); elsewhere the keys taken are read first and the new ids after."""
    if not rows:
        return {}
    batch = _Rows(table, list(rows[0]))
    statement = batch.insert(skip_taken=key)
    if batch.as_arrays:
        statement += f" RETURNING {batch.quote.quote(key)}, id"
        return dict(batch.execute(statement, batch.columns_of(rows)).all())
    unique, taken = table.c[key], set()
    for chunk in chunks([row[key] for row in rows]):
        taken.update(db.session.scalars(select(unique).where(unique.in_(chunk))))
    new = [row for row in rows if row[key] not in taken]
    if new:
        batch.execute(statement, batch.columns_of(new))
    ids: dict[Any, int] = {}
    for chunk in chunks([row[key] for row in new]):
        found = db.session.execute(select(unique, table.c.id).where(unique.in_(chunk)))
        ids.update((value, row_id) for value, row_id in found)
    return ids


def update_rows(
    table: Table,
    changes: list[tuple[dict[str, Any], dict[str, Any]]],
    *,
    where: str = "",
) -> int:
    """UPDATE ``table`` as :func:`insert_rows` inserts, in the session's transaction. A change
    is (the columns that find its row, all equal; the columns it sets), with the same keys in
    every change, and each change finds a row of its own; ``where``: SQL the rows must also
    meet (no parameters). Returns how many rows changed in all."""
    if not changes:
        return 0
    match, values = (list(part) for part in changes[0])
    batch = _Rows(table, [*values, *match])
    quote, name = batch.quote, batch.quote.format_table(table)
    if batch.as_arrays:  # the changes joined as a set of rows v(c0, c1, …)
        given = [f"c{index}" for index in range(len(batch.names))]
        source = f" FROM {batch.arrays()} AS v({', '.join(given)})"
        given = [f"v.{column}" for column in given]
        found = [f"{name}.{quote.quote(column)}" for column in match]
    else:
        given, source = [batch.mark] * len(batch.names), ""
        found = [quote.quote(column) for column in match]
    statement = (
        f"UPDATE {name} SET "
        + ", ".join(f"{quote.quote(column)} = {value}" for column, value in zip(values, given))
        + source
        + " WHERE "
        + " AND ".join(f"{column} = {value}" for column, value in zip(found, given[len(values) :]))
        + (f" AND {where}" if where else "")
    )
    columns = [[new[column] for _, new in changes] for column in values]
    columns += [[key[column] for key, _ in changes] for column in match]
    return batch.execute(statement, columns).rowcount


class _Rows:
    """A batch of rows for one statement, each distinct value of a column converted for the
    database once. The conversions are the dialect's own (SQLite's DATETIME, say), so every
    instant is written in the one text form the ORM writes too: compared as text, two forms of
    one instant would differ. Converting row by row through SQLAlchemy's statements was most
    of what a sweep's writes cost.

    SQLite runs the statement once per row through the DB-API's ``executemany`` (a prepared
    statement in the same process: cheap). PostgreSQL takes the whole batch in one statement,
    one array parameter per column (``unnest``): a statement per row costs its server a round
    of binding and executing each."""

    def __init__(self, table: Table, names: list[str]):
        self.table = table
        self.connection = db.session.connection()
        self.dialect = dialect = self.connection.dialect
        self.names = names
        self.columns = [table.c[name] for name in names]
        if any(isinstance(column.type, JSON) for column in self.columns):
            raise TypeError(f"{table.name}: a JSON column wants SQLAlchemy's own statements")
        self.converters = [
            _Converter(column.type.dialect_impl(dialect).bind_processor(dialect))
            for column in self.columns
        ]
        self.quote = dialect.identifier_preparer
        self.mark = "?" if dialect.paramstyle == "qmark" else "%s"
        self.as_arrays = dialect.name == "postgresql"

    def columns_of(self, rows: list[dict[str, Any]]) -> list[list[Any]]:
        return [[row[name] for row in rows] for name in self.names]

    def arrays(self) -> str:
        """The rows as a set: ``unnest`` of one typed array per column."""
        types = (column.type.compile(dialect=self.dialect) for column in self.columns)
        return f"unnest({', '.join(f'{self.mark}::{name}[]' for name in types)})"

    def insert(self, *, skip_taken: str | None = None) -> str:
        """The INSERT; ``skip_taken``: a unique column, rows whose value is taken left out."""
        quote = self.quote
        statement = (
            f"INSERT INTO {quote.format_table(self.table)} "
            f"({', '.join(quote.format_column(column) for column in self.columns)}) "
            + (
                f"SELECT * FROM {self.arrays()}"
                if self.as_arrays
                else f"VALUES ({', '.join([self.mark] * len(self.columns))})"
            )
        )
        if skip_taken:  # SQLite and PostgreSQL say it alike
            statement += f" ON CONFLICT ({quote.quote(skip_taken)}) DO NOTHING"
        return statement

    def execute(self, statement: str, columns: list[list[Any]]) -> CursorResult:
        """Run ``statement`` for the rows given column by column, in the order of ``names``."""
        converted = [convert(values) for convert, values in zip(self.converters, columns)]
        if self.as_arrays:
            return self.connection.exec_driver_sql(statement, tuple(converted))
        return self.connection.exec_driver_sql(statement, list(zip(*converted)))


class _Converter:
    """A column's conversion of Python values for the database, each distinct value once.
    Plain values only (hashable): a JSON column is refused above."""

    def __init__(self, process: Callable[[Any], Any] | None):
        self.process = process
        self.seen: dict[Any, Any] = {None: None}

    def __call__(self, values: list) -> list:
        if self.process is None:
            return values
        seen = self.seen
        for value in set(values).difference(seen):
            seen[value] = self.process(value)
        return [seen[value] for value in values]
