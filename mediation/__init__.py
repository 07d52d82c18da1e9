"""Fengqiao: a dispute-mediation case tracker for Chinese rural governance."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

from . import config as config_module

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def create_app(
    test_config: Mapping[str, Any] | None = None, instance_path: str | None = None
) -> Flask:
    """Build the app: configuration, database, auth, languages, blueprints, commands."""
    instance_path = (
        instance_path or os.environ.get("MEDIATION_INSTANCE") or str(PROJECT_ROOT / "instance")
    )
    app = Flask(
        __name__,
        instance_path=instance_path,
        instance_relative_config=True,
        template_folder=str(PROJECT_ROOT / "templates"),
    )
    os.makedirs(app.instance_path, exist_ok=True)
    _configure_logging()
    app.config.from_mapping(config_module.load(app.instance_path, test_config))

    from . import jobs
    from .admin import bp as admin_bp
    from .api import bp as api_bp
    from .auth import bp as auth_bp
    from .cases import bp as cases_bp
    from .cli import register_commands
    from .inbox import bp as inbox_bp
    from .incidents import bp as incidents_bp
    from .ledger import bp as ledger_bp
    from .offline import bp as offline_bp
    from .platform import database, i18n, runtime, security, web
    from .scorecards import bp as scorecards_bp
    from .statistics import bp as statistics_bp

    runtime.init_app(app)
    database.init_app(app)
    security.init_app(app)
    i18n.init_app(app)
    web.init_app(app)
    app.register_blueprint(auth_bp)
    app.register_blueprint(cases_bp)
    app.register_blueprint(inbox_bp)
    app.register_blueprint(incidents_bp)
    app.register_blueprint(offline_bp)
    app.register_blueprint(scorecards_bp)
    app.register_blueprint(statistics_bp)
    app.register_blueprint(ledger_bp)
    app.register_blueprint(admin_bp, url_prefix="/admin")
    app.register_blueprint(api_bp, url_prefix="/api/v1")
    register_commands(app)

    if app.config["AUTO_SETUP"]:
        database.prepare(app)
    jobs.maybe_start_in_web_process(app)
    return app


def _configure_logging() -> None:
    """INFO from our own loggers (sweeps, notifications) on stderr, unless the host set it up."""
    import logging

    if not logging.getLogger().handlers:
        logging.basicConfig(format="%(asctime)s %(levelname)s [%(name)s] %(message)s")
    logging.getLogger("mediation").setLevel(logging.INFO)
