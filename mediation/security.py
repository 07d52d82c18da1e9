"""Sign-in (sessions and bearer tokens), CSRF, and response headers."""

from __future__ import annotations

from flask import Flask, request
from flask_babel import lazy_gettext as _l

from .extensions import csrf, db, login_manager
from .models import User


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please sign in to see this page.")
    login_manager.session_protection = "basic"
    csrf.init_app(app)

    @login_manager.user_loader
    def load_user(user_id: str) -> User | None:
        """The signed-in user; a disabled one is signed out at the next request."""
        user = db.session.get(User, int(user_id)) if user_id.isdigit() else None
        return user if user is not None and user.is_enabled else None

    @login_manager.request_loader
    def load_user_from_token(req) -> User | None:
        from .services.users import user_for_token

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
