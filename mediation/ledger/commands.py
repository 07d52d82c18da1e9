"""``flask --app app import-cases FILE``: a village ledger from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask.cli import with_appcontext


@click.command("import-cases")
@click.argument(
    "path", metavar="FILE", type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option("--dry-run", is_flag=True, help="Check every row and import nothing.")
@click.option(
    "--json", "as_json", is_flag=True, help="Print one JSON document instead of a summary."
)
@click.option(
    "--user",
    "username",
    metavar="NAME",
    help="The officer the cases are recorded by (default: the only county officer).",
)
@with_appcontext
def import_cases(path: Path, dry_run: bool, as_json: bool, username: str | None) -> None:
    """Import a village ledger (.xlsx or .csv, one case a row): all rows or none. Rows already
    imported are left unchanged; every error is printed with its row and column."""
    from sqlalchemy import select

    from ..domain.enums import Role
    from ..extensions import db
    from ..models import User
    from ..platform import runtime
    from ..services import ledger as service

    if username:
        user = db.session.scalar(select(User).where(User.username == username))
        if user is None:
            raise click.ClickException(f"--user: no user named {username}")
    else:
        officers = list(
            db.session.scalars(
                select(User).where(User.role == Role.county_officer, User.is_enabled).limit(2)
            )
        )
        if len(officers) != 1:
            raise click.ClickException("--user: name the officer the cases are recorded by")
        user = officers[0]
    from ..services import access

    if not access.can_import_ledgers(user):
        raise click.ClickException(f"--user: {user.username} is not a township or county officer")
    result = service.import_file(
        user,
        path.read_bytes(),
        now=runtime.utcnow(),
        policy=runtime.policy(),
        tz=runtime.tz(),
        dry_run=dry_run,
    )
    if result.errors or dry_run:
        db.session.rollback()
    else:
        db.session.commit()
    document = result.as_dict()
    if as_json:
        click.echo(json.dumps(document, ensure_ascii=False, indent=2))
    elif result.errors:
        lines = [f"{path}: nothing imported, {len(result.errors)} problems:"] + [
            f"  row {error['row']}, {error['field']}: {error['message']}"
            for error in document["errors"]
        ]
        click.echo("\n".join(lines), err=True)
    else:
        verb = "would import" if dry_run else "imported"
        note = " (read as GB 18030)" if result.encoding == "gb18030" else ""
        click.echo(f"{path}: {verb} {result.imported}, {result.unchanged} unchanged.{note}")
    if result.errors:
        raise SystemExit(1)
