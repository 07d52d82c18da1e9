"""The inbox for the phone clients: GET /api/v1/notifications and POST
/api/v1/notifications/{id}/read (docs/api.md#notifications)."""

from __future__ import annotations

from flask import abort, jsonify, request
from flask_login import current_user

from ..domain.i18n import N_, Message
from ..extensions import db
from ..inbox.text import text, unit_code
from ..models import Notification
from ..platform import runtime
from ..platform.web import MAX_PAGE
from ..services import inbox
from . import bp
from .bodies import invalid
from .serializers import instant
from .views import DEFAULT_PER_PAGE, _whole_arg


def notification_json(notification: Notification) -> dict:
    return {
        "id": notification.id,
        "kind": inbox.kind_of(notification).value,
        "case_id": notification.case_id,
        "unit_code": unit_code(notification),
        "created_at": instant(notification.created_at),
        "read_at": instant(notification.read_at),
        "text": text(notification),
    }


@bp.get("/notifications")
def list_notifications():
    """The caller's inbox, newest first: ``unread=1`` only unread ones; ``page`` of 20.
    ``{items, total, unread}``: ``total`` counts the entries the filter keeps, ``unread``
    the caller's unread ones."""
    errors: dict[str, Message] = {}
    unread = request.args.get("unread", "")
    if unread not in ("", "0", "1"):
        errors["unread"] = Message(N_("Not a valid choice."))
    page = _whole_arg("page", 1, MAX_PAGE, default=1, errors=errors)
    if errors:
        return invalid(errors)
    found = inbox.inbox_page(
        current_user, unread_only=unread == "1", page=page, per_page=DEFAULT_PER_PAGE
    )
    return jsonify(
        {
            "items": [notification_json(note) for note in found.items],
            "total": found.total,
            "unread": inbox.unread_count(current_user),
        }
    )


@bp.post("/notifications/<id:notification_id>/read")
def read_notification(notification_id: int):
    """Mark one of the caller's entries as read (again: no change); another's is a 404."""
    notification = inbox.find_notification(current_user, notification_id) or abort(404)
    inbox.mark_read(notification, runtime.utcnow())
    db.session.commit()
    return jsonify(notification_json(notification))
