"""The policy at runtime: stored through casbin's adapter table, changed by policy admins
only, audited, and applied by every instance at its next request (R-ACS-2, R-ACS-4)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import casbin
from flask import Flask
from sqlalchemy_adapter import Adapter

from govern.access.models import PolicyLine
from govern.access.policy import default_lines
from govern.config import Settings
from tests.support.agency import Agency
from tests.support.floor import Floor

POLICIES = Path(__file__).resolve().parents[2] / "policies"
EMPLOYER_FULL = ["p", "collector", "*", "employer", "full"]
EMPLOYER_MASKED_IN_A1 = ["p", "collector", "pg-a1", "employer", "masked"]


def change(floor: Floor, who: str, **body: list) -> tuple[int, dict]:
    return floor.call("POST", "/api/v1/access/policy", who, json=body)


def test_r_acs_2_the_default_policy_is_stored_and_reads_back_through_casbins_adapter(
    floor: Floor,
) -> None:
    status, body = floor.call("GET", "/api/v1/access/policy", "padmin")
    assert (status, body["version"]) == (200, 1)
    assert [tuple(line) for line in body["lines"]] == default_lines(POLICIES)
    enforcer = casbin.Enforcer(
        str(POLICIES / "access" / "model.conf"),
        Adapter(floor.agency.services.engine, db_class=PolicyLine, create_table=False),
    )
    assert enforcer.enforce("supervisor", "pg-a1", "phones", "on_purpose")
    assert not enforcer.enforce("collector", "pg-a1", "phones", "full")
    stored = [["p", *p] for p in enforcer.get_policy()] + [
        ["g", *g] for g in enforcer.get_grouping_policy()
    ]
    assert sorted(map(tuple, stored)) == sorted(default_lines(POLICIES))


def test_r_acs_2_a_policy_change_reaches_every_instance_at_its_next_request(
    floor: Floor, another_app: Callable[[Settings], Flask]
) -> None:
    second = another_app(floor.agency.services.settings)
    elsewhere = Floor(Agency(second, second.test_client()), floor.clock, floor.ids, floor.debtors)
    assert elsewhere.view("col.a1", "C-001")[1]["fields"]["employer"] == "杭州某某科技有限公司"

    status, body = change(floor, "padmin", add=[EMPLOYER_MASKED_IN_A1], remove=[EMPLOYER_FULL])
    assert (status, body["version"]) == (200, 2)
    assert EMPLOYER_FULL not in body["lines"] and EMPLOYER_MASKED_IN_A1 in body["lines"]
    assert elsewhere.view("col.a1", "C-001")[1]["fields"]["employer"] == "杭州****"
    status, body = elsewhere.view("col.b1", "C-004")  # other groups: no line left for employer
    assert {w["field"]: w["reason"] for w in body["withheld"]}["employer"] == "role.field.none"
    event = floor.events("policy.changed")[0]
    assert (event["actor"], event["object"]) == (floor.ids["padmin"], "policy:v2")
    assert event["details"] == {"added": [EMPLOYER_MASKED_IN_A1], "removed": [EMPLOYER_FULL]}


def test_r_acs_2_removing_a_line_that_is_not_there_changes_nothing(floor: Floor) -> None:
    floor.call("GET", "/api/v1/access/policy", "padmin")
    absent = ["p", "collector", "pg-a1", "phones", "full"]
    status, body = change(floor, "padmin", add=[EMPLOYER_MASKED_IN_A1], remove=[absent])
    assert (status, body["error"]["code"]) == (409, "policy.line_missing")
    status, body = floor.call("GET", "/api/v1/access/policy", "padmin")
    assert body["version"] == 1 and EMPLOYER_MASKED_IN_A1 not in body["lines"]


def test_r_acs_2_only_policy_admins_change_the_policy_and_bad_lines_are_refused(
    floor: Floor,
) -> None:
    status, body = change(floor, "auditor", add=[EMPLOYER_MASKED_IN_A1])
    assert (status, body["error"]["code"]) == (403, "role.action_denied")
    status, body = change(floor, "padmin", add=[["p", "collector", "*", "salary", "full"]])
    assert (status, body["error"]["code"]) == (400, "policy.field_unknown")
    status, body = change(floor, "padmin", add=[["p", "collector", "*", "phones", "everything"]])
    assert (status, body["error"]["code"]) == (400, "policy.line_invalid")
    status, body = change(floor, "padmin")
    assert (status, body["error"]["code"]) == (422, "request.invalid")


def test_r_acs_4_explain_shows_the_whole_decision_path(floor: Floor) -> None:
    query = {"account": floor.ids["intern.a"], "debtor": floor.debtors["C-001"], "field": "phones"}
    status, body = floor.call("GET", "/api/v1/access/explain", "padmin", query_string=query)
    assert status == 200
    assert (body["allowed"], body["reason"]) == (False, "training.system-use.missing")
    steps = {step["step"]: step for step in body["path"]}
    assert steps["account"]["roles"] == ["collector"]
    assert steps["reach"]["outcome"] == "project_group"
    assert steps["policy"]["level"] == "on_purpose"
    assert ["p", "collector", "*", "phones", "on_purpose"] in steps["policy"]["lines"]
    assert "system-use" in steps["training"]["requires"]

    query["account"] = floor.ids["col.b1"]
    status, body = floor.call("GET", "/api/v1/access/explain", "auditor", query_string=query)
    assert (body["allowed"], body["reason"]) == (False, "debtor.not_assigned")
    status, body = floor.call("GET", "/api/v1/access/explain", "col.a1", query_string=query)
    assert (status, body["error"]["code"]) == (403, "role.action_denied")
    query["field"] = "salary"
    status, body = floor.call("GET", "/api/v1/access/explain", "padmin", query_string=query)
    assert (status, body["error"]["code"]) == (400, "field.unknown")


def test_r_acs_2_policy_lines_must_name_known_roles_plainly_and_never_inherit_auditors(
    floor: Floor,
) -> None:
    for line, code in (
        (["p", "collector,auditor", "*", "phones", "full"], "policy.line_invalid"),
        (["p", "intruder", "*", "phones", "full"], "policy.role_unknown"),
        (["g", "collector", "auditor", "*"], "policy.inherits_auditor"),
    ):
        status, body = change(floor, "padmin", add=[line])
        assert (status, body["error"]["code"]) == (400, code), line
    assert floor.call("GET", "/api/v1/access/policy", "padmin")[1]["version"] == 1


def test_r_acs_2_a_person_with_two_roles_sees_each_debtor_through_the_role_that_reaches_it(
    floor: Floor, directory: object
) -> None:
    """An auditor who is also a supervisor: their group's debtors as a supervisor, never
    with the auditor's full view outside an investigation."""
    directory.add_to_group("govern-auditors", "sup.a1")  # type: ignore[attr-defined]
    floor.agency.sync()
    status, body = floor.view("sup.a1", "C-001")
    assert (status, body["levels"]["phones"], body["reach"]) == (200, "masked", "project_group")
