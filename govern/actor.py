"""Who acts: the person the rules know (`Staff`), the actor a use case is handed (`Actor`) and
the caller behind a request (`Caller`). Plain Python, below every capability, so that the web
glue and every capability name one actor without importing each other."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Staff:
    """What the rules need to know of a person: who, where, in which roles."""

    employee_number: str
    department: str
    roles: frozenset[str]


@dataclass(frozen=True)
class Actor:
    """Who acts in a use case: what the rules know of them (person, department, roles), the
    name the trail and the histories record them by (their account id, or `operator:<user>`
    at the server console), their account (None at the console) and their project group.
    Their certifications are not kept here: the access decisions read them fresh
    (`access.service.viewer`)."""

    staff: Staff
    label: str
    account_id: str | None = None
    project_group: str | None = None


@dataclass(frozen=True)
class Caller:
    """The account behind a request, as it stands at this request."""

    account_id: str
    name: str
    staff: Staff
    session_hash: str
    project_group: str | None = None

    @property
    def actor(self) -> Actor:
        """The caller as a use case's actor: their staff record, named by their account."""
        return Actor(self.staff, self.account_id, self.account_id, self.project_group)
