"""Fixtures: a real SQLite database per test, copied from one migrated at session start."""

from __future__ import annotations

import contextvars
import datetime as dt
import shutil

import pytest

from flask.testing import FlaskClient

from mediation import create_app
from mediation.extensions import db

from .factories import Factory

PASSWORD = "correct-horse-9"


class IsolatedClient(FlaskClient):
    """Each request runs in its own app context, as in production, even though the test
    itself holds one open (otherwise ``g``, the signed-in user and the locale would leak from
    one request to the next)."""

    def open(self, *args, **kwargs):
        return contextvars.Context().run(super().open, *args, **kwargs)


@pytest.fixture(scope="session")
def migrated_db(tmp_path_factory):
    """A database file built by running every migration, once per test session."""
    folder = tmp_path_factory.mktemp("template")
    path = folder / "mediation.db"
    app = create_app(
        {"DATABASE_URL": f"sqlite:///{path}", "MEDIATION_DEMO": False, "TESTING": True},
        instance_path=str(folder / "instance"),
    )
    with app.app_context():
        db.engine.dispose()
    return path


@pytest.fixture
def app_config():
    """Override in a test module to change the app's configuration."""
    return {}


@pytest.fixture
def app(migrated_db, tmp_path, app_config):
    path = tmp_path / "mediation.db"
    shutil.copy(migrated_db, path)
    config = {
        "DATABASE_URL": f"sqlite:///{path}",
        "MEDIATION_DEMO": False,
        "AUTO_SETUP": False,
        "TESTING": True,
        "WTF_CSRF_ENABLED": False,
        "SECRET_KEY": "test-secret",
    }
    config.update(app_config)
    app = create_app(config, instance_path=str(tmp_path / "instance"))
    app.test_client_class = IsolatedClient
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def make(app):
    """Factories for units, users and cases, writing through the real services."""
    return Factory()


@pytest.fixture
def world(make):
    """A county with two townships of two villages each, and a user of every role."""
    return make.world()


@pytest.fixture
def login(client):
    def login_as(user, password: str = PASSWORD):
        response = client.post(
            "/login", data={"username": user.username, "password": password}
        )
        assert response.status_code == 302, response.get_data(as_text=True)
        return client

    return login_as


@pytest.fixture
def now():
    return dt.datetime.now(dt.timezone.utc)
