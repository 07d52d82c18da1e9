"""The ``Idempotency-Key`` header on the creating calls: a repeat gets the first answer and
changes nothing, per user; another body is a 422; a refused call binds nothing; two server
processes on one database receiving the same request at the same moment make one case."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from mediation.extensions import db
from mediation.models import Attachment, Case, CaseEvent, IdempotencyKey, Incident, Screening

from ..factories import case_fields
from ..photos import small_png
from .test_incidents_api import petition, report

ROOT = Path(__file__).resolve().parents[2]


def count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


def keyed(key: str) -> dict:
    return {"headers": {"Idempotency-Key": key}}


def post(api, user, path, body, key):
    headers = api.headers(user, **{"Idempotency-Key": key})
    return api.client.post("/api/v1" + path, json=body, headers=headers)


@pytest.mark.parametrize(
    "path, body, role",
    [
        ("/cases", lambda now: case_fields(), "mediator"),
        ("/incidents", petition, "township_officer"),
        ("/screenings", report, "mediator"),
    ],
)
def test_a_repeat_gets_the_first_answer_and_creates_nothing(api, world, now, path, body, role):
    model = {"/cases": Case, "/incidents": Incident, "/screenings": Screening}[path]
    user = getattr(world, role)
    first = post(api, user, path, body(now), "k-1")
    assert first.status_code == 201, first.get_json()
    assert count(model) == 1
    again = post(api, user, path, body(now), "k-1")
    assert again.status_code == 201
    assert again.get_json() == first.get_json()
    assert again.headers.get("Location") == first.headers.get("Location")
    assert again.headers["Idempotent-Replayed"] == "true"
    assert count(model) == 1
    # Another key is another request.
    if path != "/screenings":  # (one report per village and month: a second is 409)
        assert post(api, user, path, body(now), "k-2").status_code == 201
        assert count(model) == 2


def test_keys_belong_to_their_user(api, world):
    body = case_fields()
    mine = post(api, world.mediator, "/cases", body, "same-key")
    theirs = post(api, world.township_officer, "/cases", body, "same-key")
    assert mine.status_code == theirs.status_code == 201
    assert mine.get_json()["id"] != theirs.get_json()["id"]
    assert count(Case) == 2


def test_the_same_key_with_another_body_is_422_and_changes_nothing(api, world):
    assert post(api, world.mediator, "/cases", case_fields(), "k").status_code == 201
    other = post(api, world.mediator, "/cases", case_fields(title="另一宗纠纷"), "k")
    assert other.status_code == 422
    assert set(other.get_json()["error"]["fields"]) == {"Idempotency-Key"}
    assert count(Case) == 1
    # The same body in another key order and spacing is the same request.
    spaced = json.dumps(dict(reversed(list(case_fields().items()))), indent=2)
    same = api.client.post(
        "/api/v1/cases",
        data=spaced,
        content_type="application/json",
        headers=api.headers(world.mediator, **{"Idempotency-Key": "k"}),
    )
    assert same.status_code == 201 and count(Case) == 1


def test_a_refused_request_binds_nothing_so_the_corrected_one_may_reuse_the_key(api, world):
    wrong = post(api, world.mediator, "/cases", case_fields(title=""), "k")
    assert wrong.status_code == 422 and "title" in wrong.get_json()["error"]["fields"]
    assert count(Case) == 0 and count(IdempotencyKey) == 0
    right = post(api, world.mediator, "/cases", case_fields(), "k")
    assert right.status_code == 201 and count(Case) == 1
    assert post(api, world.mediator, "/cases", case_fields(), "k").get_json() == right.get_json()
    assert count(Case) == 1


def test_a_403_binds_nothing(api, world):
    refused = post(api, world.viewer, "/cases", case_fields(), "k")
    assert refused.status_code == 403 and count(IdempotencyKey) == 0


def test_a_repeated_action_is_answered_again_and_not_performed_twice(api, world, make):
    case = make.case(world.mediator)
    path = f"/cases/{case.id}/actions"
    first = post(api, world.mediator, path, {"action": "accept", "version": 1}, "acc")
    assert first.status_code == 200, first.get_json()
    events = count(CaseEvent)
    again = post(api, world.mediator, path, {"action": "accept", "version": 1}, "acc")
    assert again.status_code == 200 and again.get_json() == first.get_json()
    assert again.get_json()["version"] == 2 and count(CaseEvent) == events
    # Without the key the same body is a stale version.
    assert api.post(world.mediator, path, {"action": "accept", "version": 1}).status_code == 409


@pytest.mark.parametrize("key", ["", "x" * 129, "bad\x7fkey"])
def test_a_bad_key_is_422_naming_the_header(api, world, key):
    response = api.client.post(
        "/api/v1/cases",
        json=case_fields(),
        headers={**api.headers(world.mediator), "Idempotency-Key": key},
    )
    assert response.status_code == 422
    assert set(response.get_json()["error"]["fields"]) == {"Idempotency-Key"}
    assert count(Case) == 0


def test_a_key_of_128_characters_is_taken(api, world):
    assert post(api, world.mediator, "/cases", case_fields(), "x" * 128).status_code == 201


def test_a_key_is_answered_for_a_week_and_then_is_a_new_request(api, world, monkeypatch):
    """Expiry does not wait for the daily purge: a key reused after seven days registers a
    new case, whether or not its old answer has been deleted yet."""
    from mediation.platform import runtime

    start = dt.datetime.now(dt.UTC)
    body = case_fields()
    monkeypatch.setattr(runtime, "utcnow", lambda: start)
    first = post(api, world.mediator, "/cases", body, "weekly")
    assert first.status_code == 201
    monkeypatch.setattr(runtime, "utcnow", lambda: start + dt.timedelta(days=7))
    again = post(api, world.mediator, "/cases", body, "weekly")
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json() == first.get_json() and count(Case) == 1
    monkeypatch.setattr(runtime, "utcnow", lambda: start + dt.timedelta(days=7, seconds=1))
    later = post(api, world.mediator, "/cases", body, "weekly")
    assert later.status_code == 201 and "Idempotent-Replayed" not in later.headers
    assert later.get_json()["id"] != first.get_json()["id"] and count(Case) == 2
    assert post(api, world.mediator, "/cases", body, "weekly").get_json() == later.get_json()


def test_the_daily_job_purges_keys_older_than_a_week(app, api, world, now):
    from mediation import jobs

    for key in ("old", "new"):
        assert post(api, world.mediator, "/cases", case_fields(title=key), key).status_code == 201
    db.session.execute(
        update(IdempotencyKey)
        .where(IdempotencyKey.key == "new")
        .values(created_at=now + dt.timedelta(days=2))
    )
    db.session.commit()
    assert jobs.purge_keys(app, now + dt.timedelta(days=6)) == 0
    assert jobs.purge_keys(app, now + dt.timedelta(days=8)) == 1
    assert db.session.scalars(select(IdempotencyKey.key)).all() == ["new"]
    assert count(Case) == 2


def test_a_failed_purge_is_logged_and_left_for_the_next_day(app, world, monkeypatch, caplog):
    from mediation import jobs
    from mediation.services import idempotency

    def fail(now):
        raise RuntimeError("disk full")

    monkeypatch.setattr(idempotency, "purge", fail)
    assert jobs.purge_keys(app) is None
    assert "purge of Idempotency-Keys failed; the next run retries" in caplog.text
    monkeypatch.undo()
    assert jobs.purge_keys(app) == 0


def test_the_scheduler_purges_keys_daily_at_three_local_time(app):
    from mediation import jobs

    job = jobs.build_scheduler(app, background=True).get_job("purge_keys")
    fields = {field.name: str(field) for field in job.trigger.fields}
    assert (fields["day"], fields["hour"], fields["minute"]) == ("*", "3", "0")
    assert str(job.trigger.timezone) == "Asia/Shanghai"


SERVER = """
import sys
from werkzeug.serving import make_server
from mediation import create_app
app = create_app({"DATABASE_URL": sys.argv[1], "MEDIATION_DEMO": False, "AUTO_SETUP": False,
                  "SECRET_KEY": "race"}, instance_path=sys.argv[2])
