"""Every text of the console has its Chinese, and the committed catalogue is compiled."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from govern.console import TRANSLATIONS
from govern.messages import MESSAGES

REPO = Path(__file__).resolve().parents[1]
PO = TRANSLATIONS / "zh" / "LC_MESSAGES" / "messages.po"
MO = PO.with_suffix(".mo")
KEYWORDS = {"_": None, "gettext": None, "_l": None, "lazy_gettext": None, "ngettext": (1, 2)}


def texts_in_code() -> set[str]:
    method_map = [("govern/**.py", "python"), ("govern/templates/**.html", "jinja2")]
    found = set()
    for _, _, message, _, _ in extract_from_dir(REPO, method_map, keywords=KEYWORDS):
        found.add(message if isinstance(message, str) else message[0])
    return found


def test_every_text_of_the_console_has_its_chinese() -> None:
    catalogue = read_po(PO.open("rb"))
    chinese = {m.id: m.string for m in catalogue if m.id and not m.fuzzy}
    missing = sorted(text for text in texts_in_code() if not chinese.get(text))
    assert missing == [], "run ./scripts/translations and translate these in messages.po"


def test_the_compiled_catalogue_is_the_one_committed() -> None:
    written = {m.id: m.string for m in read_po(PO.open("rb")) if m.id and not m.fuzzy}
    compiled = {m.id: m.string for m in read_mo(BytesIO(MO.read_bytes())) if m.id}
    assert compiled == written, "run ./scripts/translations compile"


def test_every_refusal_message_is_a_text_of_the_catalogue() -> None:
    assert {str(m._args[0]) for m in MESSAGES.values()} <= texts_in_code()
