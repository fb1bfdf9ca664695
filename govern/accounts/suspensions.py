"""The kinds of suspension, read from `policies/suspensions.toml`: who imposes and who lifts each,
and which any imposer may replace by another kind.

Read once per process and checked at start-up, so a mistake in the file stops the service.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from govern.accounts.rules import INACTIVITY, SECURITY, SuspensionKind
from govern.config import load_policy
from govern.errors import BadRequest, ConfigError

FILE = "suspensions.toml"


@dataclass(frozen=True)
class SuspensionKinds:
    kinds: dict[str, SuspensionKind]

    def named(self, name: str) -> SuspensionKind:
        """The kind called `name`. Raises BadRequest `suspension.kind_unknown` listing the kinds."""
        kind = self.kinds.get(name.strip())
        if kind is None:
            raise BadRequest(
                "suspension.kind_unknown", f"Name the kind of suspension: {', '.join(self.kinds)}."
            )
        return kind

    def of(self, stored: str | None) -> SuspensionKind:
        """The kind a suspended account is held for; one of unknown kind counts as security
        (lifted only by whom the table says may lift a security suspension)."""
        return self.kinds.get(stored or SECURITY, self.kinds[SECURITY])


@cache
def suspension_kinds(policies_dir: Path) -> SuspensionKinds:
    """The table in `policies_dir/suspensions.toml`. Raises ConfigError `suspension.kinds`."""
    path = policies_dir / FILE
    try:
        return SuspensionKinds(_kinds(load_policy(path)["kinds"]))
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise ConfigError("suspension.kinds", f"{path}: {error}") from None


def check_suspension_kinds(policies_dir: Path) -> None:
    """Read the table now, so a mistake stops the service at start-up (the roles it names are
    held to roles.toml by `govern.policies.check_role_names`). Raises ConfigError
    `suspension.kinds`."""
    suspension_kinds(policies_dir)


def _kinds(raw: dict[str, Any]) -> dict[str, SuspensionKind]:
    kinds = {name: _kind(name, entry) for name, entry in raw.items()}
    for needed in (INACTIVITY, SECURITY):
        if needed not in kinds:
            raise ValueError(f"the kind {needed} is missing")
    if kinds[SECURITY].replaceable:  # it also stands for any suspension of unknown kind
        raise ValueError(f"the kind {SECURITY} may not be replaceable")
    return kinds


def _kind(name: str, entry: dict[str, Any]) -> SuspensionKind:
    imposed_by, lifted_by = _role_list(entry, "impose"), _role_list(entry, "lift")
    if not lifted_by:
        raise ValueError(f"kind {name}: nobody may lift it (lift is empty)")
    replaceable = entry.get("replaceable", False)
    if not isinstance(replaceable, bool):
        raise ValueError(f"kind {name}: replaceable must be true or false")
    title_zh = str(entry.get("title_zh", ""))
    return SuspensionKind(name, str(entry["title"]), imposed_by, lifted_by, replaceable, title_zh)


def _role_list(entry: dict[str, Any], key: str) -> frozenset[str]:
    roles = entry[key]
    if not isinstance(roles, list) or not all(isinstance(role, str) for role in roles):
        raise ValueError(f"{key} must be a list of role names")
    return frozenset(roles)
