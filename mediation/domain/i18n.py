"""Marking strings for translation without depending on Flask-Babel.

The domain returns message ids (English) and their parameters; the web layer translates them
into the request's language. ``N_`` only marks a string for extraction into the catalog.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


def N_(message: str) -> str:
    return message


@dataclass(frozen=True)
class Message:
    """A message id with the values to put into it (``%(name)s`` placeholders).

    A parameter whose name ends in ``_label`` is itself a message id (an enum's label) and is
    translated too, so "category: 征地拆迁" reads right in either language.
    """

    msgid: str
    params: dict[str, Any] = field(default_factory=dict)

    def render(self, translate=lambda text: text) -> str:
        text = translate(self.msgid)
        if not self.params:
            return text
        values = {
            key: translate(value) if key.endswith("_label") else value
            for key, value in self.params.items()
        }
        return text % values
