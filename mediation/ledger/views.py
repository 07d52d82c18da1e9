"""The ledger upload page: a dry run first (what would be imported, or every error with its
row and column), then the officer confirms and the same file is imported.

The checked file waits in the instance folder under its SHA-256 until it is confirmed; the
confirmation checks every row again, as the user who confirms (his area, the data as it is then).
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..extensions import db
from ..platform import runtime
from ..platform.files import write_atomically
from ..platform.web import attachment
from ..services import access
from ..services import ledger as service
from . import bp
from .forms import LedgerConfirmForm, LedgerUploadForm

UPLOAD_LIMIT = 16 * 1024 * 1024  # a ledger of 20,000 rows as CSV
_DIGEST = re.compile(r"[0-9a-f]{64}")


@bp.record_once
def _allow_large_ledgers(state) -> None:
    """A ledger may be larger than the 1 MiB of other requests: raised before any hook of the
    app reads the form (the CSRF and control-character checks do)."""

    def allow() -> None:
        if request.endpoint == "ledger.upload":
            request.max_content_length = UPLOAD_LIMIT

    state.app.before_request_funcs.setdefault(None, []).insert(0, allow)


@bp.before_request
def officers_only():
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()
    if not access.can_import_ledgers(current_user):
        abort(403)
    return None


@bp.route("/ledger/template.xlsx")
@login_required
def template():
    return Response(
        service.template_bytes(),
        mimetype=service.XLSX_MIME,
        headers={"Content-Disposition": attachment("台账导入模板.xlsx")},
    )


@bp.route("/ledger/import", methods=["GET", "POST"])
@login_required
def upload():
    upload_form, confirm_form = LedgerUploadForm(), LedgerConfirmForm()
    result, status = None, 200
    if confirm_form.confirm.name in request.form and confirm_form.validate_on_submit():
        return _confirm(confirm_form)
    if upload_form.validate_on_submit():
        raw = upload_form.file.data.read()
        result = _run(raw, dry_run=True)
        if result.errors:
            status = 422
        else:
            digest = hashlib.sha256(raw).hexdigest()
            write_atomically(_waiting(digest), raw)
            confirm_form.upload.data = digest
    elif upload_form.is_submitted():
        status = 422
    return (
        render_template(
            "ledger/upload.html",
            upload_form=upload_form,
            confirm_form=confirm_form,
            result=result,
        ),
        status,
    )


def _confirm(form: LedgerConfirmForm):
    digest = form.upload.data or ""
    path = _waiting(digest) if _DIGEST.fullmatch(digest) else None
    if path is None or not path.exists():
        flash(_("The checked file is no longer here; please upload it again."), "error")
        return redirect(url_for(".upload"))
    result = _run(path.read_bytes(), dry_run=False)
    if result.errors:
        db.session.rollback()
        return render_template(
            "ledger/upload.html",
            upload_form=LedgerUploadForm(formdata=None),
            confirm_form=LedgerConfirmForm(formdata=None),
            result=result,
        ), 422
    db.session.commit()
    path.unlink(missing_ok=True)
    flash(
        _(
            "Ledger imported: %(imported)s new cases, %(unchanged)s already imported.",
            imported=result.imported,
            unchanged=result.unchanged,
        ),
        "success",
    )
    return redirect(url_for(".upload"))


def _run(raw: bytes, *, dry_run: bool) -> service.LedgerResult:
    """The import (or its dry run) of the file by the signed-in officer."""
    return service.import_file(
        current_user,
        raw,
        now=runtime.utcnow(),
        policy=runtime.policy(),
        tz=runtime.tz(),
        dry_run=dry_run,
    )


def _waiting(digest: str) -> Path:
    return Path(current_app.instance_path) / "ledger-uploads" / digest
