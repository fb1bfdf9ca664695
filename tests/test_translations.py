"""Every text of the console has its Chinese, and the committed catalogue is compiled."""

from __future__ import annotations

from collections.abc import Sequence
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
KEYWORDS = {
    "_": None,
    "gettext": None,
    "_l": None,
    "lazy_gettext": None,
    "ngettext": (1, 2),
    "lazy_ngettext": (1, 2),
}


def singular(text: str | Sequence[str]) -> str:
    """A text's msgid, its singular when it has a plural."""
    return text if isinstance(text, str) else text[0]


def translated(text: str | Sequence[str]) -> tuple[str, ...]:
    """A msgstr as a tuple (.po reads plurals as tuples, .mo as lists)."""
    return (text,) if isinstance(text, str) else tuple(text)


def texts_in_code() -> set[str]:
    method_map = [("govern/**.py", "python"), ("govern/templates/**.html", "jinja2")]
    found = set()
    for _, _, message, _, _ in extract_from_dir(REPO, method_map, keywords=KEYWORDS):
        found.add(singular(message))
    return found


def test_every_text_of_the_console_has_its_chinese() -> None:
    catalogue = read_po(PO.open("rb"))
    chinese = {singular(m.id): translated(m.string) for m in catalogue if m.id and not m.fuzzy}
    missing = sorted(text for text in texts_in_code() if not all(chinese.get(text, [""])))
    assert missing == [], "run ./scripts/translations and translate these in messages.po"


def test_the_compiled_catalogue_is_the_one_committed() -> None:
    po = read_po(PO.open("rb"))
    written = {singular(m.id): translated(m.string) for m in po if m.id and not m.fuzzy}
    mo = read_mo(BytesIO(MO.read_bytes()))
    compiled = {singular(m.id): translated(m.string) for m in mo if m.id}
    assert compiled == written, "run ./scripts/translations compile"


def test_every_refusal_message_is_a_text_of_the_catalogue() -> None:
    assert {str(m._args[0]) for m in MESSAGES.values()} <= texts_in_code()
