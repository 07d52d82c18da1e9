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
    """A message id with the values to put into it (``%(name)s`` placeholders)."""

    msgid: str
    params: dict[str, Any] = field(default_factory=dict)

    def render(self, translate=lambda text: text) -> str:
        text = translate(self.msgid)
        return text % self.params if self.params else text
