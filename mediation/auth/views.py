"""Signing in and out, and the language switch."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select

from ..extensions import db
from ..i18n import LANG_COOKIE
from ..models import User
from . import bp
from .forms import LoginForm


def _safe_next(target: str | None) -> str:
    """Only a path on this site, never another host."""
    if target and target.startswith("/") and not target.startswith("//"):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc:
            return target
    return url_for("cases.home")


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("cases.home"))
    form = LoginForm()
    if form.validate_on_submit():
        user = db.session.scalar(select(User).where(User.username == form.username.data.strip()))
        if user is not None and user.is_enabled and user.check_password(form.password.data):
            login_user(user, remember=form.remember.data, duration=dt.timedelta(days=14))
            return redirect(_safe_next(request.args.get("next")))
        # One message whether the user exists or not.
        form.password.errors.append(_("Wrong user name or password."))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    logout_user()
    flash(_("You have signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/lang/<code>", methods=["POST"])
def set_language(code: str):
    """Switch the interface language, remembered in a cookie and on the user's account."""
    if code not in current_app.config["LANGUAGES"]:
        code = current_app.config["BABEL_DEFAULT_LOCALE"]
    if current_user.is_authenticated:
        current_user.locale = code
        db.session.commit()
    response = redirect(_safe_next(request.form.get("next")))
    response.set_cookie(
        LANG_COOKIE, code, max_age=365 * 24 * 3600, httponly=True, samesite="Lax"
    )
    return response
