"""Every string of the interface has its Simplified Chinese translation, placeholders intact."""

import re
import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[1]
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def test_the_chinese_catalog_covers_every_string(tmp_path):
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "--ignore-dirs",
            ".* __pycache__",
            "-F",
            "babel.cfg",
            "-k",
            "_l",
            "-k",
            "N_",
            "-k",
            "lazy_gettext",
            "-o",
            str(pot),
            ".",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    with pot.open("rb") as handle:
        wanted = {message.id for message in read_po(handle) if message.id}
    with (ROOT / "mediation/translations/zh/LC_MESSAGES/messages.po").open("rb") as handle:
        catalog = {message.id: message for message in read_po(handle) if message.id}
    missing = sorted(
        str(msgid) for msgid in wanted if not (catalog.get(msgid) and catalog[msgid].string)
    )
    assert missing == [], "untranslated; see README 'Translations'"
    broken = [
        message.id
        for message in catalog.values()
        if isinstance(message.id, str)
        and message.string
        and sorted(PLACEHOLDER.findall(message.id)) != sorted(PLACEHOLDER.findall(message.string))
    ]
    assert broken == []
