"""The commands of docs/cli.md: ``flask --app app COMMAND``.

Each command reads its arguments, calls the service that does the work, commits once, and prints
a short summary, or with ``--json`` one JSON document on stdout. Bad input ends with a message
on stderr and exit status 1 (2 for a malformed command line), never a traceback.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any

import click
from alembic.migration import MigrationContext
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from . import demo
from .domain.enums import Level, Role
from .domain.intake import InvalidInput
from .extensions import db
from .models import Case, Unit, User
from .platform import database
from .platform.backup import (
    BackupError,
    attachments_folder,
    backup_attachments,
    backup_database,
    restore_attachments,
    restore_database,
)
from .services import units as unit_service
from .services import users as user_service

json_option = click.option(
    "--json", "as_json", is_flag=True, help="Print one JSON document instead of a summary."
)


def report_options(command):
    """``--unit``, ``--format`` and ``--out`` of the commands that print a report."""
    for option in reversed(
        (
            click.option(
                "--unit",
                "unit_code",
                metavar="CODE",
                help="A county, township or village (default: the only county).",
            ),
            click.option(
                "--format",
                "output_format",
                type=click.Choice(["table", "json", "csv", "xlsx"]),
                default="table",
                show_default=True,
            ),
            click.option(
                "--out",
                "out_path",
                type=click.Path(dir_okay=False, path_type=Path),
                help="Write to FILE instead of stdout (required for xlsx).",
            ),
        )
    ):
        command = option(command)
    return command


def register_commands(app: Flask) -> None:
    """Add the commands to ``flask --app app``."""
    from .ledger.commands import import_cases
    from .statistics.commands import statistics

    for command in (
        init_db,
        seed_demo,
        import_units,
        create_user,
        create_token,
        sweep,
        deliver,
        scheduler,
        scorecard,
        backup,
        restore,
        statistics,
        import_cases,
    ):
        app.cli.add_command(command)


def emit(as_json: bool, data: dict[str, Any], text: str) -> None:
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        click.echo(text)


def _fail(title: str, problems: list[str]) -> click.ClickException:
    db.session.rollback()
    return click.ClickException("\n".join([title, *("  " + line for line in problems)]))


@click.command("init-db")
@json_option
@with_appcontext
def init_db(as_json: bool) -> None:
    """Create the database schema, or upgrade it to the newest migration."""
    try:
        before = _revision()
        database.upgrade_schema()
        after = _revision()
    except OperationalError as error:
        raise click.ClickException(f"cannot open the database: {error.orig}") from None
    if before == after:
        text = f"The database schema is up to date (revision {after})."
    else:
        text = f"The database schema is now at revision {after} (was {before or 'empty'})."
    emit(as_json, {"revision": after, "previous": before, "upgraded": before != after}, text)


def _revision() -> str | None:
    with db.engine.connect() as connection:
        heads = MigrationContext.configure(connection).get_current_heads()
    return ",".join(sorted(heads)) or None


@click.command("seed-demo")
@json_option
@with_appcontext
def seed_demo(as_json: bool) -> None:
    """Load the demo county (安阳县) into an empty database and print its logins once."""
    if db.session.scalar(select(Unit.id).limit(1)) is not None:
        if demo.is_loaded():
            emit(
                as_json,
                {"loaded": False, "already_loaded": True},
                "The demo county is already loaded; nothing to do.",
            )
            return
        raise click.ClickException(
            "The database already holds units that are not the demo county; seed-demo loads "
            "the demo only into an empty database (use a new DATABASE_URL or instance folder)."
        )
    lines: list[str] = []
    logins = demo.seed_demo(echo=lines.append)
    db.session.commit()

    kinds = dict(db.session.execute(select(Unit.kind, func.count()).group_by(Unit.kind)).all())
    data = {
        "loaded": True,
        "county": demo.COUNTY_CODE,
        "townships": kinds.get(Level.township, 0),
        "villages": kinds.get(Level.village, 0),
        "cases": db.session.scalar(select(func.count()).select_from(Case)),
        "logins": [login._asdict() for login in logins],
    }
    emit(as_json, data, "\n".join(lines))


@click.command("import-units")
@click.argument(
    "csv_file", metavar="FILE.csv", type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@json_option
@with_appcontext
def import_units(csv_file: Path, as_json: bool) -> None:
    """Create or update units from a CSV file with the header code,name,kind,parent_code.

    Importing the same file again changes nothing. On any bad line nothing is imported.
    """
    try:
        text, encoding = unit_service.decode_units_file(csv_file.read_bytes())
        result = unit_service.import_units(unit_service.read_units_csv(text))
    except unit_service.UnitImportError as error:
        raise _fail(f"{csv_file}: nothing imported:", error.problems) from None
    db.session.commit()

    counts = {"created": result.created, "updated": result.updated, "unchanged": result.unchanged}
    if result.created or result.updated:
        text = (
            f"{csv_file}: {result.created} created, {result.updated} updated, "
            f"{result.unchanged} unchanged."
        )
    else:
        text = f"{csv_file}: nothing changed ({result.unchanged} units unchanged)."
    if encoding != "utf-8":
        text += " (read as GB 18030: the file is not UTF-8)"
    emit(as_json, {"file": str(csv_file), "encoding": encoding, **counts}, text)


_USER_FIELDS = {"username": "NAME", "unit": "--unit", "password": "password"}


@click.command("create-user")
@click.argument("username", metavar="NAME")
@click.option(
    "--role",
    "role_name",
    required=True,
    metavar="ROLE",
    help="One of: " + ", ".join(role.value for role in Role) + ".",
)
@click.option(
    "--unit", "unit_code", required=True, metavar="CODE", help="The code of the user's unit."
)
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the password from the first line of stdin instead of prompting.",
)
@click.option("--display-name", default="", help="The name shown in the app.")
@json_option
@with_appcontext
def create_user(
    username: str,
    role_name: str,
    unit_code: str,
    password_stdin: bool,
    display_name: str,
    as_json: bool,
) -> None:
    """Create a user bound to a unit of the kind the role requires."""
    role = Role.parse(role_name.strip())
    if role is None:
        roles = ", ".join(role.value for role in Role)
        raise click.ClickException(f"--role: unknown role {role_name!r}; choose one of: {roles}.")
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = user_service.create_user(
            username, role=role, unit_code=unit_code, password=password, display_name=display_name
        )
    except InvalidInput as error:
        problems = [
            f"{_USER_FIELDS.get(name, name)}: {message.render()}"
            for name, message in error.fields.items()
        ]
        raise _fail(f"Cannot create user {username!r}:", problems) from None
    db.session.commit()
    emit(
        as_json,
        {
            "id": user.id,
            "username": user.username,
            "role": user.role.value,
            "unit_code": user.unit.code,
            "display_name": user.display_name,
        },
        f"Created {user.role.value} {user.username} of {user.unit.code} {user.unit.full_name}.",
    )


@click.command("create-token")
@click.argument("username", metavar="NAME")
@json_option
@with_appcontext
def create_token(username: str, as_json: bool) -> None:
    """Print a new API token for the user NAME (shown once: only its hash is kept)."""
    user = db.session.scalar(select(User).where(User.username == username.strip()))
    if user is None:
        raise click.ClickException(f"No user is named {username!r}.")
    if not user.is_enabled:
        raise click.ClickException(f"User {username!r} is disabled; enable it first.")
    token = user_service.issue_token(user)
    db.session.commit()
    if as_json:
        emit(True, {"username": user.username, "token": token}, "")
    else:
        click.echo(f"API token for {user.username} (shown once, keep it safe):", err=True)
        click.echo(token)


@click.command("sweep")
@click.option(
    "--now",
    "now_text",
    metavar="ISO8601",
    help="The instant to sweep at, with its offset (default: now).",
)
@json_option
@with_appcontext
def sweep(now_text: str | None, as_json: bool) -> None:
    """One sweep: raise and clear flags, auto-escalate, at the given instant."""
    from flask import current_app

    from . import jobs

    now = parse_instant(now_text)
    jobs.settle_after_start()
    result = jobs.sweep(current_app._get_current_object(), now)
    if result is None:
        raise click.ClickException("another sweep is running (or the sweep failed; see the log)")
    data = result.as_dict()
    raised = sum(data["raised"].values())
    cleared = sum(data["cleared"].values())
    emit(
        as_json,
        data,
        f"Checked {data['checked']} cases: {raised} flags raised, "
        f"{cleared} cleared, {data['escalated']} escalated ({data['seconds']} s).",
    )


@click.command("deliver")
@click.option(
    "--now",
    "now_text",
    metavar="ISO8601",
    help="The instant to deliver at, with its offset (default: now).",
)
@json_option
@with_appcontext
def deliver(now_text: str | None, as_json: bool) -> None:
    """Send what the notification outbox holds now (e-mail, webhook, custom channels)."""
    from flask import current_app

    from . import jobs

    now = parse_instant(now_text)
    result = jobs.deliver(current_app._get_current_object(), now)
    if result is None:
        raise click.ClickException("the delivery run failed; see the log")
    emit(
        as_json,
        result.as_dict(),
        f"{result.sent} notices sent, {result.failed} attempts failed, {result.waiting} waiting.",
    )


@click.command("scheduler")
@with_appcontext
def scheduler() -> None:
    """Run the periodic jobs in the foreground (the sweep every SWEEP_INTERVAL_MINUTES)."""
    from flask import current_app

    from . import jobs

    app = current_app._get_current_object()
    freeze_day = app.extensions["mediation"]["policy"].scorecard.freeze_day
    click.echo(
        f"Scheduler started: sweep every {app.config['SWEEP_INTERVAL_MINUTES']} min; the "
        f"previous month frozen on day {freeze_day} at 01:00. Ctrl+C stops it."
    )
    jobs.settle_after_start()
    try:
        jobs.build_scheduler(app).start()
    except (KeyboardInterrupt, SystemExit):
        click.echo("Scheduler stopped.")


def parse_instant(now_text: str | None) -> dt.datetime:
    """``--now``: an ISO 8601 instant with its offset, in the years the system counts in."""
    from .domain.months import MAX_YEAR, MIN_YEAR, is_supported_instant
    from .platform import runtime

    if not now_text:
        return runtime.utcnow()
    try:
        now = dt.datetime.fromisoformat(now_text.strip())
    except ValueError:
        raise click.ClickException(f"--now: not an ISO 8601 instant: {now_text}") from None
    if now.tzinfo is None:
        raise click.ClickException("--now: give the offset too, e.g. 2026-12-05T01:00+08:00")
    try:
        supported = is_supported_instant(now)
    except OverflowError:  # year 1 east of UTC, year 9999 west of it
        supported = False
    if not supported:
        raise click.ClickException(f"--now: expected an instant from {MIN_YEAR} to {MAX_YEAR}")
    return now.astimezone(dt.UTC)


@click.command("scorecard")
@click.argument("month_text", metavar="YYYY-MM")
@report_options
@click.option(
    "--freeze",
    "do_freeze",
    is_flag=True,
    help="Freeze the county's month first, or publish a revision when it changed.",
)
@click.option("--reason", default="", help="Why a revision is published (kept with it).")
@click.option(
    "--now", "now_text", metavar="ISO8601", help="The instant of the freeze (default: now)."
)
@json_option
@with_appcontext
def scorecard(
    month_text: str,
    unit_code: str | None,
    output_format: str,
    out_path: Path | None,
    do_freeze: bool,
    reason: str,
    now_text: str | None,
    as_json: bool,
) -> None:
    """The monthly scorecard of a unit: the figures in force (a frozen month's newest
    revision, else live), as a table, JSON, CSV or XLSX."""
    from flask import current_app
    from flask_babel import force_locale

    from .domain.months import MAX_YEAR, MIN_YEAR, Month
    from .platform import runtime
    from .services import scorecard as service

    try:
        month = Month.parse(month_text.strip())
    except ValueError:
        raise click.ClickException(
            f"YYYY-MM: not a month from {MIN_YEAR} to {MAX_YEAR}: {month_text!r} (e.g. 2026-11)"
        ) from None
    output_format = "json" if as_json else output_format
    if output_format == "xlsx" and out_path is None:
        raise click.ClickException("--format xlsx writes a workbook: give --out FILE.xlsx")
    unit = _scorecard_unit(unit_code)
    now, policy, tz = parse_instant(now_text), runtime.policy(), runtime.tz()
    if do_freeze:
        click.echo(_freeze(service.county_of(unit), month, now, reason), err=True)
    shown, pending, _kept = service.view(unit, month, policy=policy, tz=tz)
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        body = _scorecard_body(shown, pending is not None, output_format)
    if out_path is not None:
        try:
            out_path.write_bytes(body if isinstance(body, bytes) else body.encode("utf-8"))
        except OSError as error:
            raise click.ClickException(
                f"--out: cannot write {out_path}: {error.strerror}"
            ) from None
        click.echo(f"Wrote {out_path}.", err=True)
    else:
        click.echo(body, nl=False)  # bytes go to the binary stream


def _freeze(county: Unit, month, now: dt.datetime, reason: str) -> str:
    """Freeze ``month`` of ``county``, or publish a revision when its cases changed since;
    what happened, in a sentence."""
    from .platform import runtime
    from .services import scorecard as service
    from .services.lease import LEASE_SECONDS, SweepBusy, holding_lease

    tz = runtime.tz()
    if not month.has_ended(now, tz):
        raise click.ClickException(
            f"{month} is not over yet: it can be frozen from {month.next()}-01."
        )
    try:
        with holding_lease(wait_seconds=LEASE_SECONDS):  # never beside a sweep or freeze
            before = service.snapshots(county, month)
            snapshot = service.freeze(
                county,
                month,
                now=now,
                policy=runtime.policy(),
                tz=tz,
                reason=reason.strip() or ("" if not before else "flask scorecard --freeze"),
            )
            db.session.commit()
    except SweepBusy:
        raise click.ClickException("a sweep held the lease throughout; try again") from None
    if snapshot is None:
        return (
            f"{month} of {county.name} ({county.code}) is unchanged since revision "
            f"{before[-1].revision}; nothing published."
        )
    if snapshot.revision == 1:
        return f"Froze {month} of {county.name} ({county.code}): revision 1."
    return f"Published revision {snapshot.revision} of {month} of {county.name} ({county.code})."


def _scorecard_body(shown: dict, pending: bool, output_format: str) -> str | bytes:
    """The scorecard ``shown`` as the command prints or writes it."""
    from .platform import runtime
    from .scorecards import exports

    if output_format == "json":
        document = {**shown, "pending_revision": pending}
        return json.dumps(document, ensure_ascii=False, indent=2) + "\n"
    if output_format == "csv":
        return exports.csv_bytes(shown)
    if output_format == "xlsx":
        return exports.xlsx_bytes(shown, runtime.policy().scorecard.weights, runtime.tz())
    body = exports.table_text(shown)
    if pending:
        body += (
            f"A revision is pending: the case records changed after revision {shown['revision']}.\n"
        )
    return body


def _scorecard_unit(code: str | None) -> Unit:
    if code:
        unit = db.session.scalar(select(Unit).where(Unit.code == code.strip()))
        if unit is None:
            raise click.ClickException(f"--unit: no unit has the code {code!r}.")
        return unit
    counties = db.session.scalars(select(Unit).where(Unit.kind == Level.county).limit(2)).all()
    if len(counties) != 1:
        raise click.ClickException(
            "--unit: give the unit's code (the database holds "
            f"{'no county' if not counties else 'several counties'})."
        )
    return counties[0]


@click.command("backup")
@click.argument("file", metavar="FILE", type=click.Path(path_type=Path))
@click.option("--force", is_flag=True, help="Replace FILE if it exists.")
@json_option
@with_appcontext
def backup(file: Path, force: bool, as_json: bool) -> None:
    """Copy the database to FILE while the app keeps running.

    SQLite: the online backup API (FILE is a SQLite database; use it as DATABASE_URL to
    restore). PostgreSQL: pg_dump's custom format (restore with pg_restore --dbname=...).
    """
    db.session.rollback()  # hold no transaction open during the copy
    folder = attachments_folder(file)
    if folder.exists() and not force:
        raise click.ClickException(
            f"backup: {folder} exists already; choose another name or pass --force."
        )
    try:
        # The cases counted in the copy itself: rows written meanwhile are not in it.
        result = backup_database(db.engine, file, overwrite=force, counted=Case.__table__)
        # After the database: every attachment row of the copy has its file by then.
        files = backup_attachments(
            Path(current_app.config["ATTACHMENT_DIR"]), file, overwrite=force
        )
    except BackupError as error:
        raise click.ClickException(f"backup: {error}") from None
    cases = result.rows
    key = _id_number_key_source()
    emit(
        as_json,
        {
            **result.as_dict(),
            "cases": cases,
            "attachments": files,
            "attachments_folder": str(folder) if files else None,
            "id_number_key": key,
        },
        f"Backed up the {result.backend} database to {result.path} "
        f"({result.bytes} bytes, {cases} cases, {result.seconds:.1f} s)"
        + (f"; {files} attached files to {folder}" if files else "")
        + ".\n"
        f"Parties' ID numbers are in it encrypted: keep the key ({key}) with the backup but "
        "stored apart from it; without the key they cannot be read.",
    )


def _id_number_key_source() -> str:
    """Where the running app's ID-number key comes from: its instance file, or the setting."""
    from flask import current_app

    path = Path(current_app.instance_path) / "id_key"
    try:
        if path.read_text().strip() == str(current_app.config["ID_NUMBER_KEY"]):
            return str(path)
    except OSError:
        pass
    return "the ID_NUMBER_KEY setting"


