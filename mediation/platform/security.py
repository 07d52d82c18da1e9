"""Sign-in (sessions and bearer tokens), CSRF, and response headers."""

from __future__ import annotations

from flask import Flask, has_request_context, request
from flask.sessions import SecureCookieSessionInterface
from flask_babel import lazy_gettext as _l

from ..extensions import csrf, db, login_manager
from ..models import User


class SessionInterface(SecureCookieSessionInterface):
    """The session cookie is Secure whenever the request came over HTTPS."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return super().get_cookie_secure(app) or (has_request_context() and request.is_secure)


def init_app(app: Flask) -> None:
    # Registered before Flask-Login's own hook, so it runs after it and sees the remember cookie
    # (Flask runs after_request functions in reverse order).
    app.after_request(_secure_cookies_over_https)
    app.session_interface = SessionInterface()
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please sign in to see this page.")
    # "basic", not "strong": mediators on mobile networks change address all day.
    login_manager.session_protection = "basic"
    csrf.init_app(app)

    @login_manager.user_loader
    def load_user(session_id: str) -> User | None:
        """The signed-in user, from ``id:auth_version`` (User.get_id); a disabled user, or a
        session begun before the latest password change, is signed out at the next request.
        A bare ``id`` (sessions from before versions existed) counts as version 0."""
        user_id, _, version = session_id.partition(":")
        version = version or "0"
        if not (user_id.isdigit() and version.isdigit()):
            return None
        user = db.session.get(User, int(user_id))
        if user is None or not user.is_enabled or user.auth_version != int(version):
            return None
        return user

    @login_manager.request_loader
    def load_user_from_token(req) -> User | None:
        from ..services.users import user_for_token

        header = req.headers.get("Authorization", "")
        if not header.startswith("Bearer ") or not req.path.startswith("/api/"):
            return None
        return user_for_token(header.removeprefix("Bearer ").strip())

    @app.after_request
    def set_headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            "frame-ancestors 'none'; form-action 'self'; base-uri 'self'",
        )
        if request.is_secure:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response


def _secure_cookies_over_https(response):
    """Over HTTPS every cookie we set (remember-me, language) is Secure, whatever the config."""
    if not request.is_secure:
        return response
    cookies = response.headers.getlist("Set-Cookie")
    if cookies:
        response.headers.remove("Set-Cookie")
        for cookie in cookies:
            if "; secure" not in cookie.lower():
                cookie += "; Secure"
            response.headers.add("Set-Cookie", cookie)
    return response
