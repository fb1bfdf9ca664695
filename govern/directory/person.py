"""A person as the directory describes them, and how a raw entry becomes one."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from govern.errors import GovernError

TRACKS = ("intern", "ordinary", "management")
DEFAULT_ROLE = "collector"
REQUIRED = ("employee_number", "username", "name", "department")


class DirectoryDataError(GovernError):
    """The directory holds something Govern cannot take as it is; nothing was applied."""

    status = 502


@dataclass(frozen=True)
class DirectoryEntry:
    """One raw entry: its DN and its attributes (names lower-cased, values as text)."""

    dn: str
    attributes: Mapping[str, Sequence[str]]

    def first(self, name: str) -> str | None:
        values = self.attributes.get(name.lower()) or ()
        return values[0].strip() if values and values[0].strip() else None


@dataclass(frozen=True)
class DirectoryPerson:
    employee_number: str
    username: str
    name: str
    department: str
    project_group: str | None
    title: str | None
    track: str | None
    hire_date: date | None
    departure_date: date | None
    roles: tuple[str, ...]


def person_from_entry(
    entry: DirectoryEntry, attributes: Mapping[str, str], roles: Iterable[str]
) -> DirectoryPerson:
    """Build a person from a raw entry. Raises DirectoryDataError naming the DN and the field."""
    values = {name: entry.first(attribute) for name, attribute in attributes.items()}
    for name in REQUIRED:
        if not values[name]:
            raise DirectoryDataError(
                "directory.entry_incomplete",
                f"{entry.dn}: attribute {attributes[name]} ({name}) is missing",
            )
    track = values["track"]
    if track is not None and track not in TRACKS:
        raise DirectoryDataError(
            "directory.entry_invalid",
            f"{entry.dn}: track {track!r} is not one of {', '.join(TRACKS)}",
        )
    return DirectoryPerson(
        employee_number=values["employee_number"],  # type: ignore[arg-type]
        username=values["username"],  # type: ignore[arg-type]
        name=values["name"],  # type: ignore[arg-type]
        department=values["department"],  # type: ignore[arg-type]
        project_group=values["project_group"],
        title=values["title"],
        track=track,
        hire_date=_date(entry, attributes["hire_date"], values["hire_date"]),
        departure_date=_date(entry, attributes["departure_date"], values["departure_date"]),
        roles=tuple(sorted(set(roles))) or (DEFAULT_ROLE,),
    )


def roles_by_member(
    groups: Mapping[str, Iterable[str]], role_groups: Mapping[str, str]
) -> dict[str, set[str]]:
    """Normalised member DN → the Govern roles its groups give."""
    roles: dict[str, set[str]] = {}
    for role, group in role_groups.items():
        for member in groups.get(group.lower(), ()):
            roles.setdefault(normalise_dn(member), set()).add(role)
    return roles


def username_key(username: str) -> str:
    """A username as the directory matches it (caseIgnoreMatch after LDAP string preparation):
    NFKC, case-folded, invisible format characters dropped, spaces collapsed. A full-width or
    upper-case spelling is the same user, so it shares that user's login limit."""
    text = unicodedata.normalize("NFKC", username)
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")
    return " ".join(text.split()).casefold()


def normalise_dn(dn: str) -> str:
    return re.sub(r"\s*,\s*", ",", dn.strip()).lower()


_GENERALIZED = re.compile(r"^(\d{4})(\d{2})(\d{2})")
_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


def _date(entry: DirectoryEntry, attribute: str, text: str | None) -> date | None:
    """A date from generalizedTime (`20250301000000Z`) or ISO (`2025-03-01`) text."""
    if text is None:
        return None
    match = _ISO.match(text) or _GENERALIZED.match(text)
    try:
        if match:
            return date(*(int(part) for part in match.groups()))
    except ValueError:
        pass
    raise DirectoryDataError(
        "directory.entry_invalid", f"{entry.dn}: {attribute} {text!r} is not a date"
    )
