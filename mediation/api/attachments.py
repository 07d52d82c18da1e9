"""Files attached to a case (the case file): upload, list, download. Scoped like the case."""

from __future__ import annotations

from flask import abort, jsonify, request, send_file, url_for
from flask_login import current_user

from ..domain.i18n import N_, Message
from ..domain.intake import InvalidInput
from ..extensions import db
from ..models import Attachment
from ..platform import runtime
from ..platform.web import (
    accepts_uploads,
    error_response,
    storage_failed_message,
    too_large_message,
)
from ..services import access
from ..services import attachments as files
from . import bp
from .bodies import UNKNOWN_FIELD
from .idempotency import idempotent
from .serializers import instant
from .views import _find_case_or_404

NO_FILE = Message(N_("Choose a file to attach."))
UPLOAD_FIELDS = frozenset({"file", "kind", "note"})


def attachment_json(attachment: Attachment) -> dict:
    return {
        "id": attachment.id,
        "case_id": attachment.case_id,
        "name": attachment.name,
        "kind": attachment.kind.value,
        "content_type": attachment.content_type,
        "size": attachment.size,
        "sha256": attachment.sha256,
        "has_thumbnail": attachment.thumb_sha256 is not None,
        "note": attachment.note,
        "uploaded_at": instant(attachment.uploaded_at),
        "uploaded_by": attachment.uploaded_by.username if attachment.uploaded_by else None,
        "url": url_for("api.get_attachment", attachment_id=attachment.id),
    }


@bp.post("/cases/<id:case_id>/attachments")
@accepts_uploads()
@idempotent
def upload_attachment(case_id: int):
    """A file for the case (multipart ``file``, ``kind``, ``note``): 201 with the stored file;
    422 for a type not allowed, 413 over ATTACHMENT_MAX_MB."""
    case = _find_case_or_404(case_id)
    if not access.can_attach_files(current_user):
        abort(403)
    upload = request.files.get("file")
    errors: dict[str, Message] = {}
    try:
        kind, note = files.parse_upload_fields(request.form)
    except InvalidInput as error:
        errors.update(error.fields)
    if upload is None or not upload.filename:
        errors["file"] = NO_FILE
    for name in (set(request.form) | set(request.files)) - UPLOAD_FIELDS:
        errors[name] = UNKNOWN_FIELD
    if errors:
        raise InvalidInput(errors)
    attachment = files.attach_file(
        current_user,
        case,
        files.Upload(upload.filename, upload.read(files.max_bytes() + 1)),
        kind=kind,
        note=note,
        now=runtime.utcnow(),
    )
    db.session.commit()
    response = jsonify(attachment_json(attachment))
    response.status_code = 201
    response.headers["Location"] = url_for("api.get_attachment", attachment_id=attachment.id)
    return response


@bp.get("/cases/<id:case_id>/attachments")
def list_attachments(case_id: int):
    """The case's files, oldest first."""
    case = _find_case_or_404(case_id)
    return jsonify([attachment_json(item) for item in files.case_attachments(case)])


@bp.get("/attachments/<id:attachment_id>")
def get_attachment(attachment_id: int):
    """The file, or with ``thumb=1`` an image's thumbnail (JPEG)."""
    attachment = access.find_attachment(current_user, attachment_id) or abort(404)
    return file_response(attachment, thumb=request.args.get("thumb") == "1")


def file_response(attachment: Attachment, *, thumb: bool):
    """The stored bytes of ``attachment`` (shared by the API and the pages): 404 when there is
    no thumbnail or the file is missing from the disk."""
    path = files.read(attachment, thumb=thumb)
    if path is None or not path.is_file():
        abort(404)
    response = send_file(
        path,
        mimetype="image/jpeg" if thumb else attachment.content_type,
        as_attachment=False,
        download_name=attachment.name,
        etag=False,
        conditional=False,
        max_age=0,
    )
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.errorhandler(files.TooLarge)
def too_large(error: files.TooLarge):
    db.session.rollback()
    return error_response(413, too_large_message())


@bp.errorhandler(files.StorageFailed)
def storage_failed(error: files.StorageFailed):
    db.session.rollback()
    return error_response(507, storage_failed_message(error))
