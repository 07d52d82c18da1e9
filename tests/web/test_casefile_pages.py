"""The case file on the pages: files on the case page (upload, thumbnails, refusals), photos
sent with a new case, the mediation-session form, and the dossier (卷宗) with its ZIP."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from pathlib import Path

from PIL import Image
from sqlalchemy import func, select

from mediation.domain.enums import Action
from mediation.domain.policy import Policy
from mediation.extensions import db
from mediation.models import Attachment, Case, CaseEvent
from mediation.models.cases import IdAccessLog
from mediation.services.workflow import Context, perform

from ..api.casework import body
from ..factories import TZ
from ..photos import EXE, GPS_IFD, PDF, phone_photo, small_png
from .test_intake import form as intake_form

ID_NUMBER = "410522198503121233"


def act(actor, case, action: str, **overrides):
    db.session.refresh(case)
    raw = body(action, case.level.value, **overrides)
    perform(
        actor,
        case,
        Action(action),
        raw,
        version=case.version,
        ctx=Context.build(dt.datetime.now(dt.UTC), Policy(), TZ),
    )
    db.session.commit()


def attachments_of(case_id: int) -> list[Attachment]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(Attachment).where(Attachment.case_id == case_id).order_by(Attachment.id)
        )
    )


def english(client):
    client.post("/lang/en", data={"next": "/"})
    return client


def test_a_photo_uploaded_on_the_case_page_shows_as_a_thumbnail(app, client, world, login, make):
    case = make.case(world.mediator)
    login(world.mediator)
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert 'accept="image/*,application/pdf"' in page and 'capture="environment"' in page
    assert 'enctype="multipart/form-data"' in page

    answer = client.post(
        f"/cases/{case.id}/attachments",
        data={"camera": (io.BytesIO(phone_photo()), "IMG_0001.jpg"), "kind": "photo"},
    )
    assert answer.status_code == 302, answer.get_data(as_text=True)
    (item,) = attachments_of(case.id)
    assert item.kind.value == "photo" and item.thumb_sha256
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert f'src="/attachments/{item.id}?thumb=1"' in page
    assert "IMG_0001.jpg" in page  # in the list and in the history
    thumb = client.get(f"/attachments/{item.id}?thumb=1")
    assert thumb.status_code == 200 and thumb.mimetype == "image/jpeg"
    stored = client.get(f"/attachments/{item.id}")
    with Image.open(io.BytesIO(stored.data)) as image:
        assert max(image.size) == 2560 and not image.getexif().get_ifd(GPS_IFD)


def test_a_program_renamed_jpg_is_refused_on_the_page(client, world, login, make):
    case = make.case(world.mediator)
    english(login(world.mediator))
    answer = client.post(
        f"/cases/{case.id}/attachments",
        data={"file": (io.BytesIO(EXE), "photo.jpg"), "kind": "photo"},
    )
    assert answer.status_code == 422
    assert "Only photos (JPEG, PNG, WebP) and PDF documents can be attached." in answer.get_data(
        as_text=True
    )
    assert attachments_of(case.id) == []


def test_an_upload_over_the_limit_is_413_with_the_limit_named(app, client, world, login, make):
    app.config["ATTACHMENT_MAX_MB"] = 1
    case = make.case(world.mediator)
    login(world.mediator)
    big = PDF + b"%" * (3 * 1024 * 1024)
    answer = client.post(
        f"/cases/{case.id}/attachments",
        data={"file": (io.BytesIO(big), "big.pdf"), "kind": "evidence"},
    )
    assert answer.status_code == 413
    assert "文件过大" in answer.get_data(as_text=True)
    assert attachments_of(case.id) == []


def test_another_villages_file_and_dossier_are_not_found(client, world, login, make):
    case = make.case(world.mediator)
    login(world.mediator)
    client.post(
        f"/cases/{case.id}/attachments",
        data={"file": (io.BytesIO(small_png()), "a.png"), "kind": "photo"},
    )
    (item,) = attachments_of(case.id)
    client.post("/logout")
    login(world.mediator_east)
    for path in (
        f"/attachments/{item.id}",
        f"/attachments/{item.id}?thumb=1",
        f"/cases/{case.id}/dossier",
        f"/cases/{case.id}/dossier.zip",
    ):
        assert client.get(path).status_code == 404, path
    answer = client.post(
        f"/cases/{case.id}/attachments",
        data={"file": (io.BytesIO(PDF), "b.pdf"), "kind": "evidence"},
    )
    assert answer.status_code == 404 and len(attachments_of(case.id)) == 1


def test_photos_sent_with_a_new_case_are_attached_to_it(client, world, login):
    login(world.mediator)
    page = client.get("/cases/new").get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in page and 'name="photos"' in page
    data = intake_form()
    data["photos"] = [
        (io.BytesIO(small_png()), "ditch.png"),
        (io.BytesIO(PDF), "receipt.pdf"),
    ]
    answer = client.post("/cases/new", data=data)
    assert answer.status_code == 302, answer.get_data(as_text=True)
    case = db.session.scalars(select(Case).order_by(Case.id.desc())).first()
    items = attachments_of(case.id)
    assert [(i.name, i.kind.value) for i in items] == [
        ("ditch.png", "photo"),
        ("receipt.pdf", "evidence"),
    ]


def test_a_bad_photo_with_a_new_case_registers_nothing(client, world, login):
    english(login(world.mediator))
    cases_before = db.session.scalar(select(func.count()).select_from(Case))
    data = intake_form()
    data["photos"] = [(io.BytesIO(small_png()), "ok.png"), (io.BytesIO(EXE), "bad.jpg")]
    answer = client.post("/cases/new", data=data)
    assert answer.status_code == 422
    page = answer.get_data(as_text=True)
    assert re.search(r'data-field="photos">Only photos', page)
    assert db.session.scalar(select(func.count()).select_from(Case)) == cases_before
    assert db.session.scalar(select(func.count()).select_from(Attachment)) == 0


def test_a_session_recorded_on_the_page_shows_in_the_history(client, world, login, make):
    case = make.case(world.mediator, now=dt.datetime.now(dt.UTC) - dt.timedelta(days=1))
    act(world.mediator, case, "accept")
    login(world.mediator)
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert 'id="action-session"' in page and 'type="datetime-local"' in page
    held = (dt.datetime.now(TZ) - dt.timedelta(hours=2)).replace(second=0, microsecond=0)
    answer = client.post(
        f"/cases/{case.id}/actions/session",
        data={
            "version": str(case.version),
            "held_at": held.strftime("%Y-%m-%dT%H:%M"),
            "place": "西裴村委会",
            "participants": "张三、李四、调解员",
            "summary": "双方同意由村委会测量界线。",
        },
    )
    assert answer.status_code == 302, answer.get_data(as_text=True)
    event = db.session.scalars(
        select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id.desc())
    ).first()
    assert event.action == "session"
    assert dt.datetime.fromisoformat(event.data["held_at"]) == held
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    history = page[page.index('class="history"') :]
    assert (
        "调解记录" in history
        and "西裴村委会" in history
        and held.strftime("%Y-%m-%d %H:%M") in history
    )

    # in the future: refused next to the field, nothing saved
    english(client)
    answer = client.post(
        f"/cases/{case.id}/actions/session",
        data={
            "version": str(case.version + 1),
            "held_at": (held + dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
            "place": "x",
            "participants": "y",
            "summary": "z",
        },
    )
    assert answer.status_code == 422
    assert 'data-field="held_at">The session cannot be in the future.' in answer.get_data(
        as_text=True
    )


SECTIONS = [
    'id="cover"',
    'id="registration"',
    'id="parties"',
    'id="sessions"',
    'id="agreement"',
    'id="follow-up"',
    'id="confirmation"',
    'id="attachments"',
]


def a_full_case(world, make, client, login):
    parties = [
        {"name": "张三", "role": "applicant", "id_number": ID_NUMBER},
        {"name": "李四", "role": "respondent"},
    ]
    case = make.case(
        world.mediator, parties=parties, now=dt.datetime.now(dt.UTC) - dt.timedelta(days=3)
    )
    act(world.mediator, case, "accept")
    act(
        world.mediator,
        case,
        "session",
        place="第一次调解：村委会",
        summary="第一次：双方各执一词。",
        held_at=(dt.datetime.now(dt.UTC) - dt.timedelta(days=2)).isoformat(),
    )
    act(world.mediator, case, "session", place="第二次调解：田间地头", summary="第二次：达成一致。")
    act(
        world.mediator,
        case,
        "resolve",
        agreement={"form": "written", "terms": "李四赔偿张三五百元。", "amount_yuan": "500"},
    )
    act(world.mediator, case, "follow_up", note="回访：已履行完毕。")
    login(world.mediator)
    client.post(
        f"/cases/{case.id}/attachments",
        data={"file": (io.BytesIO(small_png()), "现场.png"), "kind": "photo", "note": "沟渠照片"},
    )
    client.post(
        f"/cases/{case.id}/attachments",
        data={"file": (io.BytesIO(PDF), "协议扫描.pdf"), "kind": "agreement_scan"},
    )
    client.post("/logout")
    return case


def test_the_dossier_holds_the_parts_in_the_order_of_a_case_file(client, world, login, make):
    case = a_full_case(world, make, client, login)
    login(world.mediator)
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert f'href="/cases/{case.id}/dossier"' in page
    answer = client.get(f"/cases/{case.id}/dossier")
    assert answer.status_code == 200
    html = answer.get_data(as_text=True)
    positions = [html.index(marker) for marker in SECTIONS]
    assert positions == sorted(positions)
    assert html.index("第一次：双方各执一词。") < html.index("第二次：达成一致。")
    assert html.index('id="sessions"') < html.index("第一次调解") < html.index('id="agreement"')
    agreement = html[html.index('id="agreement"') : html.index('id="follow-up"')]
    assert "李四赔偿张三五百元。" in agreement
    assert (
        "回访：已履行完毕。" in html[html.index('id="follow-up"') : html.index('id="confirmation"')]
    )
    files = html[html.index('id="attachments"') :]
    (photo, scan) = attachments_of(case.id)
    assert f'src="/attachments/{photo.id}?thumb=1"' in files and "沟渠照片" in files
    assert "协议扫描.pdf" in files
    assert "break-before: page" in Path(client.application.static_folder, "dossier.css").read_text()
    # a mediator sees the masked number, and no view is logged
    assert ID_NUMBER not in html and "4105" in html
    assert db.session.scalar(select(func.count()).select_from(IdAccessLog)) == 0


def test_an_officer_sees_full_id_numbers_in_the_dossier_each_view_logged(
    client, world, login, make
):
    case = a_full_case(world, make, client, login)
    login(world.township_officer)
    html = client.get(f"/cases/{case.id}/dossier").get_data(as_text=True)
    assert ID_NUMBER in html
    logged = db.session.scalars(select(IdAccessLog)).all()
    assert [(row.user_id, row.case_id) for row in logged] == [(world.township_officer.id, case.id)]


def test_a_case_without_agreement_says_why(client, world, login, make):
    case = make.case(world.mediator)
    act(world.mediator, case, "accept")
    act(world.mediator, case, "withdraw", note="申请人撤回申请，双方自行和解。")
    login(world.mediator)
    html = client.get(f"/cases/{case.id}/dossier").get_data(as_text=True)
    part = html[html.index('id="agreement"') : html.index('id="follow-up"')]
    assert "调解不成" in part or "未达成" in part
    assert "申请人撤回申请，双方自行和解。" in part


def test_the_dossier_zip_holds_the_page_and_the_files(client, world, login, make):
    case = a_full_case(world, make, client, login)
    login(world.mediator)
    answer = client.get(f"/cases/{case.id}/dossier.zip")
    assert answer.status_code == 200 and answer.mimetype == "application/zip"
    assert f"{case.number}-dossier.zip" in answer.headers["Content-Disposition"]
    photo, scan = attachments_of(case.id)
    with zipfile.ZipFile(io.BytesIO(answer.data)) as archive:
        names = set(archive.namelist())
        assert names == {
            "dossier.html",
            f"files/{photo.id}-现场.png",
            f"thumbs/{photo.id}.jpg",
            f"files/{scan.id}-协议扫描.pdf",
        }
        assert archive.read(f"files/{scan.id}-协议扫描.pdf") == PDF
        assert (
            archive.read(f"files/{photo.id}-现场.png")
            == client.get(f"/attachments/{photo.id}").data
        )
        html = archive.read("dossier.html").decode()
    # the archived page stands alone: styles inline, pictures and links into the archive
    assert "<style>" in html and "/static/" not in html
    assert f'src="thumbs/{photo.id}.jpg"' in html
    assert f'href="files/{scan.id}-协议扫描.pdf"' in html


def test_a_merged_duplicates_files_show_on_the_kept_case(client, world, login, make):
    """并单: the hotline's photo of the same dispute is found on the case the township kept."""
    kept = make.case(world.mediator)
    duplicate = make.case(world.mediator, title="热线转来：同一起排水纠纷")
    login(world.mediator)
    answer = client.post(
        f"/cases/{duplicate.id}/attachments",
        data={"file": (io.BytesIO(small_png()), "ditch.png"), "kind": "evidence"},
    )
    assert answer.status_code == 302
    (item,) = attachments_of(duplicate.id)
    client.post("/logout")
    login(world.township_officer)
    answer = client.post(
        f"/api/v1/cases/{duplicate.id}/merge",
        json={"into_case_id": kept.id, "note": "热线与村里报的是同一起纠纷。"},
    )
    assert answer.status_code == 200, answer.get_data(as_text=True)
    page = client.get(f"/cases/{kept.id}").get_data(as_text=True)
    duplicates = page[page.index('id="duplicates"') :]
    assert f'href="/attachments/{item.id}"' in duplicates and "ditch.png" in duplicates
    assert client.get(f"/attachments/{item.id}").status_code == 200
