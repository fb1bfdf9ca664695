"""The roles of `policies/roles.toml`, and the start-up check that every other policy file names
only those roles.

Every role is defined in one place, `roles.toml`: the roles its directory groups give, and the
role of staff in none of them (`without_group`). The other files (`actions.toml`,
`suspensions.toml`, `access/fields.toml`, `access/policy.csv`, `training/catalogue.toml`,
`separation_of_duties.toml`) and
`roles.toml`'s own lists only refer to roles. A misspelt role there would silently deny whoever
it was meant for, so `check_role_names` stops the service instead, naming the file, the line and
the key. Read once per process.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from govern.config import load_policy
from govern.errors import ConfigError

ROLES_FILE = "roles.toml"
EVERYONE = "*"  # actions.toml: every role

#: A role found in a policy file: the file, the key (or policy line) naming it, the role.
Mention = tuple[str, str, str]


@dataclass(frozen=True)
class RolePolicy:
    """The roles of `roles.toml`: each role's directory group, the role of staff in no group,
    and who sees everyone's records of a kind (a department head sees their own department's,
    everyone their own)."""

    groups: Mapping[str, str]
    without_group: str
    account_readers: frozenset[str]
    training_readers: frozenset[str]
    #: each role's name by language ("zh", "en"), for the console
    labels: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    def label(self, role: str, language: str) -> str:
        """The role's name for a person reading `language`; its code when it has none."""
        return self.labels.get(role, {}).get(language, role)

    @property
    def defined(self) -> frozenset[str]:
        """Every role Govern knows."""
        return frozenset(self.groups) | {self.without_group}


@cache
def role_policy(policies_dir: Path) -> RolePolicy:
    """`policies_dir/roles.toml`, read once per process. Raises ConfigError `config.roles`."""
    path = policies_dir / ROLES_FILE
    raw = load_policy(path)
    try:
        readers = raw["company_wide"]
        return RolePolicy(
            groups=dict(raw["groups"]),
            without_group=str(raw["without_group"]),
            account_readers=frozenset(readers["accounts"]),
            training_readers=frozenset(readers["training"]),
            labels={role: dict(names) for role, names in raw.get("labels", {}).items()},
        )
    except (KeyError, TypeError) as error:
        raise ConfigError("config.roles", f"{path}: {error} is missing or malformed") from None


def check_role_names(policies_dir: Path, code: Mapping[str, Iterable[str]] | None = None) -> None:
    """Every role a policy file names, and every role the code names (`code`: where → roles),
    must be defined in `roles.toml`, so a typo stops the service at start-up.

    Raises ConfigError `config.role_unknown` naming the file, line and key of each stranger.
    """
    defined = role_policy(policies_dir).defined
    problems = [
        f"{_where(policies_dir, file, key, role)}: no role {role!r}"
        for file, key, role in _mentions(policies_dir)
        if role not in defined
    ]
    problems += [
        f"{place}: no role {role!r}"
        for place, roles in (code or {}).items()
        for role in roles
        if role not in defined
    ]
    if problems:
        raise ConfigError(
            "config.role_unknown",
            f"{'; '.join(problems)} (the roles of {policies_dir / ROLES_FILE}: "
            f"{', '.join(sorted(defined))})",
        )


def _mentions(policies_dir: Path) -> Iterator[Mention]:
    yield from _in_roles(load_policy(policies_dir / ROLES_FILE))
    yield from _in_actions(load_policy(policies_dir / "actions.toml"))
    yield from _in_suspensions(load_policy(policies_dir / "suspensions.toml"))
    yield from _in_fields(load_policy(policies_dir / "access" / "fields.toml"))
    yield from _in_catalogue(load_policy(policies_dir / "training" / "catalogue.toml"))
    yield from _in_casbin_policy(policies_dir / "access" / "policy.csv")
    yield from _in_duties(load_policy(policies_dir / "separation_of_duties.toml"))


def _in_roles(raw: dict[str, Any]) -> Iterator[Mention]:
    for kind, roles in raw.get("company_wide", {}).items():
        yield from ((ROLES_FILE, f"company_wide.{kind}", role) for role in roles)
    yield from ((ROLES_FILE, f"labels.{role}", role) for role in raw.get("labels", {}))


def _in_actions(raw: dict[str, Any]) -> Iterator[Mention]:
    for resource, actions in raw.items():
        for action, roles in actions.items():
            key = f"{resource}.{action}"
            yield from (("actions.toml", key, r) for r in roles if r != EVERYONE)


def _in_suspensions(raw: dict[str, Any]) -> Iterator[Mention]:
    for kind, entry in raw.get("kinds", {}).items():
        for who in ("impose", "lift"):
            key = f"kinds.{kind}.{who}"
            yield from (("suspensions.toml", key, role) for role in entry.get(who, ()))


def _in_fields(raw: dict[str, Any]) -> Iterator[Mention]:
    file = "access/fields.toml"
    yield from ((file, f"reach.{role}", role) for role in raw.get("reach", {}))
    grantors = raw.get("break_glass", {}).get("grantors", ())
    yield from ((file, "break_glass.grantors", role) for role in grantors)


def _in_catalogue(raw: dict[str, Any]) -> Iterator[Mention]:
    for kind, session in raw.get("sessions", {}).items():
        if "host" in session:
            yield "training/catalogue.toml", f"sessions.{kind}.host", session["host"]


def _in_duties(raw: dict[str, Any]) -> Iterator[Mention]:
    """The roles of separation of duties' role pairs (`separation_of_duties.toml`)."""
    for rule_id, rule in raw.get("rules", {}).items():
        if rule.get("kind") == "roles":
            key = f"rules.{rule_id}.roles"
            yield from (("separation_of_duties.toml", key, role) for role in rule.get("roles", ()))


def _in_casbin_policy(path: Path) -> Iterator[Mention]:
    """Roles of the default casbin policy: the subject of a `p` line, both roles of a `g` line.
    The key is the line number itself."""
    with path.open(encoding="utf-8", newline="") as handle:
        for number, row in enumerate(csv.reader(handle, skipinitialspace=True), start=1):
            if not row or row[0].lstrip().startswith("#"):
                continue
            named = row[1:2] if row[0] == "p" else row[1:3] if row[0] == "g" else []
            yield from (("access/policy.csv", f"line {number}", role.strip()) for role in named)


def _where(policies_dir: Path, file: str, key: str, role: str) -> str:
    path = policies_dir / file
    if key.startswith("line "):
        return f"{path} {key}"
    return f"{path} line {_line_of(path, key, role)} ({key})"


def _line_of(path: Path, key: str, role: str) -> int | str:
    """The line of `path` where `key` (table.name) names `role`: the first line mentioning the
    role (quoted, or as a key) at or after the key's own line, in the key's table."""
    table, _, name = key.rpartition(".")
    current, seen_key = "", False
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        text = line.split("#", 1)[0]
        header = re.match(r"\s*\[([^\[\]]+)\]\s*$", text)
        if header:
            current, seen_key = header.group(1).strip(), False
            continue
        if current != table:
            continue
        seen_key = seen_key or re.match(rf"\s*{re.escape(name)}\s*=", text) is not None
        quoted = f'"{role}"' in text or f"'{role}'" in text
        if seen_key and (quoted or re.match(rf"\s*{re.escape(role)}\s*=", text)):
            return number
    return "?"
