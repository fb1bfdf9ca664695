"""What each kind of trail event showed of a debtor, as a leak report counts it: which fields,
in full or masked only. Plain functions of an event's action and details; no Flask, no SQL.

Every read that shows a debtor's data is an exposure, each of its own kind (`view`):

- `record`: a record opened (`debtor.viewed`) or fields revealed for a purpose
  (`debtor.revealed`), each field at its level;
- `list`: a caseload page (`debtor.listed`) and `search`: a search's results (`debtor.found`),
  masked as the access policy lists debtors;
- `notes`: the debtor's notes read (`notes.viewed`): their texts in full, as the pseudo-field
  `notes` (no field of the access policy; a category of its own);
- `parties`: the parties shown before a call (`parties.viewed`): the amount owed in full where
  it was shown, the emergency contacts' relations (their masked form) where they were.

A note written (`note.added`) exposes nothing: its writer shows nothing stored, they add their
own words. A call checked (`contact.checked`) judges the number the caller brings and shows
nothing of the debtor.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from govern.text import in_language

FULL, MASKED = "full", "masked"
#: The notes' texts, exposed by reading them: no field of the access policy.
NOTES = "notes"
#: The fields a report names that are no field of the access policy.
BEYOND_POLICY = frozenset({NOTES})
AMOUNT, CONTACTS = "amount_owed", "emergency_contacts"
#: The trail's actions that show a debtor's data, each with the kind of view it is.
VIEWS = {
    "debtor.viewed": "record",
    "debtor.revealed": "record",
    "debtor.listed": "list",
    "debtor.found": "search",
    "notes.viewed": "notes",
    "parties.viewed": "parties",
}
#: Each kind of view's name in Chinese and in English, the one naming the PDF and the page use.
VIEW_NAMES: dict[str, tuple[str, str]] = {
    "record": ("查看档案", "Record"),
    "list": ("案件列表", "Caseload"),
    "search": ("搜索结果", "Search results"),
    "notes": ("催收记录", "Notes"),
    "parties": ("通话前的当事人", "Parties before a call"),
}
#: The actions among VIEWS whose details carry no `fields` (so no searchable `fields` column):
#: what they showed is read from their details.
WITHOUT_FIELDS = ("notes.viewed", "parties.viewed")


def shown(action: str, details: Mapping[str, Any]) -> dict[str, str]:
    """Each field the event showed of its debtor, and how (`full` or `masked`); empty for an
    action that shows nothing (not in VIEWS) or an event whose every field was withheld."""
    if action not in VIEWS:
        return {}
    if action == "notes.viewed":
        return {NOTES: FULL} if details.get("notes") else {}
    if action == "parties.viewed":
        return _parties(details)
    levels = details.get("fields") or {}
    return {name: level for name, level in levels.items() if level in (FULL, MASKED)}


def view_name(view: str | None, language: str) -> str:
    """A kind of view's name for a person reading `language` ("zh", "en"); an unknown one
    (an entry whose action shows nothing) as it is."""
    chinese, english = VIEW_NAMES.get(view or "", (view or "", view or ""))
    return in_language(language, chinese, english)


def split(levels: Mapping[str, str], wanted: set[str]) -> tuple[list[str], list[str]]:
    """The fields shown in full and those shown masked, sorted, of `wanted` (all when empty)."""
    named = {f: level for f, level in levels.items() if not wanted or f in wanted}
    return (
        sorted(f for f, level in named.items() if level == FULL),
        sorted(f for f, level in named.items() if level == MASKED),
    )


def _parties(details: Mapping[str, Any]) -> dict[str, str]:
    levels = {}
    if details.get("amount_owed_shown_for"):
        levels[AMOUNT] = FULL
    if details.get("relations") == "shown":
        levels[CONTACTS] = MASKED  # a contact's relation is what its mask keeps
    return levels
