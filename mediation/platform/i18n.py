"""Languages: Simplified Chinese by default, English on request, remembered per browser and user."""

from __future__ import annotations

import datetime as dt

from flask import Flask, current_app, g, request
from flask_babel import get_translations
from flask_babel.speaklater import LazyString
from flask_login import current_user

from ..domain.enums import Action
from ..domain.i18n import Message
from ..extensions import babel
from .catalogs import compile_catalogs

LANG_COOKIE = "lang"


def select_locale() -> str:
    languages = current_app.config["LANGUAGES"]
    chosen = request.cookies.get(LANG_COOKIE)
    if chosen in languages:
        return chosen
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    if request.path.startswith("/api/"):
        best = request.accept_languages.best_match(languages)
        if best:
            return best
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def translations():
    """The request's catalog. Flask-Babel finds it anew for every string (a dozen context-local
    lookups each, hundreds of strings on a case page); this keeps it on Flask-Babel's own request
    context beside the locale it belongs to, so a locale chosen later (``force_locale``,
    ``refresh``) is never answered from the wrong catalog."""
    try:
        ctx = g._flask_babel
        cached = ctx.fq_translations
        if cached[0] is ctx.babel_locale:
            return cached[1]
    except (AttributeError, RuntimeError):  # not looked up yet, or outside any app context
        pass
    found = get_translations()
    try:
        ctx = g._flask_babel
        ctx.fq_translations = (ctx.babel_locale, found)
    except (AttributeError, RuntimeError):
        pass
    return found


def gettext(string: str, **variables) -> str:
    """Flask-Babel's ``gettext`` (same result) through the request's catalog."""
    text = translations().ugettext(string)
    return text % variables if variables else text


def lazy_gettext(string: str, **variables) -> LazyString:
    """Flask-Babel's ``lazy_gettext`` (translated when shown) through the request's catalog."""
    return LazyString(gettext, string, **variables)


def init_app(app: Flask) -> None:
    compile_catalogs()  # only when a .po is newer than its .mo
    babel.init_app(app, locale_selector=select_locale)
    # Templates translate through the same per-request catalog (Flask-Babel installs the same
    # callables, each of which finds the catalog again).
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: translations().ugettext(s),
        ngettext=lambda s, p, n: translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: translations().unpgettext(c, s, p, n),
    )
    app.jinja_env.filters["label"] = label
    app.jinja_env.filters["msg"] = render_message
    app.jinja_env.filters["local"] = local_time
    app.jinja_env.filters["local_date"] = local_date
    app.jinja_env.filters["yuan"] = yuan
    app.jinja_env.filters["action_label"] = action_label


def label(member) -> str:
    """The translated label of an enum member (or '' for None)."""
    return gettext(member.label) if member is not None else ""


def action_label(action: str) -> str:
    """The translated name of a history event's action (unknown names shown as they are)."""
    member = Action.parse(action)
    return gettext(member.label) if member is not None else action


def render_message(message: Message) -> str:
    return message.render(gettext)


def render_fields(fields: dict[str, Message]) -> dict[str, str]:
    return {name: message.render(gettext) for name, message in fields.items()}


def local_time(value: dt.datetime | str | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """An instant (or its ISO 8601 text, as an event's data keeps it) in local time."""
    from .runtime import tz

    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value) if value else None
    return value.astimezone(tz()).strftime(fmt) if value else ""


def local_date(value: dt.datetime | None) -> str:
    return local_time(value, "%Y-%m-%d")


def yuan(value) -> str:
    return f"{value:,.2f}" if value is not None else ""
