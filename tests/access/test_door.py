"""The one door to debtor data answers as plain casbin does: on random policies, viewers and
debtors, whoever the door lets reach a debtor gets each field at the most casbin's enforce()
gives the roles that reach it, and every field withheld says why (R-ACS-1, R-ACS-2)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import casbin
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from govern.access.door import DebtorRef, Door, Opening
from govern.access.policy import access_policy, default_lines
from govern.access.rules import Viewer
from govern.access.table import LEVELS, FieldTable, build_table, parse_lines
from govern.clock import FixedClock
from govern.directory.models import Identity
from govern.errors import Forbidden
from tests.access.test_table import DOMAINS, enforced_level, enforcer_for, policy_lines
from tests.support.statements import statements_sent

POLICIES = Path(__file__).resolve().parents[2] / "policies"
RULES = access_policy(POLICIES)
#: The roles of policies/access/fields.toml's [reach], and one that reaches nothing.
ROLES = [*RULES.reach, "x"]
FIELDS = ["name", "phones", "client", "project_group"]
CERTIFICATIONS = sorted({c for rule in RULES.fields.values() for c in rule.requires})

policies = policy_lines(ROLES, FIELDS)
viewers = st.builds(
    Viewer,
    account_id=st.just("AC-TEST-0001"),
    roles=st.frozensets(st.sampled_from(ROLES), min_size=1, max_size=3),
    project_group=st.sampled_from([*DOMAINS, None]),
    department=st.just("催收一部"),
    holding=st.frozensets(st.sampled_from(CERTIFICATIONS)),
)
debtors = st.builds(
    DebtorRef, id=st.just("DB-TEST-0001"), project_group=st.sampled_from([*DOMAINS, "pg-new"])
)
openings = st.one_of(
    st.none(),
    st.builds(Opening, st.just("IN-TEST-0001"), st.frozensets(st.sampled_from(list(RULES.fields)))),
)


class Stored:
    """The policy as the door reads it: one version, the table built from its lines."""

    def __init__(self, lines: list[tuple[str, ...]]) -> None:
        self.built = (7, build_table(parse_lines(lines)))

    def table(self, db: Session) -> tuple[int, FieldTable]:
        return self.built


def reaching_roles(viewer: Viewer, debtor: DebtorRef, opening: Opening | None) -> set[str]:
    """Who reaches the debtor, the plain way (no department has staff in this database, and
    nobody holds a break-glass grant)."""
    ways = {
        "company": True,
        "project_group": debtor.project_group == viewer.project_group,
        "investigation": opening is not None,
    }
    return {role for role in viewer.roles if ways.get(RULES.reach.get(role, ""), False)}


def expected(
    viewer: Viewer, roles: set[str], group: str, enforcer: casbin.Enforcer, field: str
) -> tuple[str | None, str | None]:
    """(level, reason) as casbin's enforce() and the field's certifications give it (inside an
    investigation that names fields, only those)."""
    levels = [enforced_level(enforcer, role, group, field) for role in roles]
    known = [level for level in levels if level is not None]
    if not known:
        return None, "role.field.none"
    missing = [c for c in RULES.fields[field].requires if c not in viewer.holding]
    if missing:
        return None, f"training.{missing[0]}.missing"
    return max(known, key=LEVELS.index), None


@pytest.fixture
def session(owner_engine: Engine) -> Iterator[Session]:
    with Session(owner_engine) as db:
        yield db


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(policies, viewers, debtors, openings)
def test_r_acs_2_the_door_answers_as_casbin_on_random_policies(
    session: Session,
    clock: FixedClock,
    lines: list[tuple[str, ...]],
    viewer: Viewer,
    debtor: DebtorRef,
    opening: Opening | None,
) -> None:
    door = Door(session, clock, POLICIES, Stored(lines))
    roles = reaching_roles(viewer, debtor, opening)
    if not roles:
        with pytest.raises(Forbidden) as refused:
            door.decide(viewer, debtor, opening)
        assert refused.value.code in ("debtor.not_assigned", "audit.investigation_required")
        return
    decision = door.decide(viewer, debtor, opening)
    assert decision.reach.roles == roles and decision.policy_version == 7
    enforcer = enforcer_for(lines)
    inside = decision.reach.way == "investigation" and opening is not None and opening.fields
    for field in RULES.fields:
        answer = decision.field(field)
        want = expected(viewer, roles, debtor.project_group, enforcer, field)
        if inside and field not in opening.fields:  # type: ignore[union-attr]
            want = (None, "investigation.field_not_covered")
        assert (answer.level, answer.reason) == want, field


def test_a_heads_decisions_read_the_departments_groups_once_a_door(
    session: Session, clock: FixedClock, owner_engine: Engine
) -> None:
    """A head's caseload decides a page of debtors: the department's project groups are
    asked once, not once a debtor (it was 55 statements for a page of 50)."""
    session.add(
        Identity(
            employee_number="9001",
            username="col.test",
            name="测试",
            department="催收一部",
            project_group="pg-a1",
            roles=["collector"],
            synced_at=clock.now(),
        )
    )
    session.commit()
    head = Viewer("AC-TEST-0002", frozenset({"department_head"}), None, "催收一部", frozenset())

    def statements_for(debtors: int) -> int:
        door = Door(session, clock, POLICIES, Stored([]))
        with statements_sent(owner_engine) as sent:
            for n in range(debtors):
                assert door.decide(head, DebtorRef(f"DB-TEST-{n:04d}", "pg-a1")).reach.roles
        session.rollback()
        return sent[0]

    assert statements_for(1) == statements_for(20)


#: One table for every example below: the decisions it keeps serve them all.
KEEPING = Stored(default_lines(POLICIES))


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(viewers, debtors)
def test_decisions_kept_for_a_policy_version_answer_as_deciding_afresh(
    session: Session, clock: FixedClock, viewer: Viewer, debtor: DebtorRef
) -> None:
    """The door keeps its decisions with the version's table: whatever it kept from earlier
    viewers (other roles, other certifications held) answers as a table that never decided."""
    fresh = Door(session, clock, POLICIES, Stored(default_lines(POLICIES)))
    try:
        expected_decision = fresh.decide(viewer, debtor)
    except Forbidden as refused:
        with pytest.raises(Forbidden) as again:
            Door(session, clock, POLICIES, KEEPING).decide(viewer, debtor)
        assert again.value.code == refused.code
        return
    assert Door(session, clock, POLICIES, KEEPING).decide(viewer, debtor) == expected_decision
