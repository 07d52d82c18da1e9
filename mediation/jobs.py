"""The periodic jobs and the only place a scheduler is built.

Each job is a thin wrapper: an app context, one service call, its commits. ``flask --app app
scheduler`` runs them in its own process (BlockingScheduler); the single-process demo of
``flask --app app run`` may run them in its main process (BackgroundScheduler), never in a
reloader child or a gunicorn worker.
"""

from __future__ import annotations

import datetime as dt
import logging
import os

from flask import Flask

from . import runtime
from .extensions import db
from .services.notify import Notifier
from .services.sweep import SweepBusy, SweepResult, run_sweep

log = logging.getLogger("mediation.jobs")


def sweep(app: Flask, now: dt.datetime | None = None) -> SweepResult | None:
    """One sweep at ``now`` (default: the clock). None if another sweep holds the lease."""
    with app.app_context():
        try:
            result = run_sweep(
                now or runtime.utcnow(),
                policy=runtime.policy(),
                tz=runtime.tz(),
                notifier=Notifier.from_config(app.config["NOTIFY_CHANNELS"]),
            )
        except SweepBusy:
            log.info("sweep skipped: another sweep holds the lease")
            return None
        except Exception:
            db.session.rollback()
            log.exception("sweep failed; the next run retries")
            return None
        finally:
            db.session.remove()
        log.info("sweep: %s", result.as_dict())
        return result


def build_scheduler(app: Flask, *, background: bool = False):
    """APScheduler 3: the sweep at start and every SWEEP_INTERVAL_MINUTES (coalesced, one
    instance, a misfire grace of about one interval)."""
    from apscheduler.schedulers.background import BackgroundScheduler
    from apscheduler.schedulers.blocking import BlockingScheduler

    minutes = app.config["SWEEP_INTERVAL_MINUTES"]
    scheduler_class = BackgroundScheduler if background else BlockingScheduler
    scheduler = scheduler_class(
        timezone=app.config["MEDIATION_TZ"],
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": minutes * 60},
    )
    scheduler.add_job(
        sweep,
        "interval",
        minutes=minutes,
        args=[app],
        id="sweep",
        next_run_time=dt.datetime.now(dt.timezone.utc),  # once at start
    )
    return scheduler


def maybe_start_in_web_process(app: Flask) -> None:
    """The single-process demo: ``flask run`` without the reloader starts the scheduler in its
    main process. Never under gunicorn, never in the reloader's child, never in tests."""
    import click

    context = click.get_current_context(silent=True)
    if context is None or context.info_name != "run" or app.config["TESTING"]:
        return
    if not app.config["SCHEDULER_IN_WEB"] or os.environ.get("WERKZEUG_RUN_MAIN"):
        return
    if context.params.get("reload") or (context.params.get("reload") is None and app.debug):
        return  # the reloader serves from a child process: no scheduler in either
    scheduler = build_scheduler(app, background=True)
    scheduler.start()
    app.extensions["mediation"]["scheduler"] = scheduler
    log.warning("demo: the scheduler runs inside this web process (sweep every %s min)",
                app.config["SWEEP_INTERVAL_MINUTES"])
