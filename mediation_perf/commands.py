"""The benchmark tooling's commands, added to ``flask`` by the entry points in pyproject.toml
(``[project.entry-points."flask.commands"]``): the app itself does not know about them.

``gen-data`` fills the current database with a synthetic province; ``bench`` times the sweep,
the scorecards, the case pages and an intake on it (docs/performance.md).
"""

from __future__ import annotations

import json

import click
from flask import current_app
from flask.cli import with_appcontext

from mediation.cli import emit, json_option, parse_instant
from mediation.platform import runtime
from mediation.services.calendar import work_calendar

from . import bench as benchmark
from . import synthetic


@click.command("gen-data")
@click.option(
    "--cases",
    "case_count",
    type=click.IntRange(min=0),
    required=True,
    help="How many cases, received over the last 24 months.",
)
@click.option(
    "--villages",
    type=click.IntRange(min=1),
    required=True,
    help="How many villages (20 to a township, 20 townships to a county).",
)
@click.option(
    "--open-share",
    type=click.FloatRange(0, 1),
    default=0.05,
    show_default=True,
    help="About this share of the cases is still open at the reference instant.",
)
@click.option(
    "--seed", type=int, default=1, show_default=True, help="The same seed, the same data."
)
@click.option(
    "--now",
    "now_text",
    metavar="ISO8601",
    help="The reference instant (default: the start of the current hour).",
)
@click.option(
    "--processes",
    type=click.IntRange(min=1),
    help="Worker processes making the cases (default: one per core).",
)
@json_option
@with_appcontext
def gen_data(
    case_count: int,
    villages: int,
    open_share: float,
    seed: int,
    now_text: str | None,
    processes: int | None,
    as_json: bool,
) -> None:
    """Add a synthetic province for benchmarks: units, users, cases with their clocks, flags
    and history, incidents and screening reports (bulk inserts)."""

    now = (
        parse_instant(now_text)
        if now_text
        else runtime.utcnow().replace(minute=0, second=0, microsecond=0)
    )
    shape = synthetic.Shape(case_count, villages, open_share, seed, now)
    policy = runtime.policy()
    progress = None if as_json else (lambda text: click.echo(f"  {text}", err=True))
    result = synthetic.generate(
        shape,
        policy=policy,
        calendar=work_calendar(policy),
        tz=runtime.tz(),
        processes=processes,
        progress=progress,
    )
    data = {**result.as_dict(), "now": now.isoformat(), "password": synthetic.PASSWORD}
    emit(
        as_json,
        data,
        f"Generated {result.villages} villages in {result.townships} townships and "
        f"{result.counties} counties, {result.users} users (password {synthetic.PASSWORD!r}), "
        f"{result.rows['cases']:,} cases ({result.open_cases:,} open; "
        f"{result.due_within_day:,} due for a check within a day of {now.isoformat()}), "
        f"{sum(result.rows.values()):,} rows in {result.seconds:.1f} s.",
    )


@click.command("bench")
@click.option(
    "--runs",
    type=click.IntRange(min=1),
    default=5,
    show_default=True,
    help="Timed runs of each scenario (the median is reported).",
)
@click.option(
    "--due",
    type=click.IntRange(min=1),
    help="Sweep at the instant this many cases are due (default: a day after the data's now).",
)
@click.option("--only", metavar="NAME[,NAME]", help="Only these scenarios.")
@click.option("--explain", is_flag=True, help="Also print the query plan of each SELECT run.")
@click.option(
    "--delivery",
    type=click.IntRange(min=1),
    metavar="N",
    help="Instead: deliver N notices to a local webhook receiver (a scratch database).",
)
@json_option
@with_appcontext
def bench(
    runs: int,
    due: int | None,
    only: str | None,
    explain: bool,
    delivery: int | None,
    as_json: bool,
) -> None:
    """Time the sweep, the scorecards, the case pages and an intake on the current database."""
    if delivery:
        figure = benchmark.bench_delivery(delivery)
        emit(
            as_json,
            figure,
            f"{figure['sent']} of {figure['notices']} notices delivered in {figure['seconds']} s "
            f"({figure['per_second']}/s); the receiver got {figure['received_distinct']} ids.",
        )
        return

    try:
        report = benchmark.run(
            current_app._get_current_object(),
            runs=runs,
            due=due,
            only=set(only.split(",")) if only else None,
            explain=explain,
        )
    except benchmark.BenchError as error:
        raise click.ClickException(str(error)) from None
    if as_json:
        click.echo(json.dumps(report, ensure_ascii=False, indent=2))
        return
    info = report["machine"]
    click.echo(
        f"{report['database']}: {report['cases']:,} cases, {report['villages']:,} villages; "
        f"{info['cpus']} × {info['cpu'] or '?'}; commit {info['commit']}"
    )
    click.echo(
        f"{'scenario':<20}{'median ms':>11}{'peak MB':>9}{'SQL ms':>9}{'ratio':>7}"
        f"{'target':>8}  ok   note"
    )
    for figure in report["figures"]:
        ok = {True: "yes", False: "NO", None: "-"}[figure["ok"]]
        click.echo(
            f"{figure['name']:<20}{figure['median_ms']:>11.1f}{figure['peak_mb']:>9.0f}"
            f"{_maybe(figure['baseline_ms'], '.2f'):>9}{_maybe(figure['ratio'], '.0f'):>7}"
            f"{_maybe(figure['target_ms'], '.0f'):>8}  {ok:<4} {figure['note']}"
        )
        for plan in figure.get("plans", []):
            click.echo("    " + " ".join(plan["sql"].split())[:400])
            for line in plan["plan"]:
                click.echo(f"      {line}")


def _maybe(value, spec: str) -> str:
    return "-" if value is None else format(value, spec)
