"""Every debtor field is withheld while ANY certification it requires does not hold (R-ACS-1):
each field × each of its certifications, missing alone.

The table below is written out by hand on purpose: a policy edit that drops a requirement from
`policies/access/fields.toml` fails here instead of silently opening a field to untrained staff.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from govern.access.policy import access_policy
from govern.access.rules import Viewer, decide_field
from govern.access.table import build_table, parse_lines
from govern.training.catalogue import load_catalogue
from tests.support.floor import Floor

POLICIES = Path(__file__).resolve().parents[2] / "policies"

#: Which certifications each debtor field needs before it is shown at all.
REQUIRED = {
    "name": {"system-use", "confidentiality"},
    "phones": {"system-use", "compliance", "confidentiality"},
    "id_number": {"system-use", "compliance", "confidentiality", "law-basics"},
    "address": {"system-use", "compliance", "confidentiality"},
    "family": {"system-use", "compliance", "confidentiality"},
    "employer": {"system-use", "confidentiality"},
    "emergency_contacts": {"system-use", "compliance", "confidentiality"},
    "client": {"system-use"},
    "amount_owed": {"system-use"},
    "days_overdue": {"system-use"},
    "project_group": set(),
}

FIELD_RULES = access_policy(POLICIES).fields
CERTIFICATIONS = load_catalogue(POLICIES).certifications
PAIRS = [(f, c) for f, rule in FIELD_RULES.items() for c in rule.requires]


def test_r_acs_1_the_policy_requires_the_certifications_this_table_expects() -> None:
    assert {name: set(rule.requires) for name, rule in FIELD_RULES.items()} == REQUIRED
    named = {c for rule in FIELD_RULES.values() for c in rule.requires}
    assert named <= set(CERTIFICATIONS), "a field requires a certification nobody can earn"


@pytest.mark.parametrize(("field", "missing"), PAIRS, ids=[f"{f}-{c}" for f, c in PAIRS])
def test_r_acs_1_a_field_is_withheld_when_any_one_certification_it_requires_is_missing(
    field: str, missing: str
) -> None:
    table = build_table(parse_lines([("p", "collector", "*", field, "full")]))
    roles = frozenset({"collector"})

    def decide(holding: frozenset[str]) -> tuple[str | None, str | None]:
        viewer = Viewer("GV-TEST", roles, "pg-a1", "dept-a", holding)
        decision = decide_field(viewer, roles, "pg-a1", table, FIELD_RULES[field])
        return decision.level, decision.reason

    assert decide(frozenset(CERTIFICATIONS) - {missing}) == (None, f"training.{missing}.missing")
    assert decide(frozenset(CERTIFICATIONS)) == ("full", None)


def test_r_acs_1_each_certification_missing_alone_withholds_exactly_the_fields_needing_it(
    floor: Floor,
) -> None:
    """Through the API: the intern (a collector of the debtor's group, so every field is
    theirs by role) holds every certification but one, for each certification in turn."""
    for course in sorted({course for c in CERTIFICATIONS.values() for course in c.exams}):
        assert record(floor, course, 90) == 201
    status, body = floor.view("intern.a", "C-001")  # the agreement is not signed yet
    assert status == 200
    assert withheld(body) == expected("confidentiality")
    assert set(body["fields"]) == set(REQUIRED) - set(expected("confidentiality"))

    version = load_catalogue(POLICIES).agreement("confidentiality").current
    signed = floor.call(
        "POST",
        "/api/v1/agreements/confidentiality/signatures",
        "intern.a",
        json={"version": version},
    )
    assert signed[0] == 201
    assert withheld(floor.view("intern.a", "C-001")[1]) == {}

    for name, certification in CERTIFICATIONS.items():
        for course in certification.exams:
            assert record(floor, course, 40) == 201  # the latest result fails
            status, body = floor.view("intern.a", "C-001")
            assert status == 200
            assert withheld(body) == expected(name), course
            assert set(body["fields"]) == set(REQUIRED) - set(expected(name)), course
            assert record(floor, course, 95) == 201
    assert withheld(floor.view("intern.a", "C-001")[1]) == {}


def withheld(body: dict) -> dict[str, str]:
    return {w["field"]: w["reason"] for w in body["withheld"]}


def expected(missing: str) -> dict[str, str]:
    """The fields withheld, and why, when only `missing` does not hold."""
    return {f: f"training.{missing}.missing" for f, needs in REQUIRED.items() if missing in needs}


def record(floor: Floor, course: str, score: int) -> int:
    """The trainer records the intern's result a minute after the last thing that happened."""
    floor.clock.advance(minutes=1)
    status, _ = floor.call(
        "POST",
        f"/api/v1/exams/{course}/results",
        "trainer",
        json={"account_id": floor.ids["intern.a"], "score": score},
    )
    return status
