"""POST/GET /cases/{id}/attachments and GET /attachments/{id}: files checked by content,
images downscaled and stripped of EXIF, stored by SHA-256 under ATTACHMENT_DIR, scoped like
their case, refused cleanly when too large or when the disk is full."""

from __future__ import annotations

import errno
import hashlib
import io
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select

from mediation.extensions import db
from mediation.models import Attachment, CaseEvent
from mediation.platform import files as file_writing

from ..photos import EXE, GPS_IFD, ORIENTATION, PDF, phone_photo, small_png


def upload(api, user, case_id, data: bytes, name: str, lang: str | None = None, **fields):
    form = {"file": (io.BytesIO(data), name), "kind": "photo", **fields}
    return api.post(user, f"/cases/{case_id}/attachments", data=form, lang=lang)


def stored_files(app) -> list[Path]:
    root = Path(app.config["ATTACHMENT_DIR"])
    return sorted(path for path in root.rglob("*") if path.is_file()) if root.exists() else []


def attachment_rows() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Attachment))


def test_a_phone_photo_is_stored_upright_downscaled_and_without_its_location(app, api, world, make):
    case = make.case(world.mediator)
    photo = phone_photo()
    assert len(photo) > 9_000_000  # a phone's photo, bigger than the 1 MiB JSON limit
    with Image.open(io.BytesIO(photo)) as sent:
        assert sent.getexif().get_ifd(GPS_IFD)  # the photo does carry a position

    answer = upload(api, world.mediator, case.id, photo, "IMG_2041.JPG", note="沟渠现场")
    assert answer.status_code == 201, answer.get_json()
    body = answer.get_json()
    assert body["kind"] == "photo" and body["content_type"] == "image/jpeg"
    assert body["name"] == "IMG_2041.jpg" and body["uploaded_by"] == world.mediator.username
    assert answer.headers["Location"].endswith(f"/attachments/{body['id']}")

    stored = Path(app.config["ATTACHMENT_DIR"]) / body["sha256"][:2] / body["sha256"][2:4]
    stored = stored / body["sha256"]
    data = stored.read_bytes()
    assert hashlib.sha256(data).hexdigest() == body["sha256"] and len(data) == body["size"]
    assert len(data) < len(photo) // 3
    with Image.open(io.BytesIO(data)) as kept:
        # 3456 × 2592 on its side: upright it is 1920 × 2560 (longest side 2560)
        assert kept.size == (1920, 2560)
        exif = kept.getexif()
        assert GPS_IFD not in exif and not exif.get_ifd(GPS_IFD)
        assert ORIENTATION not in exif and len(exif) == 0
    assert b"PhoneMaker" not in data

    served = api.get(world.mediator, f"/attachments/{body['id']}")
    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    assert served.data == data
    thumb = api.get(world.mediator, f"/attachments/{body['id']}?thumb=1")
    assert thumb.status_code == 200 and thumb.mimetype == "image/jpeg"
    with Image.open(io.BytesIO(thumb.data)) as small:
        assert small.size == (240, 320)
        assert not small.getexif()

    listed = api.get(world.township_officer, f"/cases/{case.id}/attachments").get_json()
    assert [item["id"] for item in listed] == [body["id"]]
    assert listed[0]["note"] == "沟渠现场" and listed[0]["has_thumbnail"] is True

    events = api.get(world.mediator, f"/cases/{case.id}/events").get_json()
    attached = [event for event in events if event["action"] == "attach"]
    assert len(attached) == 1 and attached[0]["data"]["attachment_id"] == body["id"]
    assert attached[0]["version"] is None  # a file is not a workflow step
    case_now = api.get(world.mediator, f"/cases/{case.id}").get_json()
    assert case_now["version"] == case.version


def test_a_pdf_is_stored_as_sent_without_a_thumbnail(app, api, world, make):
    case = make.case(world.mediator)
    answer = upload(api, world.mediator, case.id, PDF, "协议书.pdf", kind="agreement_scan")
    assert answer.status_code == 201, answer.get_json()
    body = answer.get_json()
    assert body["sha256"] == hashlib.sha256(PDF).hexdigest() and body["size"] == len(PDF)
    assert body["content_type"] == "application/pdf" and body["kind"] == "agreement_scan"
    assert api.get(world.mediator, f"/attachments/{body['id']}").data == PDF
    assert api.get(world.mediator, f"/attachments/{body['id']}?thumb=1").status_code == 404


def test_the_type_is_judged_by_content_not_by_name(app, api, world, make):
    case = make.case(world.mediator)
    answer = upload(api, world.mediator, case.id, EXE, "现场照片.jpg")
    assert answer.status_code == 422
    assert set(answer.get_json()["error"]["fields"]) == {"file"}
    assert attachment_rows() == 0 and stored_files(app) == []

    # …and a real PNG named .pdf is a PNG
    answer = upload(api, world.mediator, case.id, small_png(), "scan.pdf")
    assert answer.status_code == 201
    assert answer.get_json()["content_type"] == "image/png"
    assert answer.get_json()["name"] == "scan.png"


