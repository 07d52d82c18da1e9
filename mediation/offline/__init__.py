"""Offline intake: the web app manifest and the service worker (docs/offline.md).

The service worker is served from the site's root so that its scope covers the pages it keeps:
the intake page and the home page, network first (the copy last seen when offline), and the
static assets it needs, cache first. Its caches are named after :func:`version`, a digest of the
app's version and of those assets, so an upgrade installs a new worker that drops the old caches.
"""

from __future__ import annotations

import hashlib
from functools import cache
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as package_version
from pathlib import Path

from flask import Blueprint, current_app, make_response, render_template, url_for
from flask_babel import gettext as _

bp = Blueprint("offline", __name__)

# The static files the offline pages need (the intake page's and the home page's).
ASSETS = ("app.css", "intake.js", "offline.js")
# The pages kept for offline use, by endpoint.
PAGES = ("cases.home", "cases.new_case")


@cache
def version(static_folder: str) -> str:
    """12 hex digits naming this release's offline caches: the package version and the bytes
    of every cached asset and of the worker's own source."""
    digest = hashlib.sha256()
    try:
        digest.update(package_version("fengqiao").encode())
    except PackageNotFoundError:  # a checkout that was not installed
        pass
    for name in ASSETS:
        digest.update((Path(static_folder) / name).read_bytes())
    templates = Path(current_app.root_path).parent / "templates"
    digest.update((templates / "offline" / "sw.js").read_bytes())
    return digest.hexdigest()[:12]


@bp.get("/sw.js")
def service_worker():
    """The service worker (public: the browser re-reads it to look for an upgrade)."""
    body = render_template(
        "offline/sw.js",
        version=version(current_app.static_folder),
        assets=[url_for("static", filename=name) for name in ASSETS],
        pages=[url_for(endpoint) for endpoint in PAGES],
        logout=url_for("auth.logout"),
    )
    response = make_response(body)
    response.mimetype = "text/javascript"
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/manifest.webmanifest")
def manifest():
    """The web app manifest: the app can be added to a phone's home screen."""
    response = make_response(
        {
            "name": _("Fengqiao mediation"),
            "short_name": _("Fengqiao"),
            "start_url": url_for("cases.home"),
            "scope": "/",
            "display": "standalone",
            "background_color": "#ffffff",
            "theme_color": "#1f4e79",
            "lang": "zh-CN",
            "icons": [
                {
                    "src": url_for("static", filename="icon.svg"),
                    "sizes": "any",
                    "type": "image/svg+xml",
                }
            ],
        }
    )
    response.mimetype = "application/manifest+json"
    return response
