"""Compiling the translation catalogs (.po → .mo).

Run by the install itself (setup.py's build step) and again at start-up whenever a .po is newer
than its .mo, so a fresh clone or a pulled change never needs a manual step. No Flask import:
setup.py loads this file on its own.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"


def stale_catalogs(directory: Path = TRANSLATIONS) -> list[Path]:
    """The .po files whose .mo is missing or older."""
    stale = []
    for po in sorted(directory.glob("*/LC_MESSAGES/*.po")):
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            stale.append(po)
    return stale


def compile_catalogs(directory: Path = TRANSLATIONS) -> list[Path]:
    """Compile every stale catalog; returns the .mo files written."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    written = []
    for po in stale_catalogs(directory):
        with po.open("rb") as handle:
            catalog = read_po(handle, locale=po.parent.parent.name)
        mo = po.with_suffix(".mo")
        # A name of this process's own: workers starting at once each compile, and one
        # shared temporary name let one rename the file away under another.
        tmp = mo.with_name(f".{mo.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
        with tmp.open("wb") as handle:
            write_mo(handle, catalog, use_fuzzy=False)
        tmp.replace(mo)  # atomic: a second process never reads half a file
        written.append(mo)
    return written


if __name__ == "__main__":
    for path in compile_catalogs():
        print(f"compiled {path}")
