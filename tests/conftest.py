"""Fixtures: a real database per test, copied from one migrated at session start.

SQLite by default (a file copied per test). With ``--postgres URL`` (or TEST_POSTGRES_URL) the
same suite runs on PostgreSQL: one template database migrated once, and a fresh database made
from it for each test (CREATE DATABASE … TEMPLATE).
"""

from __future__ import annotations

import contextvars
import datetime as dt
import functools
import itertools
import os
import shutil

import pytest
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from mediation import create_app
from mediation.extensions import db
from mediation.models import users as user_models

from .factories import Factory

PASSWORD = "correct-horse-9"


class IsolatedClient(FlaskClient):
    """Each request runs in its own app context, as in production, even though the test
    itself holds one open (otherwise ``g``, the signed-in user and the locale would leak from
    one request to the next)."""

    def open(self, *args, **kwargs):
        return contextvars.Context().run(super().open, *args, **kwargs)


@pytest.fixture(autouse=True, scope="session")
def _hash_each_password_once():
    """A salted scrypt hash costs about 70 ms, and most tests make the same eight users with
    the same password: each distinct password is hashed once per run. The hashes are real,
    and signing in still checks them with scrypt."""
    cached = functools.cache(user_models.generate_password_hash)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(user_models, "generate_password_hash", cached)
        yield


def pytest_addoption(parser):
    parser.addoption(
        "--postgres",
        default=os.environ.get("TEST_POSTGRES_URL", ""),
        metavar="URL",
        help="run the suite on PostgreSQL, e.g. "
        "postgresql+psycopg://postgres@127.0.0.1:5432/postgres "
        "(databases are created and dropped per test); default: SQLite",
    )


def pytest_report_header(config):
    url = config.getoption("--postgres")
    return f"database: {'PostgreSQL ' + make_url(url).render_as_string() if url else 'SQLite'}"


def _migrate(url: str, folder) -> None:
    app = create_app(
        {"DATABASE_URL": url, "MEDIATION_DEMO": False, "TESTING": True},
        instance_path=str(folder / "instance"),
    )
    with app.app_context():
        db.engine.dispose()


class SqliteDatabases:
    """A migrated file, copied for each test."""

    def __init__(self, folder):
        self.template = folder / "mediation.db"
        _migrate(f"sqlite:///{self.template}", folder)

    def fresh(self, tmp_path) -> str:
        path = tmp_path / "mediation.db"
        shutil.copy(self.template, path)
        return f"sqlite:///{path}"

    def drop(self, url: str) -> None:
        pass

    def close(self) -> None:
        pass


class PostgresDatabases:
    """A migrated template database; each test gets its own copy, dropped afterwards."""

    def __init__(self, server_url: str, folder):
        self.server = make_url(server_url)
        self.admin = create_engine(self.server, isolation_level="AUTOCOMMIT", pool_pre_ping=True)
        self.prefix = f"fq_test_{os.getpid()}"
        self.counter = itertools.count()
        try:
            with self.admin.connect() as connection:
                connection.execute(text("SELECT 1"))
        except Exception as error:  # the server is not there: say so once, skip everything
            pytest.exit(f"--postgres: cannot reach {self.server.render_as_string()}: {error}", 3)
        self.template = f"{self.prefix}_template"
        self._execute(f'DROP DATABASE IF EXISTS "{self.template}"')
        self._execute(f'CREATE DATABASE "{self.template}"')
        _migrate(self._url(self.template), folder)

    def _url(self, name: str) -> str:
        return self.server.set(database=name).render_as_string(hide_password=False)

    def _execute(self, sql: str) -> None:
        with self.admin.connect() as connection:
            connection.execute(text(sql))

    def fresh(self, tmp_path) -> str:
        name = f"{self.prefix}_{next(self.counter)}"
        self._execute(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"')
        return self._url(name)

    def drop(self, url: str) -> None:
        self._execute(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')

    def close(self) -> None:
        self._execute(f'DROP DATABASE IF EXISTS "{self.template}" WITH (FORCE)')
        self.admin.dispose()


@pytest.fixture(scope="session")
def databases(request, tmp_path_factory):
    """Where each test's database comes from (SQLite, or PostgreSQL with --postgres)."""
    folder = tmp_path_factory.mktemp("template")
    url = request.config.getoption("--postgres")
    backend = PostgresDatabases(url, folder) if url else SqliteDatabases(folder)
    yield backend
    backend.close()


@pytest.fixture
def database_url(databases, tmp_path):
    url = databases.fresh(tmp_path)
    yield url
    databases.drop(url)


@pytest.fixture
def is_postgres(database_url) -> bool:
    return database_url.startswith("postgresql")


@pytest.fixture
def app_config():
    """Override in a test module to change the app's configuration."""
    return {}


@pytest.fixture
def app(database_url, tmp_path, app_config):
    config = {
        "DATABASE_URL": database_url,
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
        response = client.post("/login", data={"username": user.username, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)
        return client

    return login_as


@pytest.fixture
def now():
    return dt.datetime.now(dt.UTC)
