"""The app as users get it, served on a free local port for the browser tests."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

from flask import Flask
from werkzeug.serving import make_server

from mediation import create_app
from mediation.extensions import db


def browser_app(database_url: str, tmp_path) -> Flask:
    """The app as users get it (CSRF on) over a fresh database."""
    return create_app(
        {
            "DATABASE_URL": database_url,
            "MEDIATION_DEMO": False,
            "AUTO_SETUP": False,
            "SECRET_KEY": "browser-test",
        },
        instance_path=str(tmp_path / "instance"),
    )


@contextlib.contextmanager
def serving(app: Flask) -> Iterator[str]:
    """``app`` on a free port of 127.0.0.1 in a thread; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        with app.app_context():
            db.engine.dispose()
