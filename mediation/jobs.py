"""The periodic jobs and the only place a scheduler is built.

Each job is a thin wrapper: an app context, one service call, its commits. ``flask --app app
scheduler`` runs them in its own process (BlockingScheduler); the single-process demo of
``flask --app app run`` may run them in its main process (BackgroundScheduler), never in a
reloader child or a gunicorn worker.
"""

from __future__ import annotations

import datetime as dt
import gc
import logging
import os
from collections.abc import Callable
from typing import TypeVar

from flask import Flask

from .extensions import db
from .platform import runtime
from .services import idempotency
from .services.lease import LEASE_SECONDS, SweepBusy, holding_lease
from .services.notify import Notifier
from .services.sweep import SweepResult, run_sweep

log = logging.getLogger("mediation.jobs")
T = TypeVar("T")


def settle_after_start() -> None:
    """Hand everything alive once a job process has started (modules, the app, the ORM's
    mappers) to the garbage collector's permanent generation, so that its collections scan
    only what the jobs create: re-scanning the app on every full collection cost a day's
    backlog sweep a sixth of its time. Called by the scheduler and sweep commands."""
    gc.collect()
    gc.freeze()


def _run_job(app: Flask, name: str, work: Callable[[], T]) -> T | None:
    """``work`` in an app context, as every job runs: a failure is rolled back, logged, and
    answered None (the next run retries); the session is removed either way."""
    with app.app_context():
        try:
            return work()
        except Exception:
            db.session.rollback()
            log.exception("%s failed; the next run retries", name)
            return None
        finally:
            db.session.remove()


def sweep(app: Flask, now: dt.datetime | None = None) -> SweepResult | None:
    """One sweep at ``now`` (default: the clock). None if another sweep holds the lease."""

    def work() -> SweepResult | None:
        try:
            return run_sweep(
                now or runtime.utcnow(),
                policy=runtime.policy(),
                tz=runtime.tz(),
                notifier=Notifier.from_config(app.config["NOTIFY_CHANNELS"]),
            )
        except SweepBusy:
            log.info("sweep skipped: another sweep holds the lease")
            return None

    result = _run_job(app, "sweep", work)
    if result is not None:
        log.info("sweep: %s", result.as_dict())
    return result


def deliver(app: Flask, now: dt.datetime | None = None):
    """Send what the notification outbox holds at ``now`` (default: the clock). Rows are
    claimed one by one, so two schedulers (or a ``flask deliver`` beside one) never send the
    same row; None if the run failed (logged; the next run retries)."""
    from .services.lease import lease_holder
    from .services.outbox import deliver as deliver_outbox

    result = _run_job(
        app, "delivery run", lambda: deliver_outbox(now or runtime.utcnow(), holder=lease_holder())
    )
    if result is not None and (result.sent or result.failed):
        log.info("deliver: %s", result.as_dict())
    return result


def freeze_month(
    app: Flask, now: dt.datetime | None = None, *, wait_seconds: float = LEASE_SECONDS
) -> list[tuple[str, int]]:
    """Freeze the previous month of every county not frozen yet, once the freeze day of this
    month (policy scorecard.freeze_day, local time) has come. Returns (county code, revision)
    of each freeze. A sweep at the freeze's own instant comes first, so that the month holds
    every fact due by then whenever the last sweep ran. Both run under the sweep's lease
    (waiting up to ``wait_seconds`` for it), so that the freeze never runs beside a sweep, nor
    beside the freeze of a second scheduler started by mistake. A county that fails is logged
    and left for the next run; the others go on. Idempotent: a frozen month is left alone
    (revisions are published by people, with a reason).
    """
    from .domain.months import Month
    from .models import Unit
    from .services import scorecard

    done: list[tuple[str, int]] = []
    with app.app_context():
        try:
            now = now or runtime.utcnow()
            policy, tz = runtime.policy(), runtime.tz()
            if now.astimezone(tz).day < policy.scorecard.freeze_day:
                return done
            month = Month.of(now, tz).previous()
            if all(scorecard.snapshots(county, month) for county in scorecard.counties()):
                return done
            with holding_lease(wait_seconds=wait_seconds) as holder:
                run_sweep(
                    now,
                    policy=policy,
                    tz=tz,
                    notifier=Notifier.from_config(app.config["NOTIFY_CHANNELS"]),
                    holder=holder,
                    lease_held=True,
                )
                codes = [(county.id, county.code) for county in scorecard.counties()]
                for county_id, code in codes:
                    try:
                        county = db.session.get(Unit, county_id)
                        snapshot = scorecard.freeze_if_unfrozen(
                            county, month, now=now, policy=policy, tz=tz
                        )
                        db.session.commit()
                    except Exception:
                        db.session.rollback()
                        log.exception(
                            "freeze of %s for county %s failed; the next run retries", month, code
                        )
                        continue
                    if snapshot is not None:
                        log.info(
                            "froze %s for county %s: revision %s", month, code, snapshot.revision
                        )
                        done.append((code, snapshot.revision))
        except SweepBusy:
            log.warning("month freeze skipped: a sweep held the lease throughout; next run retries")
        except Exception:
            db.session.rollback()
            log.exception("month freeze failed; the next run retries")
        finally:
            db.session.remove()
    return done


def purge_keys(app: Flask, now: dt.datetime | None = None) -> int | None:
    """Delete the ``Idempotency-Key`` answers older than their week (docs/api.md#idempotency):
    how many, or None if the run failed (logged; tomorrow's run retries). Once a day is
    enough, since an expired key is refused as such when it is used again."""

    def work() -> int:
        purged = idempotency.purge(now or runtime.utcnow())
        db.session.commit()
        return purged

    purged = _run_job(app, "purge of Idempotency-Keys", work)
    if purged is not None:
        log.info("purged %s Idempotency-Keys", purged)
    return purged


def build_scheduler(app: Flask, *, background: bool = False):
    """APScheduler 3: the sweep at start and every SWEEP_INTERVAL_MINUTES (coalesced, one
    instance, a misfire grace of about one interval); the outbox's delivery every minute; the
    month freeze on the policy's freeze day at 01:00 local time, and once at start to catch
    up a freeze missed while stopped; the purge of old Idempotency-Keys daily at 03:00."""
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
        next_run_time=dt.datetime.now(dt.UTC),  # once at start
    )
    scheduler.add_job(
        deliver,
        "interval",
        minutes=1,
        args=[app],
        id="deliver",
        misfire_grace_time=60,
        next_run_time=dt.datetime.now(dt.UTC) + dt.timedelta(seconds=10),
    )
    scheduler.add_job(
        freeze_month,
        "cron",
        day=app.extensions["mediation"]["policy"].scorecard.freeze_day,
        hour=1,
        timezone=app.config["MEDIATION_TZ"],
        args=[app],
        id="freeze_month",
        misfire_grace_time=6 * 3600,
        # once at start (after the first sweep): a freeze day the scheduler was down for
        next_run_time=dt.datetime.now(dt.UTC) + dt.timedelta(seconds=30),
    )
    scheduler.add_job(
        purge_keys,
        "cron",
        hour=3,
        timezone=app.config["MEDIATION_TZ"],
        args=[app],
        id="purge_keys",
        misfire_grace_time=6 * 3600,
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
    log.warning(
        "demo: the scheduler runs inside this web process (sweep every %s min)",
        app.config["SWEEP_INTERVAL_MINUTES"],
    )