@click.command("restore")
@click.argument("file", metavar="FILE", type=click.Path(path_type=Path))
@click.option("--yes", is_flag=True, help="Confirm: every record of the database is replaced.")
@json_option
@with_appcontext
def restore(file: Path, yes: bool, as_json: bool) -> None:
    """Replace the database's whole content with a backup made by `backup`, then upgrade its
    schema. Stop the web app and the scheduler first."""
    if not yes:
        raise click.ClickException(
            f"restore replaces every record of {db.engine.url.render_as_string()} with {file}; "
            "stop the app and the scheduler, then run it again with --yes."
        )
    db.session.remove()
    try:
        result = restore_database(db.engine, file)
    except BackupError as error:
        raise click.ClickException(f"restore: {error}") from None
    database.upgrade_schema()
    try:
        files, refused = restore_attachments(file, Path(current_app.config["ATTACHMENT_DIR"]))
    except OSError as error:
        raise click.ClickException(
            f"restore: the database was restored, but its attached files could not be "
            f"copied back to {current_app.config['ATTACHMENT_DIR']}: {error}"
        ) from None
    cases = db.session.scalar(select(func.count()).select_from(Case))
    revision = _revision()
    emit(
        as_json,
        {
            **result.as_dict(),
            "cases": cases,
            "revision": revision,
            "attachments": files,
            "attachments_refused": refused,
        },
        f"Restored the {result.backend} database from {result.path} "
        f"({cases} cases, {files} attached files put back, schema at revision {revision}, "
        f"{result.seconds:.1f} s)."
        + (f" Left out (content does not match): {', '.join(refused)}." if refused else ""),
    )
