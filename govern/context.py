"""The context a request or a command works in: built once, handed to the use cases.

`govern/web.py` builds one per request (`context()`), each command the same way, from what
`govern/app.py` made at start-up. A use case takes the context instead of its clock, settings
and trail one by one; it still takes its database session (its unit of work) and what the
caller asked for, and who acts as an `Actor` (govern/actor.py). Plain Python: no
Flask, no SQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from govern.auditing.trail import Trail
from govern.clock import Clock
from govern.config import Settings
from govern.policies import RolePolicy


class Sealer(Protocol):
    """What a use case asks of the vault (govern/debtors/vault.py), named here so the
    context imports no capability above the ones that take it."""

    current: str  # the id of the key new seals are made with, where no creditor's is

    def key_for(self, client: str) -> str: ...

    def seal(self, value: str, place: str, key_id: str | None = None) -> bytes: ...

    def reload(self) -> None: ...

    def open(self, blob: bytes, place: str) -> str: ...

    def lookup_for(self, client: str) -> str | None: ...

    def digest(self, kind: str, value: str, lookup_id: str | None = None) -> bytes: ...

    def digests(self, kind: str, value: str) -> frozenset[bytes]: ...


@dataclass(frozen=True)
class Context:
    """The clock, settings, trail, vault and role policy (policies/roles.toml) of one request
    or command."""

    clock: Clock
    settings: Settings
    trail: Trail
    vault: Sealer
    roles: RolePolicy
