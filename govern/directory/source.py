"""The directory as Govern sees it: people to sync and passwords to check.

Two implementations share this contract: `LdapDirectory` (a real directory over ldap3) and
`LdifDirectory` (the demo's read-only LDIF file). The same contract tests run against both.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from govern.directory.person import (
    TRACK_NAMES,
    DirectoryEntry,
    DirectoryPerson,
    TrackTable,
    normalise_dn,
    person_from_entry,
    roles_by_member,
)
from govern.errors import GovernError
from govern.text import is_safe_text


class DirectoryUnavailable(GovernError):
    status = 503


@dataclass(frozen=True)
class EntryLocks:
    """What `Directory.disable_all` did, by employee number."""

    locked: frozenset[str] = frozenset()
    failed: frozenset[str] = frozenset()


class Directory(ABC):
    def __init__(
        self,
        attributes: Mapping[str, str],
        role_groups: Mapping[str, str],
        tracks: TrackTable = TRACK_NAMES,
    ) -> None:
        self.attributes = dict(attributes)
        self.role_groups = dict(role_groups)
        self.tracks = tracks

    def people(self) -> list[DirectoryPerson]:
        """Every person in the directory. Raises DirectoryDataError on an unusable entry."""
        roles = roles_by_member(self._groups(), self.role_groups)
        return [
            person_from_entry(
                entry, self.attributes, roles.get(normalise_dn(entry.dn), ()), self.tracks
            )
            for entry in self._people_entries()
        ]

    def authenticate(self, username: str, password: str) -> str | None:
        """The employee number of the person these credentials belong to, or None."""
        if not username or not password:  # an empty password would be an anonymous bind
            return None
        if not (is_safe_text(username) and is_safe_text(password)):  # LDAP cannot take it
            return None
        entry = self._find_person(username)
        if entry is None or not self._password_ok(entry, password):
            return None
        return entry.first(self.attributes["employee_number"])

    @abstractmethod
    def answers(self) -> None:
        """Whether the directory answers a bind of Govern's service account now (readiness
        asks every second or so). Raises DirectoryUnavailable, unlogged: the caller reports it;
        its details say `refused` when the directory answered and refused the bind."""

    def locked(self) -> set[str]:
        """Employee numbers whose entries the directory has locked (disabled). Raises
        DirectoryUnavailable."""
        return set()

    def disable_all(self, employee_numbers: Sequence[str]) -> EntryLocks:
        """Lock these people's directory entries so the directory itself refuses their binds,
        where Govern may write to it. Returns which it locked and which failed (the directory
        refused or did not answer); an entry Govern may not write, or does not find once, is
        in neither. Never raises for the directory's sake: one entry's failure is its own."""
        return EntryLocks()

    @abstractmethod
    def _people_entries(self) -> list[DirectoryEntry]: ...

    @abstractmethod
    def _groups(self) -> dict[str, set[str]]:
        """Lower-cased group cn → member DNs."""

    @abstractmethod
    def _find_person(self, username: str) -> DirectoryEntry | None: ...

    @abstractmethod
    def _password_ok(self, entry: DirectoryEntry, password: str) -> bool: ...