def test_a_damaged_image_is_refused(app, api, world, make):
    case = make.case(world.mediator)
    broken = phone_photo()[:2000]
    answer = upload(api, world.mediator, case.id, broken, "a.jpg")
    assert answer.status_code == 422 and "file" in answer.get_json()["error"]["fields"]
    assert attachment_rows() == 0


def test_missing_fields_and_unknown_ones_are_named(api, world, make):
    case = make.case(world.mediator)
    answer = api.post(world.mediator, f"/cases/{case.id}/attachments", data={"kind": "x"})
    assert answer.status_code == 422
    assert set(answer.get_json()["error"]["fields"]) == {"file", "kind"}
    answer = upload(api, world.mediator, case.id, PDF, "a.pdf", colour="red")
    assert answer.status_code == 422
    assert set(answer.get_json()["error"]["fields"]) == {"colour"}


def test_another_villages_attachment_is_not_found(api, world, make):
    case = make.case(world.mediator)
    body = upload(api, world.mediator, case.id, small_png(), "a.png").get_json()
    outsider = world.mediator_east  # the next village of the same township
    for path in (
        f"/attachments/{body['id']}",
        f"/attachments/{body['id']}?thumb=1",
        f"/cases/{case.id}/attachments",
    ):
        assert api.get(outsider, path).status_code == 404, path
        assert api.get(world.township_officer, path).status_code == 200, path
    assert upload(api, outsider, case.id, PDF, "b.pdf").status_code == 404
    assert attachment_rows() == 1


def test_viewers_may_look_but_not_attach(api, world, make):
    case = make.case(world.mediator)
    assert upload(api, world.viewer, case.id, PDF, "a.pdf").status_code == 403
    assert api.get(world.viewer, f"/cases/{case.id}/attachments").status_code == 200
    assert attachment_rows() == 0


def test_a_file_over_the_limit_is_413_and_json_keeps_its_1_mib(app, api, world, make):
    app.config["ATTACHMENT_MAX_MB"] = 3
    case = make.case(world.mediator)
    just_under = PDF + b"%" * (3 * 1024 * 1024 - len(PDF) - 2048)
    assert upload(api, world.mediator, case.id, just_under, "big.pdf").status_code == 201
    over = PDF + b"%" * (3 * 1024 * 1024)
    answer = upload(api, world.mediator, case.id, over, "bigger.pdf", lang="en")
    assert answer.status_code == 413
    assert answer.get_json()["error"]["message"] == (
        "The file is too large: at most 3 MB can be attached."
    )
    assert attachment_rows() == 1
    # far over: refused before the body is read
    far = PDF + b"%" * (5 * 1024 * 1024)
    assert upload(api, world.mediator, case.id, far, "huge.pdf").status_code == 413
    # the other routes keep MAX_CONTENT_LENGTH, multipart or not
    answer = api.post(
        world.mediator,
        "/cases",
        data={"file": (io.BytesIO(b"x" * (2 * 1024 * 1024)), "a.pdf")},
    )
    assert answer.status_code == 413
    answer = api.post(world.mediator, "/cases", {"title": "长" * (600 * 1024)})
    assert answer.status_code == 413


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EACCES])
def test_a_full_disk_leaves_nothing_behind(app, api, world, make, monkeypatch, code):
    case = make.case(world.mediator)
    real_replace = file_writing.os.replace
    calls = []

    def failing_replace(source, target):
        calls.append(target)
        if len(calls) == 2:  # the photo is in place, its thumbnail finds the disk full
            raise OSError(code, "No space left on device")
        return real_replace(source, target)

    monkeypatch.setattr(file_writing.os, "replace", failing_replace)
    answer = upload(api, world.mediator, case.id, small_png(), "a.png", lang="en")
    assert answer.status_code == 507
    message = answer.get_json()["error"]["message"]
    if code == errno.ENOSPC:
        assert (
            message == "The file could not be saved: the server's disk is full. Nothing was saved."
        )
    else:
        assert message == "The file could not be saved on the server. Nothing was saved."
    assert len(calls) == 2
    assert attachment_rows() == 0 and stored_files(app) == []
    events = db.session.scalars(select(CaseEvent.action).where(CaseEvent.case_id == case.id))
    assert "attach" not in list(events)


def test_the_same_file_twice_is_stored_once(app, api, world, make):
    case = make.case(world.mediator)
    first = upload(api, world.mediator, case.id, PDF, "a.pdf").get_json()
    second = upload(api, world.mediator, case.id, PDF, "b.pdf").get_json()
    assert first["id"] != second["id"] and first["sha256"] == second["sha256"]
    assert len(stored_files(app)) == 1
