"""API test helpers: bearer tokens per user and a JSON client that sends them."""

from __future__ import annotations

import pytest
from flask import g
from flask.testing import FlaskClient

from mediation.extensions import db
from mediation.models import Case
from mediation.services.users import issue_token


class FreshRequestClient(FlaskClient):
    """Starts every request with an empty ``g``, as production does.

    The ``app`` fixture keeps one app context open for the whole test and Flask reuses it for
    the client's requests, so Flask-Login's user and Flask-Babel's locale (both kept on ``g``)
    would otherwise leak from one request into the next.
    """

    def open(self, *args, **kwargs):
        vars(g).clear()
        return super().open(*args, **kwargs)


@pytest.fixture
def client(app):
    app.test_client_class = FreshRequestClient
    return app.test_client()


class ApiClient:
    """The test client with ``Authorization: Bearer`` for a user (or none for ``None``)."""

    def __init__(self, client):
        self.client = client
        self.tokens: dict[int, str] = {}

    def token(self, user) -> str:
        if user.id not in self.tokens:
            self.tokens[user.id] = issue_token(user)
            db.session.commit()
        return self.tokens[user.id]

    def headers(self, user, **extra) -> dict:
        headers = dict(extra)
        if user is not None:
            headers["Authorization"] = f"Bearer {self.token(user)}"
        return headers

    def get(self, user, path: str, *, lang: str | None = None, **kwargs):
        headers = self.headers(user, **({"Accept-Language": lang} if lang else {}))
        return self.client.get("/api/v1" + path, headers=headers, **kwargs)

    def post(self, user, path: str, body=None, *, lang: str | None = None, **kwargs):
        headers = self.headers(user, **({"Accept-Language": lang} if lang else {}))
        if body is not None:
            kwargs["json"] = body
        return self.client.post("/api/v1" + path, headers=headers, **kwargs)


@pytest.fixture
def api(client):
    return ApiClient(client)


@pytest.fixture
def case_count():
    """How many cases the database holds (to show that a refused call saved nothing)."""

    def count() -> int:
        db.session.expire_all()
        return db.session.query(Case).count()

    return count
