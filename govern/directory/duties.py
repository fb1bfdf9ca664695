"""Separation of duties: the rules of `policies/separation_of_duties.toml` and what a directory
sync decides from them (which role to withhold). Plain Python: no Flask, no SQL.

A rule of kind `roles` is a pair of roles one person may not hold together; `collector`, the
role of staff in no group, also stands for collector duties: a person whose entry names a
project group, or who holds a role that reaches debtors by project group (the `[reach]` of
`policies/access/fields.toml`: collector, supervisor), works in collection. A rule of kind
`acts` is a pair of acts on one record the same person may not both do; it points at the
check of the use case that refuses it (`enforced_by`), one of `ACT_CHECKS`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from govern.config import load_policy
from govern.errors import ConfigError
from govern.text import in_language

RULES_FILE = "separation_of_duties.toml"
REACH_FILE = "access/fields.toml"
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
        """The rule's name for a person reading `language` ("zh", "en")."""
        return in_language(language, self.labels["zh"], self.labels["en"])


@cache
def duty_rules(policies_dir: Path) -> tuple[DutyRule, ...]:
    """The rules of `policies_dir/separation_of_duties.toml`, read once per process.

    Raises ConfigError `config.separation_of_duties` naming the file and the rule's key.
    """
    path = policies_dir / RULES_FILE
    rules = load_policy(path).get("rules", {})
    return tuple(_rule(path, str(rule_id), raw) for rule_id, raw in rules.items())


@cache
def max_exception_days(policies_dir: Path) -> int:
    """`max_exception_days` of `policies_dir/separation_of_duties.toml`: how many days after
    today an exception may end at the latest. Raises ConfigError `config.separation_of_duties`
    unless it is a whole number from 1 to 3660."""
    path = policies_dir / RULES_FILE
    days = load_policy(path).get("max_exception_days")
    if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= 3660:
        raise ConfigError(
            "config.separation_of_duties", f"{path}: max_exception_days must be 1 to 3660"
        )
    return days


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


@cache
def collecting_roles(policies_dir: Path) -> frozenset[str]:
    """The roles that carry collector duties: `collector`, and every role that reaches debtors
    by project group in `policies_dir/access/fields.toml` `[reach]` (read once per process;
    the access policy's own loader checks the file)."""
    reach = load_policy(policies_dir / REACH_FILE).get("reach", {})
    return frozenset({COLLECTOR, *(role for role, way in reach.items() if way == "project_group")})


def duties(
    roles: Iterable[str], project_group: str | None, collecting: frozenset[str]
) -> frozenset[str]:
    """What a person holds as far as the rules go: their roles, and collector duties when their
    entry names a project group or one of their roles is `collecting`."""
    held = frozenset(roles)
    return held | ({COLLECTOR} if project_group or held & collecting else frozenset())


@dataclass(frozen=True)
class Standing:
    """What a person holds now (`had`, empty for a newcomer), what the directory gives them
    (`given`, with the roles it gives as `given_roles`), which rules an exception covers, by
    rule the role a sync withheld or an exception let through (`earlier`), and the roles that
    carry collector duties (`collecting`)."""

    had: frozenset[str]
    given: frozenset[str]
    given_roles: frozenset[str]
    excepted: frozenset[str] = frozenset()
    earlier: Mapping[str, str | None] = field(default_factory=dict)
    collecting: frozenset[str] = frozenset({COLLECTOR})


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
    roles that carry the later duty are withheld (the person keeps what they had): for
    collector duties, every collecting role given (a supervisor's); both new at once, the
    second the rule names; a role once withheld, or let through by an exception now over, stays
    the later one. An exception lets the pair through. A pair held before the rules, or whose
    later duty is a project group alone (nothing a sync grants), is held and reported."""
    granted = set(standing.given_roles)
    conflicts: dict[str, tuple[str, str | None]] = {}
    for rule in role_rules(rules):
        if not set(rule.pair) <= standing.given:
            continue
        carrying = _carrying(_later(rule, standing), standing)
        role = min(carrying, default=None)  # the one a conflict names (shipped: never two)
        if rule.id in standing.excepted:
            conflicts[rule.id] = (EXCEPTED, role)
        elif carrying:
            granted -= carrying
            conflicts[rule.id] = (WITHHELD, role)
        else:
            conflicts[rule.id] = (HELD, None)
    return Separation(tuple(sorted(granted)) or (COLLECTOR,), conflicts)


def _later(rule: DutyRule, standing: Standing) -> str | None:
    """The later duty of the pair, or None when both were held before."""
    first, second = rule.pair
    earlier = standing.earlier.get(rule.id)
    if earlier:
        collecting = earlier in standing.collecting and COLLECTOR in rule.pair
        return COLLECTOR if collecting else earlier
    had_first, had_second = first in standing.had, second in standing.had
    if had_first and had_second:
        return None  # held before the rules: nothing is granted now
    return first if had_second else second


def _carrying(duty: str | None, standing: Standing) -> frozenset[str]:
    """The roles given that carry `duty`: for collector duties, the collecting roles."""
    if duty is None:
        return frozenset()
    carriers = standing.collecting if duty == COLLECTOR else {duty}
    return standing.given_roles & carriers
