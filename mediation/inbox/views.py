"""The inbox: flags told to the user, read and unread."""

from __future__ import annotations

from flask import abort, current_app, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import func, update

from .. import runtime
from ..extensions import db
from ..models import Notification
from ..services import access
from ..web import page_number
from . import bp


@bp.app_context_processor
def unread_count():
    """The number in the header, one indexed COUNT per page."""
    if not current_user or not current_user.is_authenticated:
        return {"unread_count": 0}
    count = db.session.scalar(
        access.inbox(current_user)
        .where(Notification.read_at.is_(None))
        .with_only_columns(func.count(Notification.id))
    )
    return {"unread_count": count or 0}


@bp.route("/inbox")
@login_required
def index():
    show = request.args.get("show", "unread")
    query = access.inbox(current_user)
    if show == "unread":
        query = query.where(Notification.read_at.is_(None))
    page = db.paginate(
        query.order_by(Notification.created_at.desc(), Notification.id.desc()),
        page=page_number(),
        per_page=current_app.config["CASES_PER_PAGE"],
        error_out=False,
    )
    return render_template("inbox/index.html", page=page, show=show)


@bp.route("/inbox/<id:notification_id>/read", methods=["POST"])
@login_required
def mark_read(notification_id: int):
    """Mark one as read and open what it is about."""
    notification = db.session.scalar(
        access.inbox(current_user).where(Notification.id == notification_id)
    ) or abort(404)
    notification.read_at = notification.read_at or runtime.utcnow()
    db.session.commit()
    if notification.flag.case_id:
        return redirect(url_for("cases.show_case", case_id=notification.flag.case_id))
    return redirect(url_for("inbox.index"))


@bp.route("/inbox/read-all", methods=["POST"])
@login_required
def mark_all_read():
    db.session.execute(
        update(Notification)
        .where(Notification.user_id == current_user.id, Notification.read_at.is_(None))
        .values(read_at=runtime.utcnow())
    )
    db.session.commit()
    return redirect(url_for("inbox.index"))
