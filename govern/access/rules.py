"""Who may see which debtor field, as plain functions (R-ACS-1, R-ACS-2, R-ACS-4).

A decision takes the viewer (account state, roles, project group, certifications that hold
now), the debtor's project group, the field table and the field rules, and returns each
field's level or the stable reason code it is withheld for. No Flask, no SQL, no casbin.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from govern.errors import Forbidden
from govern.text import in_language

if TYPE_CHECKING:
    from govern.access.table import FieldTable

FULL, ON_PURPOSE, MASKED = "full", "on_purpose", "masked"
#: Staff in no role group are collectors (policies/roles.toml).
COLLECTOR = "collector"
OWN_GROUP, DEPARTMENT, COMPANY, INVESTIGATION, BREAK_GLASS = (
    "project_group",
    "department",
    "company",
    "investigation",
    "break_glass",
)


@dataclass(frozen=True)
class FieldRule:
    name: str
    label: str
    mask: str
    requires: tuple[str, ...]
    label_en: str = ""

    def label_in(self, language: str) -> str:
        """The field's name for a person reading `language` ("zh", "en")."""
        return in_language(language, self.label, self.label_en)


@dataclass(frozen=True)
class Viewer:
    account_id: str
    roles: frozenset[str]
    project_group: str | None
    department: str
    holding: frozenset[str]  # certifications that hold at this request


@dataclass(frozen=True)
class Reach:
    """How a viewer reaches a debtor, once allowed: the way, the roles that reach it that way
    (only they decide the fields), and the grant or investigation."""

    way: str
    roles: frozenset[str]
    grant: str | None = None
    investigation: str | None = None


@dataclass(frozen=True)
class FieldDecision:
    field: str
    level: str | None  # full, on_purpose or masked; None when withheld
    reason: str | None  # why withheld (a stable code), else None


@dataclass(frozen=True)
class Entrustment:
    """What the door needs of a debtor's creditor (甲方): when its contract ends (the end of
    its last day in the company's zone), the reveal purposes it agreed to, whether its keys
    were destroyed at its end, and when it starts (the start of its first day; None: no start
    to wait for)."""

    creditor: str  # the creditor's id
    ends_at: datetime
    purposes: frozenset[str]
    ended: bool = False
    starts_at: datetime | None = None

    def over(self, now: datetime) -> bool:
        """Whether the contract has ended by `now` (its last day over, or its keys destroyed)."""
        return self.ended or now >= self.ends_at

    def started(self, now: datetime) -> bool:
        """Whether the contract has begun by `now`."""
        return self.starts_at is None or now >= self.starts_at

    def runs(self, now: datetime) -> bool:
        """Whether the contract lets its debtors be read at `now`: begun and not over."""
        return self.started(now) and not self.over(now)


def check_entrustment(entrustment: Entrustment, now: datetime, purpose: str | None) -> None:
    """Whether the creditor's contract still lets its debtor be read, and for `purpose` (a
    reveal's) revealed (PIPL Art. 21: only for the agreed purpose, only while the contract
    runs). Raises Forbidden `creditor.contract_not_started`, `creditor.contract_ended` or
    `creditor.purpose_not_agreed`."""
    if not entrustment.started(now):
        raise Forbidden(
            "creditor.contract_not_started",
            "The creditor's contract has not started: its debtors' data may not be read yet.",
        )
    if entrustment.over(now):
        raise Forbidden(
            "creditor.contract_ended",
            "The creditor's contract has ended: its debtors' data may no longer be read.",
        )
    if purpose is not None and purpose not in entrustment.purposes:
        raise Forbidden(
            "creditor.purpose_not_agreed",
            f"The creditor did not agree to {purpose}; it agreed to: "
            f"{', '.join(sorted(entrustment.purposes)) or 'none'}.",
        )


def data_roles(roles: Iterable[str]) -> frozenset[str]:
    """The roles debtor access is decided by: a person in no role group is a collector."""
    return frozenset(roles) or frozenset({COLLECTOR})


def reach(
    viewer: Viewer,
    debtor_group: str,
    reach_rules: Mapping[str, str],
    department_groups: Callable[[], frozenset[str]],
    grant: Callable[[], str | None],
    investigation: str | None = None,
) -> Reach:
    """How `viewer` reaches a debtor of `debtor_group` (R-ACS-2): the widest way that does,
    and the roles that reach it; only they decide its fields. An auditor who is also a
    supervisor sees their group's debtors as a supervisor, investigated ones as an auditor.
    `department_groups` and `grant` are asked only when needed. Raises Forbidden
    `audit.investigation_required` or `debtor.not_assigned`.
    """
    by_way: dict[str, set[str]] = {}
    for role in viewer.roles:
        by_way.setdefault(reach_rules.get(role, ""), set()).add(role)
    tests = {
        COMPANY: lambda: True,
        OWN_GROUP: lambda: debtor_group == viewer.project_group,
        DEPARTMENT: lambda: debtor_group in department_groups(),
        INVESTIGATION: lambda: investigation is not None,
    }
    reaching = [way for way in tests if way in by_way and tests[way]()]  # widest first
    if not reaching:
        return _broken_glass(viewer, by_way, grant)
    roles = frozenset(role for way in reaching for role in by_way[way])
    named = investigation if INVESTIGATION in reaching else None
    return Reach(reaching[0], roles, investigation=named)


def _broken_glass(
    viewer: Viewer, by_way: dict[str, set[str]], grant: Callable[[], str | None]
) -> Reach:
    """A live break-glass grant lends the viewer's collecting roles (never an auditor's)."""
    collecting = frozenset(viewer.roles - by_way.get(INVESTIGATION, set()))
    granted = grant() if collecting else None
    if granted is not None:
        return Reach(BREAK_GLASS, collecting, grant=granted)
    if set(by_way) == {INVESTIGATION}:
        raise Forbidden(
            "audit.investigation_required",
            "Auditors see debtor data only inside an open investigation that covers the debtor "
            "(?investigation=<id>).",
        )
    raise Forbidden("debtor.not_assigned", "This debtor is not assigned to your project group.")


def decide_fields(
    viewer: Viewer,
    way: Reach,
    debtor_group: str,
    table: FieldTable,
    rules: Mapping[str, FieldRule],
    training: bool = True,
) -> list[FieldDecision]:
    """Each field at the most the reaching roles get in the debtor's group, or withheld:
    `role.field.none` when no such role gets it, `training.<certification>.missing` when a
    certification it requires does not hold (R-ACS-1). `training` False leaves the
    certifications out (the policy's `[investigation]` may say so for auditors' reads)."""
    return [
        decide_field(viewer, way.roles, debtor_group, table, r, training) for r in rules.values()
    ]


def decide_field(
    viewer: Viewer,
    roles: frozenset[str],
    debtor_group: str,
    table: FieldTable,
    rule: FieldRule,
    training: bool = True,
) -> FieldDecision:
    level = table.level(roles, debtor_group, rule.name)
    if level is None:
        return FieldDecision(rule.name, None, "role.field.none")
    for certification in rule.requires if training else ():
        if certification not in viewer.holding:
            return FieldDecision(rule.name, None, f"training.{certification}.missing")
    return FieldDecision(rule.name, level, None)


def shown_level(decision: FieldDecision, revealing: bool) -> str | None:
    """What leaves the server: `on_purpose` fields stay masked unless revealed with a purpose."""
    if decision.level == ON_PURPOSE:
        return FULL if revealing else MASKED
    return decision.level
