"""The database out of reach: every request a 503 with Retry-After and a translated message,
never a 500, and service back by itself once the database is (issue: the 503 handler chose the
language through the signed-in user, which queried the database again and raised)."""

from __future__ import annotations

import contextlib
import socket
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import event
from sqlalchemy.engine import make_url

from mediation.extensions import db
from mediation.platform.web import RETRY_AFTER_SECONDS

from ..api.conftest import ApiClient
from ..factories import case_fields

BUSY_ZH = "数据库繁忙"


def _assert_unavailable(response, *, as_json: bool) -> None:
    assert response.status_code == 503, response.get_data(as_text=True)[:300]
    assert response.headers["Retry-After"] == str(RETRY_AFTER_SECONDS)
    if as_json:
        assert response.get_json()["error"]["code"] == "unavailable"
        assert BUSY_ZH in response.get_json()["error"]["message"]
    else:
        assert BUSY_ZH in response.get_data(as_text=True)


# --- SQLite (and PostgreSQL): no connection can be opened ------------------------------------


@contextlib.contextmanager
def connections_refused():
    """Every new connection fails as an unreachable server's would; the pool is emptied."""

    engine = db.engine

    def refuse(dialect, conn_rec, cargs, cparams):
        raise engine.dialect.loaded_dbapi.OperationalError("cannot connect (test)")

    db.session.remove()
    engine.dispose()
    event.listen(engine, "do_connect", refuse)
    try:
        yield
    finally:
        event.remove(engine, "do_connect", refuse)


def test_every_kind_of_request_gets_503_and_service_resumes(client, world, login, make):
    case_id = make.case(world.mediator).id
    token = ApiClient(client).headers(world.mediator)
    login(world.mediator)
    with connections_refused():
        _assert_unavailable(client.get("/api/v1/cases", headers=token), as_json=True)
        posted = client.post("/api/v1/cases", json=case_fields(), headers=token)
        _assert_unavailable(posted, as_json=True)
        _assert_unavailable(client.get(f"/api/v1/cases/{case_id}", headers=token), as_json=True)
        _assert_unavailable(client.get("/cases"), as_json=False)
        _assert_unavailable(client.get(f"/cases/{case_id}"), as_json=False)
        english = client.get("/api/v1/cases", headers={**token, "Accept-Language": "en"})
        assert english.status_code == 503
        assert "database is busy" in english.get_json()["error"]["message"]
    assert client.get("/api/v1/cases", headers=token).status_code == 200
    assert client.get("/cases").status_code == 200


# --- PostgreSQL: a proxy in front of the server, cut under load -------------------------------


class Proxy:
    """A TCP proxy on 127.0.0.1 in front of the PostgreSQL server. ``cut()`` drops every
    connection and refuses new ones (the server itself is never touched); ``mend()`` undoes it."""

    def __init__(self, host: str, port: int):
        self.target = (host, port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.is_cut = False
        self.sockets: set[socket.socket] = set()
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if self.is_cut:
                client.close()
                continue
            try:
                upstream = socket.create_connection(self.target)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.sockets |= {client, upstream}
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                with contextlib.suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)
                end.close()

    def cut(self) -> None:
        self.is_cut = True
        with self.lock:
            for end in self.sockets:
                with contextlib.suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)
            self.sockets.clear()

    def mend(self) -> None:
        self.is_cut = False

    def close(self) -> None:
        self.cut()
        self.listener.close()


@pytest.fixture
def proxy(request, database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("the proxy stands in front of PostgreSQL (run with --postgres)")
    url = make_url(database_url)
    proxy = Proxy(url.host or "127.0.0.1", url.port or 5432)
    yield proxy
    proxy.close()


@pytest.fixture
def app_config(request, database_url):
    if not database_url.startswith("postgresql") or "proxy" not in request.fixturenames:
        return {}
    proxy = request.getfixturevalue("proxy")
    proxied = make_url(database_url).set(host="127.0.0.1", port=proxy.port)
    return {
        "DATABASE_URL": proxied.render_as_string(hide_password=False),
        "SQLALCHEMY_ENGINE_OPTIONS": {"connect_args": {"connect_timeout": 3}},
    }


def test_a_cut_under_load_is_503_for_every_request_and_heals(app, proxy, world, make, login):
    case_id = make.case(world.mediator).id
    client = app.test_client()
    api = ApiClient(client)
    token_headers = api.headers(world.mediator)
    browser = app.test_client()
    browser.post("/login", data={"username": "xipei", "password": "correct-horse-9"})
    db.session.remove()

    def one(index: int):
        if index % 3 == 0:
            return browser.get(f"/cases/{case_id}"), False
        if index % 3 == 1:
            return client.get("/api/v1/cases", headers=token_headers), True
        return client.post("/api/v1/cases", json=case_fields(), headers=token_headers), True

    with ThreadPoolExecutor(max_workers=6) as pool:
        before = list(pool.map(one, range(12)))
        assert {response.status_code for response, _ in before} <= {200, 201}
        proxy.cut()
        during = list(pool.map(one, range(30)))
        for response, as_json in during:
            _assert_unavailable(response, as_json=as_json)
        proxy.mend()
        after = list(pool.map(one, range(12)))
    assert {response.status_code for response, _ in after} <= {200, 201}, [
        response.status_code for response, _ in after
    ]
