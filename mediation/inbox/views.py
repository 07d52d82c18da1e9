"""The inbox: flags and case news told to the user, read and unread."""

from __future__ import annotations

from flask import abort, current_app, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..extensions import db
from ..platform import runtime
from ..platform.web import page_number
from ..services import inbox
from . import bp
from .text import subject


@bp.app_context_processor
def unread_count():
    """The number in the header, one indexed COUNT per page."""
    if not current_user or not current_user.is_authenticated:
        return {"unread_count": 0}
    return {"unread_count": inbox.unread_count(current_user)}


@bp.route("/inbox")
@login_required
def index():
    show = request.args.get("show", "unread")
    page = inbox.inbox_page(
        current_user,
        unread_only=show == "unread",
        page=page_number(),
        per_page=current_app.config["CASES_PER_PAGE"],
    )
    return render_template(
        "inbox/index.html", page=page, show=show, subject=subject, kind_of=inbox.kind_of
    )


@bp.route("/inbox/<id:notification_id>/read", methods=["POST"])
@login_required
def mark_read(notification_id: int):
    """Mark one as read and open what it is about."""
    notification = inbox.find_notification(current_user, notification_id) or abort(404)
    inbox.mark_read(notification, runtime.utcnow())
    db.session.commit()
    if notification.case_id:
        return redirect(url_for("cases.show_case", case_id=notification.case_id))
    flag = notification.flag
    if flag.period:
        return redirect(url_for("incidents.screenings", month=flag.period, unit=flag.unit.code))
    return redirect(url_for("inbox.index"))


@bp.route("/inbox/read-all", methods=["POST"])
@login_required
def mark_all_read():
    inbox.mark_all_read(current_user, runtime.utcnow())
    db.session.commit()
    return redirect(url_for("inbox.index"))
