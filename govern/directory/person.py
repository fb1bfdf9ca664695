"""A person as the directory describes them, and how a raw entry becomes one."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from govern.errors import GovernError

TRACKS = ("intern", "ordinary", "management")
#: The track of someone whose entry does not say which track they are on. It gets no more than
#: an intern: in training until the intern track's certifications hold (R-TRN-1, R-ACS-1).
UNKNOWN_TRACK = "unknown"
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


def _value_key(value: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", value).split()).casefold()


@dataclass(frozen=True)
class TrackTable:
    """Which directory values name which training track (`policies/directory/tracks.toml`).

    Values match after NFKC, trimming and case folding, so `实习员工 ` and `Intern` match.
    """

    values: Mapping[str, str]

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "values", {_value_key(value): track for value, track in self.values.items()}
        )

    def track_of(self, values: Sequence[str]) -> tuple[str, str | None]:
        """The track the entry's values name, and why it is unknown when it is (else None):
        `absent` (no value), `unmapped` (no value in the table) or `ambiguous` (values naming
        different tracks)."""
        present = [value for value in values if value.strip()]
        found = {self.values[key] for key in map(_value_key, present) if key in self.values}
        if len(found) == 1:
            return found.pop(), None
        reason = "absent" if not present else "ambiguous" if found else "unmapped"
        return UNKNOWN_TRACK, reason


#: The table of the tracks' own names, for a directory that holds them (`governTrack`).
TRACK_NAMES = TrackTable({track: track for track in TRACKS})


@dataclass(frozen=True)
class DirectoryPerson:
    employee_number: str
    username: str
    name: str
    department: str
    project_group: str | None
    title: str | None
    track: str
    hire_date: date | None
    departure_date: date | None
    roles: tuple[str, ...]
    #: Why the track is unknown (`absent`, `unmapped`, `ambiguous`), None when it is known.
    #: Not synced: the report names these people on every run until their entry is mended.
    track_unknown: str | None = field(default=None, compare=False)


def person_from_entry(
    entry: DirectoryEntry,
    attributes: Mapping[str, str],
    roles: Iterable[str],
    tracks: TrackTable = TRACK_NAMES,
) -> DirectoryPerson:
    """Build a person from a raw entry; its track through `tracks` (`unknown` when the entry
    does not say). Raises DirectoryDataError naming the DN and the field."""
    values = {name: entry.first(attribute) for name, attribute in attributes.items()}
    for name in REQUIRED:
        if not values[name]:
            raise DirectoryDataError(
                "directory.entry_incomplete",
                f"{entry.dn}: attribute {attributes[name]} ({name}) is missing",
            )
    track, unknown = tracks.track_of(entry.attributes.get(attributes["track"].lower()) or ())
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
        track_unknown=unknown,
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
