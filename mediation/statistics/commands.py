"""``flask --app app statistics FROM TO``: the report from the command line (docs/cli.md)."""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import force_locale

from ..cli import report_options
from ..domain.intake import InvalidInput
from ..domain.statistics import parse_period


@click.command("statistics")
@click.argument("first", metavar="FROM")
@click.argument("last", metavar="TO", required=False)
@report_options
@with_appcontext
def statistics(
    first: str, last: str | None, unit_code: str | None, output_format: str, out_path: Path | None
) -> None:
    """The statistical report of a unit for the months FROM to TO (YYYY-MM; TO defaults to
    FROM): cases received, their outcomes at the period's end, sources, levels, agreements,
    amount settled and the prevented counts."""
    from ..platform import runtime
    from ..services import statistics as service
    from . import exports

    if output_format == "xlsx" and out_path is None:
        raise click.ClickException("--format xlsx writes a workbook: give --out FILE.xlsx")
    try:
        period = parse_period(first, last)
        unit = service.report_unit(None, unit_code)
    except InvalidInput as error:
        names = {"from": "FROM", "to": "TO", "unit": "--unit"}
        problems = [
            f"{names.get(key, key)}: {message.render()}" for key, message in error.fields.items()
        ]
        raise click.ClickException("; ".join(problems)) from None
    tz = runtime.tz()
    report = service.statistics(unit, period, tz=tz)
    document = service.report_document(unit, period, report, generated_at=runtime.utcnow())
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        if output_format == "json":
            body: str | bytes = json.dumps(document, ensure_ascii=False, indent=2) + "\n"
        elif output_format == "csv":
            body = exports.csv_bytes(document, tz)
        elif output_format == "xlsx":
            body = exports.xlsx_bytes(document, tz)
        else:
            body = exports.table_text(document, tz)
    if out_path is not None:
        out_path.write_bytes(body if isinstance(body, bytes) else body.encode("utf-8"))
        click.echo(f"Wrote {out_path}.", err=True)
    elif isinstance(body, bytes):
        click.echo(body.decode("utf-8-sig"), nl=False)
    else:
        click.echo(body, nl=False)