server = make_server("127.0.0.1", 0, app, threaded=False)
print(server.server_port, flush=True)
server.serve_forever()
"""


def test_two_server_processes_racing_on_one_key_make_one_case(api, world, database_url, tmp_path):
    """Two processes (as two gunicorn workers, or two machines) on the same database get the
    same request at the same moment: one case; both answer with it."""
    token = api.token(world.mediator)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    servers = [
        subprocess.Popen(
            [sys.executable, "-c", SERVER, database_url, str(tmp_path / "instance")],
            stdout=subprocess.PIPE,
            text=True,
            env=env,
            cwd=ROOT,
        )
        for i in range(2)
    ]
    try:
        ports = [int(server.stdout.readline()) for server in servers]
        rounds = 4
        for round_ in range(rounds):
            body = json.dumps(case_fields(title=f"并发纠纷{round_}")).encode()
            answers: list = [None, None]
            barrier = threading.Barrier(2)

            def send(i: int, body=body, answers=answers, barrier=barrier, round_=round_):
                request = urllib.request.Request(
                    f"http://127.0.0.1:{ports[i]}/api/v1/cases",
                    data=body,
                    method="POST",
                    headers={
                        "Content-Type": "application/json",
                        "Authorization": f"Bearer {token}",
                        "Idempotency-Key": f"race-{round_}",
                    },
                )
                barrier.wait()
                try:
                    with urllib.request.urlopen(request, timeout=60) as response:
                        answers[i] = (response.status, json.loads(response.read()))
                except urllib.error.HTTPError as error:
                    answers[i] = (error.code, error.read().decode())

            threads = [threading.Thread(target=send, args=(i,)) for i in range(2)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            assert answers[0][0] == answers[1][0] == 201, answers
            assert answers[0][1]["id"] == answers[1][1]["id"]
        assert count(Case) == rounds
        titles = db.session.scalars(select(Case.title)).all()
        assert sorted(titles) == sorted(f"并发纠纷{r}" for r in range(rounds))
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=10)


def test_an_upload_is_the_same_request_whatever_its_multipart_boundary(app):
    """For the attachments upload (``@idempotent`` on its view): fields and file bytes count,
    the boundary does not."""
    import io

    from mediation.api.idempotency import _fingerprint

    def digest(boundary: str, content: bytes, note: str = "现场照片") -> str:
        parts = [
            f'--{boundary}\r\nContent-Disposition: form-data; name="note"\r\n\r\n{note}\r\n',
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.jpg"\r\n'
            "Content-Type: image/jpeg\r\n\r\n",
        ]
        body = "".join(parts).encode() + content + f"\r\n--{boundary}--\r\n".encode()
        with app.test_request_context(
            "/api/v1/cases/1/attachments",
            method="POST",
            input_stream=io.BytesIO(body),
            content_type=f"multipart/form-data; boundary={boundary}",
            content_length=len(body),
        ):
            return _fingerprint()

    assert digest("aaa", b"\xff\xd8photo") == digest("bbbbbb", b"\xff\xd8photo")
    assert digest("aaa", b"\xff\xd8photo") != digest("aaa", b"\xff\xd8other")
    assert digest("aaa", b"\xff\xd8photo") != digest("aaa", b"\xff\xd8photo", note="协议书")


def test_a_repeated_upload_stores_the_file_once(api, world, make):
    """A photo sent again after a dropped answer is the same attachment, not a second one."""
    case = make.case(world.mediator)
    headers = api.headers(world.mediator, **{"Idempotency-Key": "photo-1"})

    def send(data: bytes):
        form = {"file": (io.BytesIO(data), "ditch.png"), "kind": "evidence"}
        return api.client.post(f"/api/v1/cases/{case.id}/attachments", data=form, headers=headers)

    first, again = send(small_png()), send(small_png())
    assert first.status_code == again.status_code == 201, first.get_json()
    assert again.get_json() == first.get_json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert count(Attachment) == 1
    other = send(small_png(width=41))
    assert other.status_code == 422 and "Idempotency-Key" in other.get_json()["error"]["fields"]
    assert count(Attachment) == 1
