"""API test helpers: bearer tokens per user and a JSON client that sends them."""

from __future__ import annotations

import pytest

from mediation.extensions import db
from mediation.models import Case
from mediation.services.users import issue_token


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
