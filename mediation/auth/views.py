"""Signing in and out, changing one's password, and the language switch."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from ..domain.intake import InvalidInput
from ..extensions import db
from ..platform import runtime
from ..platform.i18n import LANG_COOKIE, render_fields
from ..services.channels import channel_label, outbox_channels
from ..services.users import (
    MIN_PASSWORD_LENGTH,
    LoginLimits,
    authenticate,
    change_password,
    set_reach,
)
from . import bp
from .forms import LoginForm, PasswordForm, ReachForm


def _limits() -> LoginLimits:
    config = current_app.config
    return LoginLimits(
        max_failures=config["LOGIN_MAX_FAILURES"],
        lock_for=dt.timedelta(minutes=config["LOGIN_LOCK_MINUTES"]),
    )


def _remember_for() -> dt.timedelta:
    return current_app.config["REMEMBER_COOKIE_DURATION"]


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
        user = authenticate(
            form.username.data,
            form.password.data,
            client_ip=request.remote_addr or "",
            now=runtime.utcnow(),
            limits=_limits(),
        )
        db.session.commit()  # a failure is counted too
        if user is not None:
            login_user(user, remember=form.remember.data, duration=_remember_for())
            return redirect(_safe_next(request.args.get("next")))
        # One message whatever the reason (unknown, wrong, disabled, locked): the log has it.
        form.password.errors.append(_("Wrong user name or password."))
    return render_template("auth/login.html", form=form)


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def password():
    """The signed-in user's new password; every other session of theirs ends, this one stays."""
    user = current_user._get_current_object()
    form = PasswordForm()
    status = 200
    if form.validate_on_submit():
        try:
            change_password(
                user,
                current=form.current_password.data,
                new=form.new_password.data,
                confirm=form.confirm_password.data,
                now=runtime.utcnow(),
                limits=_limits(),
            )
        except InvalidInput as error:
            db.session.commit()  # only a wrong current password's count was written
            for name, message in render_fields(error.fields).items():
                form[name].errors.append(message)
            status = 422
        else:
            db.session.commit()
            # The session (and remember cookie) carry the new auth_version from now on.
            remembered = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token")
            login_user(user, remember=remembered in request.cookies, duration=_remember_for())
            flash(_("Your password has been changed. Other devices are signed out."), "success")
            return redirect(url_for("cases.home"))
    elif form.errors:
        status = 422
    return (
        render_template("auth/password.html", form=form, min_length=MIN_PASSWORD_LENGTH),
        status,
    )


def reach_form_errors(form, error: InvalidInput) -> None:
    """Put set_reach's errors below their fields (an admin's and a user's form alike)."""
    for name, message in render_fields(error.fields).items():
        form[name].errors.append(message)


def channel_choices() -> list[tuple[str, str]]:
    return [(name, _(channel_label(name))) for name in outbox_channels(current_app.config)]


@bp.route("/account/notifications", methods=["GET", "POST"])
@login_required
def notifications():
    """The signed-in user's e-mail, phone and the channels that tell him besides the inbox."""
    user = current_user._get_current_object()
    form = ReachForm()
    form.channels.choices = channel_choices()
    if request.method == "GET":
        form.email.data, form.phone.data = user.email or "", user.phone or ""
        form.channels.data = user.chosen_channels
        form.digest.data = user.notify_digest
    status = 200
    if form.validate_on_submit():
        try:
            set_reach(
                user,
                email=form.email.data or "",
                phone=form.phone.data or "",
                channels=form.channels.data or [],
                available=[name for name, _label in form.channels.choices],
                digest=bool(form.digest.data),
            )
        except InvalidInput as error:
            db.session.rollback()
            reach_form_errors(form, error)
            status = 422
        else:
            db.session.commit()
            flash(_("Your notification settings have been saved."), "success")
            return redirect(url_for("auth.notifications"))
    elif form.errors:
        status = 422
    return render_template("auth/notifications.html", form=form), status


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
    response.set_cookie(LANG_COOKIE, code, max_age=365 * 24 * 3600, httponly=True, samesite="Lax")
    return response
