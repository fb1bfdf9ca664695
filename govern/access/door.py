"""The one door to debtor data (R-ACS-1, R-ACS-2): may this viewer reach this debtor, and at
what level may they get each of its fields, with the reason code of every field withheld.

Every read of debtor data asks here (view, caseload, search, reveal), and so do explaining a
decision and granting break glass: "who reaches what, and what of it they see" is assembled in
this module only. What the door needs to know of a debtor (its id and project group) and of an
approved investigation (which fields it opens) comes to it as data: access imports nothing
from debtors or investigations.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from sqlalchemy.orm import Session

from govern import signals
from govern.access import repository as repo
from govern.access.policy import AccessPolicy, access_policy
from govern.access.rules import (
    INVESTIGATION,
    Entrustment,
    FieldDecision,
    FieldRule,
    Reach,
    Viewer,
    check_entrustment,
    decide_fields,
    reach,
)
from govern.access.table import FieldTable
from govern.clock import Clock
from govern.errors import Forbidden

#: Decisions kept per policy table at most (distinct roles x groups x certifications held).
KEPT_DECISIONS = 4096


class PolicyTables(Protocol):
    """Where the door reads the field table of the stored policy version (PolicyCache)."""

    def table(self, db: Session) -> tuple[int, FieldTable]: ...


@dataclass(frozen=True)
class DebtorRef:
    """What the door needs of a debtor: its id (None for a project group as a whole), the
    project group it is assigned to, and its creditor's contract (None where its client is no
    creditor Govern knows)."""

    id: str | None
    project_group: str
    entrustment: Entrustment | None = None


@dataclass(frozen=True)
class Opening:
    """An approved investigation that opens a debtor to its auditor now (checked by the
    investigations capability): a reach grant handed to the door as data. `fields` are the
    fields it names; empty when it names none (every field the policy gives)."""

    investigation: str
    fields: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Decision:
    """The door's answer: how the viewer reaches the debtor, each field's level or the reason
    it is withheld, and the policy version that decided."""

    reach: Reach
    fields: list[FieldDecision]
    policy_version: int

    def field(self, name: str) -> FieldDecision:
        """The decision about one field (a field of the policy's `fields.toml`)."""
        return next(decision for decision in self.fields if decision.field == name)


class Door:
    """The decisions of one request (or command): the policy table, and a department's
    project groups, are read once, the first time a decision needs them, and serve every
    debtor the request decides. A door without `tables` answers reach only (break glass asks
    nothing else). `table`: the version and table already read for the request
    (`access.service.reading_rules`), which the door then does not read again."""

    def __init__(
        self,
        db: Session,
        clock: Clock,
        policies_dir: Path,
        tables: PolicyTables | None = None,
        table: tuple[int, FieldTable] | None = None,
    ) -> None:
        self.db, self.clock, self.policies_dir, self.tables = db, clock, policies_dir, tables
        self._table = table
        self._groups: dict[str, frozenset[str]] = {}

    @property
    def rules(self) -> AccessPolicy:
        """The field rules, reach and purposes of `policies/access/fields.toml`."""
        return access_policy(self.policies_dir)

    @property
    def table(self) -> tuple[int, FieldTable]:
        """The stored policy's version and its field table, read once per door."""
        if self._table is None:
            if self.tables is None:
                raise RuntimeError("a door without tables answers reach only")
            self._table = self.tables.table(self.db)
        return self._table

    def decide(
        self,
        viewer: Viewer,
        debtor: DebtorRef,
        opening: Opening | None = None,
        purpose: str | None = None,
    ) -> Decision:
        """Whether `viewer` reaches `debtor` and every field's level or reason code; `purpose`,
        a reveal's, must be one the debtor's creditor agreed to.

        An investigation that names fields opens those only: the others are withheld with
        `investigation.field_not_covered`. Raises Forbidden `debtor.not_assigned` /
        `audit.investigation_required` / `creditor.contract_not_started` /
        `creditor.contract_ended` / `creditor.purpose_not_agreed`, naming the debtor for its
        denial event.
        """
        way = self.reach(viewer, debtor, opening)
        self._entrusted(debtor, purpose)
        version, table = self.table
        training = way.way != INVESTIGATION or self.rules.investigation_training
        fields = _decided(viewer, way, debtor.project_group, table, self.rules.fields, training)
        if way.way == INVESTIGATION and opening is not None and opening.fields:
            fields = [_covered(decision, opening.fields) for decision in fields]
        withheld = [decision.reason for decision in fields if decision.level is None]
        if withheld:
            signals.fields_withheld.send(reasons=withheld)
        return Decision(way, fields, version)

    def reach(
        self,
        viewer: Viewer,
        debtor: DebtorRef,
        opening: Opening | None = None,
        lent: bool = True,
    ) -> Reach:
        """How `viewer` reaches `debtor` (govern/access/rules.py `reach`); `lent` False leaves
        break-glass grants out (a grantor must reach a debtor by their own roles).

        Raises Forbidden `debtor.not_assigned` / `audit.investigation_required`.
        """
        try:
            way = reach(
                viewer,
                debtor.project_group,
                self.rules.reach,
                lambda: self._department_groups(viewer.department),
                lambda: self._grant(viewer, debtor) if lent else None,
                opening.investigation if opening else None,
            )
        except Forbidden as refused:
            signals.access_decided.send("denied", reason=refused.code)
            named = {"object": debtor.id} if debtor.id else {}
            raise Forbidden(refused.code, refused.message, **named) from None
        signals.access_decided.send("allowed", reason=way.way)
        return way

    def _entrusted(self, debtor: DebtorRef, purpose: str | None) -> None:
        """The creditor's contract lets the debtor be read (and revealed for `purpose`)."""
        if debtor.entrustment is None:
            return
        try:
            check_entrustment(debtor.entrustment, self.clock.now(), purpose)
        except Forbidden as refused:
            signals.access_decided.send("denied", reason=refused.code)
            named = {"object": debtor.id} if debtor.id else {}
            raise Forbidden(refused.code, refused.message, **named) from None

    def _department_groups(self, department: str) -> frozenset[str]:
        """The project groups of a department (a head's reach), read once per door."""
        if department not in self._groups:
            self._groups[department] = repo.department_groups(self.db, department)
        return self._groups[department]

    def _grant(self, viewer: Viewer, debtor: DebtorRef) -> str | None:
        """The id of a break-glass grant covering the debtor for the viewer now, if any."""
        grant = repo.live_grant(
            self.db, viewer.account_id, debtor.id, debtor.project_group, self.clock.now()
        )
        return grant.id if grant else None


def _decided(
    viewer: Viewer,
    way: Reach,
    group: str,
    table: FieldTable,
    rules: Mapping[str, FieldRule],
    training: bool,
) -> list[FieldDecision]:
    """`decide_fields`, made once per policy table for the same inputs: the reaching roles,
    the debtor's group, the certifications held (when they count) and the field rules. Every
    view of a collector's caseload asks the same question; the table of a new policy version
    starts with none."""
    key = (id(rules), way.roles, group, viewer.holding if training else None)
    kept = table.decided.get(key)
    if kept is None or kept[0] is not rules:  # the rules themselves, not an id reused
        if len(table.decided) >= KEPT_DECISIONS:
            table.decided.clear()
        decided = tuple(decide_fields(viewer, way, group, table, rules, training))
        kept = table.decided[key] = (rules, decided)
    return list(kept[1])


def _covered(decision: FieldDecision, opened: frozenset[str]) -> FieldDecision:
    """A field an investigation does not name stays withheld, whatever the policy gives."""
    if decision.field in opened:
        return decision
    return FieldDecision(decision.field, None, "investigation.field_not_covered")
