"""The case file (卷宗): files attached to a case, and the whole file as one printable page."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..api.attachments import file_response
from ..domain.enums import Action, AgreementForm, AttachmentKind, CaseStatus, Clock
from ..domain.i18n import N_, Message
from ..domain.intake import InvalidInput
from ..extensions import db
from ..models import Attachment, Case, CaseEvent
from ..platform import runtime
from ..platform.i18n import render_message
from ..platform.web import accepts_uploads, attachment, storage_failed_message, too_large_message
from ..services import access, identity
from ..services import attachments as files
from ..services.cases import case_history
from . import bp
from .agreements import confirmation_deadline
from .views import _case_page

NO_FILE = Message(N_("Choose a file to attach."))


@bp.route("/cases/<id:case_id>/attachments", methods=["POST"])
@login_required
@accepts_uploads()
def upload_attachment(case_id: int):
    """A file from the case page (the phone's camera, a scan, a PDF), then back to the case."""
    case = access.find_case(current_user, case_id) or abort(404)
    if not access.can_attach_files(current_user):
        abort(403)
    upload = request.files.get("camera") or request.files.get("file")
    if upload is not None and not upload.filename:
        upload = request.files.get("file")
    try:
        kind, note = files.parse_upload_fields(request.form)
        if upload is None or not upload.filename:
            raise InvalidInput({"file": NO_FILE})
        item = files.attach_file(
            current_user,
            case,
            files.Upload(upload.filename, upload.read(files.max_bytes() + 1)),
            kind=kind,
            note=note,
            now=runtime.utcnow(),
        )
    except InvalidInput as error:
        db.session.rollback()
        for message in error.fields.values():
            flash(render_message(message), "error")
        return _case_page(access.find_case(current_user, case_id), status=422)
    except files.TooLarge:
        db.session.rollback()
        flash(too_large_message(), "error")
        return _case_page(access.find_case(current_user, case_id), status=413)
    except files.StorageFailed as error:
        db.session.rollback()
        flash(storage_failed_message(error), "error")
        return _case_page(access.find_case(current_user, case_id), status=507)
    db.session.commit()
    flash(_("%(name)s attached.", name=item.name), "success")
    return redirect(url_for("cases.show_case", case_id=case.id, _anchor="attachments"))


@bp.route("/attachments/<id:attachment_id>")
@login_required
def show_attachment(attachment_id: int):
    """The file for the pages (``thumb=1``: an image's thumbnail); scoped like its case."""
    item = access.find_attachment(current_user, attachment_id) or abort(404)
    return file_response(item, thumb=request.args.get("thumb") == "1")


# --- the dossier ------------------------------------------------------------------------------


@bp.route("/cases/<id:case_id>/dossier")
@login_required
def dossier(case_id: int):
    """The whole case file (卷宗) as one print-ready page set (A4)."""
    case = access.find_case(current_user, case_id) or abort(404)
    page = _render_dossier(case, archive=False)
    db.session.commit()  # the ID number views are logged before the numbers are sent
    return page


@bp.route("/cases/<id:case_id>/dossier.zip")
@login_required
def dossier_zip(case_id: int):
    """The dossier page with its attachment files, for archiving: dossier.html (styles inline,
    pictures and links pointing into the archive) and files/ with each attachment."""
    case = access.find_case(current_user, case_id) or abort(404)
    page = _render_dossier(case, archive=True)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("dossier.html", page)
        for item in files.case_attachments(case):
            for thumb in (False, True):
                path = files.read(item, thumb=thumb)
                if path is not None and path.is_file():
                    archive.write(path, _archived_name(item, thumb=thumb))
    db.session.commit()
    response = current_app.response_class(buffer.getvalue(), mimetype="application/zip")
    response.headers["Content-Disposition"] = attachment(f"{case.number}-dossier.zip")
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _archived_name(item: Attachment, *, thumb: bool) -> str:
    if thumb:
        return f"thumbs/{item.id}.jpg"
    return f"files/{item.id}-{item.name}"


def _render_dossier(case: Case, *, archive: bool) -> str:
    now, tz = runtime.utcnow(), runtime.tz()
    history = case_history(case)
    sessions = [event for event in history if event.action == Action.session.value]
    items = files.case_attachments(case)
    full_numbers = identity.reveal_for_print(current_user, case, now=now, ip=request.remote_addr)
    written = [a for a in case.agreements if a.form is AgreementForm.written]
    window = next(
        (d for d in case.deadlines if d.clock is Clock.judicial_confirmation),
        None,
    )
    if archive:
        css = Path(current_app.static_folder, "dossier.css").read_text(encoding="utf-8")
        file_url = {item.id: _archived_name(item, thumb=False) for item in items}
        thumb_url = {
            item.id: _archived_name(item, thumb=True) for item in items if item.thumb_sha256
        }
    else:
        css = None
        file_url = {
            item.id: url_for("cases.show_attachment", attachment_id=item.id) for item in items
        }
        thumb_url = {
            item.id: url_for("cases.show_attachment", attachment_id=item.id, thumb=1)
            for item in items
            if item.thumb_sha256
        }
    return render_template(
        "cases/dossier.html",
        case=case,
        archive=archive,
        inline_css=css,
        registered=_first(history, Action.register),
        accepted=_first(history, Action.accept),
        sessions=sessions,
        failure=_failure(case, history),
        written=written,
        confirmation=[(a, confirmation_deadline(a.agreed_at, tz)) for a in written],
        window=window,
        attachments=items,
        file_url=file_url,
        thumb_url=thumb_url,
        full_numbers=full_numbers,
        compiled_at=now,
        kinds=AttachmentKind,
    )


def _first(history: list[CaseEvent], action: Action) -> CaseEvent | None:
    return next((event for event in history if event.action == action.value), None)


def _failure(case: Case, history: list[CaseEvent]) -> list[CaseEvent]:
    """Why no agreement was reached (where none was): the escalations, referral or withdrawal,
    each with its reason, oldest first."""
    if case.agreements and case.status in (CaseStatus.resolved, CaseStatus.closed):
        return []
    ends = {Action.escalate.value, Action.refer.value, Action.withdraw.value}
    return [event for event in history if event.action in ends]
