"""The role × action table, read from `policies/actions.toml`.

It answers only "may this role ask for this action at all"; which department or which
account is each capability's own rule.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from govern.config import load_policy

EVERYONE = "*"


@dataclass(frozen=True)
class RoleActions:
    table: dict[str, dict[str, frozenset[str]]]  # resource → action → roles

    def allows(self, roles: Iterable[str], resource: str, action: str) -> bool:
        allowed = self.table.get(resource, {}).get(action)
        if allowed is None:
            raise KeyError(f"{resource}.{action} is not in the role × action table")
        return EVERYONE in allowed or not allowed.isdisjoint(roles)


@cache
def role_actions(policies_dir: Path) -> RoleActions:
    """The table in `policies_dir/actions.toml`, read once per process."""
    raw = load_policy(policies_dir / "actions.toml")
    return RoleActions(
        {
            resource: {action: frozenset(roles) for action, roles in actions.items()}
            for resource, actions in raw.items()
        }
    )
