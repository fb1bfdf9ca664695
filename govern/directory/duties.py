"""Separation of duties: the rules of `policies/separation_of_duties.toml` and what a directory
sync decides from them (which role to withhold). Plain Python: no Flask, no SQL.

A rule of kind `roles` is a pair of roles one person may not hold together; `collector`, the
role of staff in no group, also stands for collector duties: a person whose entry names a
project group works in collection. A rule of kind `acts` is a pair of acts on one record the
same person may not both do; it points at the check of the use case that refuses it
(`enforced_by`), one of `ACT_CHECKS`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from govern.config import load_policy
from govern.errors import ConfigError

RULES_FILE = "separation_of_duties.toml"
ROLES, ACTS = "roles", "acts"
COLLECTOR = "collector"  # roles.toml `without_group`; app.CODE_ROLES holds it to roles.toml
#: The act pairs the use cases refuse for the same person, by their reason code.
ACT_CHECKS: Mapping[str, tuple[str, str]] = {
    "exam.own_result": ("exam.record", "exam.sit"),  # training.exams.record_result
    "leave.self_approval": ("leave.approve", "leave.take"),  # training.people.check_superior
}
#: States of a conflict: the later role withheld; the pair held (before the rules, or the later
#: duty is a project group, which no sync withholds); the pair held under an exception.
WITHHELD, HELD, EXCEPTED = "withheld", "held", "excepted"


@dataclass(frozen=True)
class DutyRule:
    """One rule: its stable id, its kind, the pair (roles or acts), its names and, for acts,
    the reason code of the check that enforces it."""

    id: str
    kind: str
    pair: tuple[str, str]
    labels: Mapping[str, str]
    enforced_by: str | None = None

    def label(self, language: str) -> str:
        """The rule's name for a person reading `language` (Chinese when there is none)."""
        return self.labels.get(language) or self.labels.get("zh") or self.id

    @property
    def code(self) -> str:
        """The reason code the rule answers with."""
        return self.enforced_by or f"sod.{self.id}"


@cache
def duty_rules(policies_dir: Path) -> tuple[DutyRule, ...]:
    """The rules of `policies_dir/separation_of_duties.toml`, read once per process.

    Raises ConfigError `config.separation_of_duties` naming the file and the rule's key.
    """
    path = policies_dir / RULES_FILE
    rules = load_policy(path).get("rules", {})
    return tuple(_rule(path, str(rule_id), raw) for rule_id, raw in rules.items())


def _rule(path: Path, rule_id: str, raw: Mapping[str, object]) -> DutyRule:
    def refuse(what: str) -> ConfigError:
        return ConfigError("config.separation_of_duties", f"{path} (rules.{rule_id}): {what}")

    kind = raw.get("kind")
    if kind not in (ROLES, ACTS):
        raise refuse("kind must be 'roles' or 'acts'")
    pair = raw.get(kind)
    if not isinstance(pair, list) or len(set(pair)) != 2 or len(pair) != 2:
        raise refuse(f"{kind} must name two different {kind}")
    labels = raw.get("labels")
    if not isinstance(labels, dict) or not labels.get("zh") or not labels.get("en"):
        raise refuse("labels must give zh and en")
    enforced_by = raw.get("enforced_by") if kind == ACTS else None
    if kind == ACTS and set(ACT_CHECKS.get(str(enforced_by), ())) != set(pair):
        known = ", ".join(f"{code} {'/'.join(acts)}" for code, acts in ACT_CHECKS.items())
        raise refuse(f"enforced_by must name the check of these acts (known: {known})")
    return DutyRule(rule_id, kind, (str(pair[0]), str(pair[1])), dict(labels), enforced_by)


def role_rules(rules: Iterable[DutyRule]) -> list[DutyRule]:
    """The rules of kind `roles`."""
    return [rule for rule in rules if rule.kind == ROLES]


def duties(roles: Iterable[str], project_group: str | None) -> frozenset[str]:
    """What a person holds as far as the rules go: their roles, and collector duties when their
    entry names a project group."""
    return frozenset(roles) | ({COLLECTOR} if project_group else frozenset())


@dataclass(frozen=True)
class Standing:
    """What a person holds now (`had`, empty for a newcomer), what the directory gives them
    (`given`, with the roles it gives as `given_roles`), which rules an exception covers and,
    by rule, the role a sync withheld or an exception let through (`earlier`)."""

    had: frozenset[str]
    given: frozenset[str]
    given_roles: frozenset[str]
    excepted: frozenset[str] = frozenset()
    earlier: Mapping[str, str | None] = field(default_factory=dict)


@dataclass(frozen=True)
class Separation:
    """What a sync grants: the roles to store, and each conflict (rule id → state, role)."""

    roles: tuple[str, ...]
    conflicts: dict[str, tuple[str, str | None]]

    @property
    def withheld(self) -> list[str]:
        """The roles withheld."""
        return sorted(
            {role for state, role in self.conflicts.values() if state == WITHHELD if role}
        )


def separate(rules: Iterable[DutyRule], standing: Standing) -> Separation:
    """The roles a sync grants under the role rules: for each pair the directory gives, the
    later role is withheld (the person keeps what they had); both new at once, the second
    the rule names; a role once withheld, or let through by an exception now over, stays the
    later one. An exception lets the pair through. A pair held before the rules, or whose later
    duty is a project group (nothing a sync grants), is held and reported."""
    granted = set(standing.given_roles)
    conflicts: dict[str, tuple[str, str | None]] = {}
    for rule in role_rules(rules):
        if not set(rule.pair) <= standing.given:
            continue
        later = _later(rule, standing)
        if rule.id in standing.excepted:
            conflicts[rule.id] = (EXCEPTED, later if later in standing.given_roles else None)
        elif later in standing.given_roles:
            granted.discard(later)
            conflicts[rule.id] = (WITHHELD, later)
        else:
            conflicts[rule.id] = (HELD, None)
    return Separation(tuple(sorted(granted)) or (COLLECTOR,), conflicts)


def _later(rule: DutyRule, standing: Standing) -> str | None:
    first, second = rule.pair
    if standing.earlier.get(rule.id):
        return standing.earlier[rule.id]
    had_first, had_second = first in standing.had, second in standing.had
    if had_first and had_second:
        return None  # held before the rules: nothing is granted now
    return first if had_second else second
