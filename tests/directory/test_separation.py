"""Separation of duties through HTTP: the sync withholds the later role of a forbidden pair
until a policy admin accepts an exception, which lapses at its end date (real slapd, both
databases, a FixedClock)."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from govern.cli import cli
from govern.clock import FixedClock
from govern.deprovision.scheduler import watch
from govern.directory.models import SYNC_LOCK
from tests.support.agency import Agency, audit_events, bearer
from tests.support.floor import Floor
from tests.support.staff import BY_USERNAME, LiveDirectory, Person

AUDITOR, PADMIN = BY_USERNAME["auditor"].number, BY_USERNAME["padmin"].number
COLLECTOR = BY_USERNAME["col.a1"].number
REASON = "the only auditor this quarter also keeps the policy while 郑洁 is on leave"


@pytest.fixture
def tokens(agency: Agency) -> dict[str, str]:
    agency.with_accounts("auditor", "padmin", "col.a1", "hr")
    return {who: agency.login(who) for who in ("gm", "auditor", "padmin", "hr")}


def put_in_groups(agency: Agency, directory: LiveDirectory, who: str, *groups: str) -> None:
    """`who` put in each directory group, then the sync that reads it."""
    for group in groups:
        directory.add_to_group(group, who)
    agency.sync()


def roles(client: FlaskClient, token: str) -> list[str]:
    response = client.get("/api/v1/sessions/current", headers=bearer(token))
    assert response.status_code == 200, response.get_json()
    return response.get_json()["roles"]


def conflicts(client: FlaskClient, token: str) -> list[dict]:
    response = client.get("/api/v1/duties/conflicts", headers=bearer(token))
    assert response.status_code == 200, response.get_json()
    return response.get_json()["conflicts"]


def accept(client: FlaskClient, token: str, number: str, rule: str, ends_on: str, **body: str):
    payload = {"employee_number": number, "rule": rule, "reason": REASON, "ends_on": ends_on}
    return client.post("/api/v1/duties/exceptions", headers=bearer(token), json={**payload, **body})


def may_accept_exceptions(client: FlaskClient, token: str) -> bool:
    """Whether the role × action table lets the caller accept exceptions (policy admins only):
    an empty body passes the door to validation (422), or is refused at it (403)."""
    status = client.post("/api/v1/duties/exceptions", headers=bearer(token), json={}).status_code
    assert status in (403, 422)
    return status == 422


def test_a_sync_withholds_the_later_role_of_a_forbidden_pair_and_reports_it(
    agency: Agency, client: FlaskClient, directory: LiveDirectory, tokens: dict[str, str]
) -> None:
    put_in_groups(agency, directory, "auditor", "govern-policy-admins")

    assert roles(client, tokens["auditor"]) == ["auditor"]
    assert not may_accept_exceptions(client, tokens["auditor"])
    [found] = conflicts(client, tokens["padmin"])
    assert (found["employee_number"], found["rule"], found["state"], found["role"]) == (
        AUDITOR,
        "auditor_policy_admin",
        "withheld",
        "policy_admin",
    )
    assert found["held_roles"] == ["auditor"]
    assert found["needs_action"] is False
    assert conflicts(client, tokens["gm"]) == [found]
    events = audit_events(client, tokens["auditor"], "duties.conflict")
    assert [(e["object"], e["details"]["role"]) for e in events] == [(AUDITOR, "policy_admin")]
    agency.sync()  # withheld again, not reported again
    assert len(audit_events(client, tokens["auditor"], "duties.conflict")) == 1
    assert roles(client, tokens["auditor"]) == ["auditor"]


def test_an_accepted_exception_grants_the_role_at_once_until_its_end_date_then_it_lapses(
    agency: Agency,
    client: FlaskClient,
    directory: LiveDirectory,
    tokens: dict[str, str],
    clock: FixedClock,
) -> None:
    put_in_groups(agency, directory, "auditor", "govern-policy-admins")
    ends_on = (clock.now() + timedelta(days=7)).date().isoformat()

    response = accept(client, tokens["padmin"], AUDITOR, "auditor_policy_admin", ends_on)

    assert response.status_code == 201, response.get_json()
    accepted = response.get_json()
    assert (accepted["state"], accepted["role"], accepted["ends_on"]) == (
        "active",
        "policy_admin",
        ends_on,
    )
    assert roles(client, tokens["auditor"]) == ["auditor", "policy_admin"]
    assert may_accept_exceptions(client, tokens["auditor"])
    agency.sync()
    assert roles(client, tokens["auditor"]) == ["auditor", "policy_admin"]
    assert [c["state"] for c in conflicts(client, tokens["padmin"])] == ["excepted"]
    assert [
        e["object"] for e in audit_events(client, tokens["auditor"], "duties.exception.accepted")
    ] == [AUDITOR]

    clock.advance(days=8)
    token = agency.login("padmin")
    listed = client.get("/api/v1/duties/exceptions", headers=bearer(token)).get_json()
    assert [e["state"] for e in listed["exceptions"]] == ["lapsed"]
    agency.sync()
    assert roles(client, agency.login("auditor")) == ["auditor"]
    [found] = conflicts(client, token)
    assert (found["state"], found["role"]) == ("withheld", "policy_admin")
    lapsed = audit_events(client, agency.login("auditor"), "duties.exception.lapsed")
    assert [(e["object"], e["details"]["exception"]) for e in lapsed] == [(AUDITOR, accepted["id"])]


def test_an_exception_past_its_end_date_withholds_its_role_at_the_next_watch_without_a_sync(
    agency: Agency,
    client: FlaskClient,
    directory: LiveDirectory,
    tokens: dict[str, str],
    clock: FixedClock,
) -> None:
    put_in_groups(agency, directory, "auditor", "govern-policy-admins")
    today = clock.now().date().isoformat()
    accepted = accept(client, tokens["padmin"], AUDITOR, "auditor_policy_admin", today)
    assert accepted.status_code == 201, accepted.get_json()
    watch(agency.app)  # the scheduler's minute: still today, nothing lapses
    assert roles(client, tokens["auditor"]) == ["auditor", "policy_admin"]

    clock.advance(days=1)
    watch(agency.app)
    watch(agency.app)  # once is enough: the second changes nothing

    token = agency.login("auditor")
    assert roles(client, token) == ["auditor"]
    assert not may_accept_exceptions(client, token)
    [found] = conflicts(client, agency.login("padmin"))
    assert (found["state"], found["role"]) == ("withheld", "policy_admin")
    lapsed = audit_events(client, token, "duties.exception.lapsed")
    assert [
        (e["details"]["exception"], e["details"]["rule"], e["details"]["role"]) for e in lapsed
    ] == [(accepted.get_json()["id"], "auditor_policy_admin", "policy_admin")]
    listed = client.get("/api/v1/duties/exceptions", headers=bearer(token)).get_json()
    assert [e["state"] for e in listed["exceptions"]] == ["lapsed"]


def test_ending_an_exception_withholds_the_role_at_once(
    agency: Agency,
    client: FlaskClient,
    directory: LiveDirectory,
    tokens: dict[str, str],
    clock: FixedClock,
) -> None:
    put_in_groups(agency, directory, "auditor", "govern-policy-admins")
    ends_on = (clock.now() + timedelta(days=30)).date().isoformat()
    exception = accept(client, tokens["padmin"], AUDITOR, "auditor_policy_admin", ends_on)

    response = client.post(
        f"/api/v1/duties/exceptions/{exception.get_json()['id']}/end",
        headers=bearer(tokens["padmin"]),
        json={"reason": "the regular policy admin is back from leave today"},
    )

    assert response.status_code == 200, response.get_json()
    assert response.get_json()["state"] == "ended"
    assert response.get_json()["end_reason"] == "the regular policy admin is back from leave today"
    assert roles(client, tokens["auditor"]) == ["auditor"]
    again = client.post(
        f"/api/v1/duties/exceptions/{exception.get_json()['id']}/end",
        headers=bearer(tokens["padmin"]),
        json={"reason": "the regular policy admin is back from leave today"},
    )
    assert (again.status_code, again.get_json()["error"]["code"]) == (409, "sod.exception_over")
    agency.sync()
    assert roles(client, tokens["auditor"]) == ["auditor"]


def test_a_collector_put_in_the_auditors_group_stays_a_collector(
    agency: Agency, client: FlaskClient, directory: LiveDirectory, tokens: dict[str, str]
) -> None:
    put_in_groups(agency, directory, "col.a1", "govern-auditors")

    token = agency.login("col.a1")
    assert roles(client, token) == ["collector"]
    audit = client.get(
        "/api/v1/audit/events",
        headers=bearer(token),
        query_string={"from": "2025-01-01T00:00:00Z", "to": "2030-01-01T00:00:00Z"},
    )
    assert audit.status_code == 403
    [found] = conflicts(client, tokens["padmin"])
    assert (found["rule"], found["state"], found["role"]) == (
        "auditor_collector",
        "withheld",
        "auditor",
    )


def test_a_newcomer_in_both_groups_gets_the_first_role_the_rule_names(
    agency: Agency, client: FlaskClient, directory: LiveDirectory, tokens: dict[str, str]
) -> None:
    directory.add(Person("1090", "new.pa", "钱进", "operations"))
    put_in_groups(agency, directory, "new.pa", "govern-auditors", "govern-policy-admins")

    [found] = conflicts(client, tokens["gm"])
    assert (found["employee_number"], found["rule"], found["state"], found["role"]) == (
        "1090",
        "auditor_policy_admin",
        "withheld",
        "policy_admin",
    )
    assert found["held_roles"] == ["auditor"]


def test_a_role_added_to_a_policy_admin_later_is_the_one_withheld(
    agency: Agency, client: FlaskClient, directory: LiveDirectory, tokens: dict[str, str]
) -> None:
    put_in_groups(agency, directory, "padmin", "govern-auditors")

    assert roles(client, tokens["padmin"]) == ["policy_admin"]
    [found] = conflicts(client, tokens["gm"])
    assert (found["employee_number"], found["role"]) == (PADMIN, "auditor")


def test_a_policy_admin_accepts_no_exception_for_themselves(
    agency: Agency,
    client: FlaskClient,
    directory: LiveDirectory,
    tokens: dict[str, str],
    clock: FixedClock,
) -> None:
    put_in_groups(agency, directory, "padmin", "govern-auditors")
    ends_on = (clock.now() + timedelta(days=7)).date().isoformat()

    response = accept(client, tokens["padmin"], PADMIN, "auditor_policy_admin", ends_on)

    assert (response.status_code, response.get_json()["error"]["code"]) == (
        403,
        "sod.own_exception",
    )
    assert roles(client, tokens["padmin"]) == ["policy_admin"]


def test_an_exception_needs_a_current_conflict_a_reason_and_an_end_not_past(
    agency: Agency,
    client: FlaskClient,
    directory: LiveDirectory,
    tokens: dict[str, str],
    clock: FixedClock,
) -> None:
    put_in_groups(agency, directory, "auditor", "govern-policy-admins")
    yesterday = (clock.now() - timedelta(days=1)).date().isoformat()
    later = (clock.now() + timedelta(days=7)).date().isoformat()
    too_far = (clock.now() + timedelta(days=366)).date().isoformat()  # max_exception_days 365
    padmin = tokens["padmin"]

    refusals = [
        accept(client, padmin, AUDITOR, "auditor_collector", later),
        accept(client, padmin, AUDITOR, "auditor_policy_admin", later, reason="because"),
        accept(client, padmin, AUDITOR, "auditor_policy_admin", yesterday),
        accept(client, padmin, AUDITOR, "auditor_policy_admin", too_far),
        accept(client, padmin, AUDITOR, "auditor_policy_admin", later, reason=" " * 30),
    ]

    assert [(r.status_code, r.get_json()["error"]["code"]) for r in refusals] == [
        (404, "sod.conflict_unknown"),
        (422, "justification.too_short"),
        (400, "sod.end_not_future"),
        (400, "sod.end_too_far"),
        (422, "request.invalid"),
    ]
    listed = client.get("/api/v1/duties/exceptions", headers=bearer(padmin)).get_json()
    assert listed["exceptions"] == []
    assert roles(client, tokens["auditor"]) == ["auditor"]
    assert client.get("/api/v1/duties/conflicts", headers=bearer(tokens["hr"])).status_code == 403


def test_collector_duties_given_to_an_auditor_later_are_held_and_reported(
    agency: Agency, client: FlaskClient, directory: LiveDirectory, tokens: dict[str, str]
) -> None:
    directory.set("auditor", "governProjectGroup", "pg-a1")
    agency.sync()

    assert roles(client, tokens["auditor"]) == ["auditor"]
    [found] = conflicts(client, tokens["padmin"])
    assert (found["rule"], found["state"], found["role"]) == ("auditor_collector", "held", None)
    assert found["needs_action"] is True  # no sync ends it: an exception or a mended entry
    directory.set("auditor", "governProjectGroup", None)
    agency.sync()
    assert conflicts(client, tokens["padmin"]) == []
    resolved = audit_events(client, tokens["auditor"], "duties.conflict.resolved")
    assert [(e["object"], e["details"]["rule"]) for e in resolved] == [
        (AUDITOR, "auditor_collector")
    ]


def test_the_sync_command_names_whose_role_it_withholds(
    agency: Agency, directory: LiveDirectory
) -> None:
    directory.add_to_group("govern-policy-admins", "auditor")

    result = agency.app.test_cli_runner().invoke(cli, ["directory", "sync", "--dry-run"])

    assert result.exit_code == 0, result.output
    assert f"withheld {AUDITOR}: policy_admin (separation of duties)" in result.output


def test_a_second_exception_waits_for_the_first_to_lapse(
    agency: Agency,
    client: FlaskClient,
    directory: LiveDirectory,
    tokens: dict[str, str],
    clock: FixedClock,
) -> None:
    put_in_groups(agency, directory, "auditor", "govern-policy-admins")
    first = (clock.now() + timedelta(days=2)).date().isoformat()
    accept(client, tokens["padmin"], AUDITOR, "auditor_policy_admin", first)

    again = accept(client, tokens["padmin"], AUDITOR, "auditor_policy_admin", first)

    assert (again.status_code, again.get_json()["error"]["code"]) == (409, "sod.exception_active")
    clock.advance(days=3)  # lapsed; no sync since
    token = agency.login("padmin")
    later = (clock.now() + timedelta(days=30)).date().isoformat()
    renewed = accept(client, token, AUDITOR, "auditor_policy_admin", later)
    assert renewed.status_code == 201, renewed.get_json()
    agency.sync()
    assert roles(client, agency.login("auditor")) == ["auditor", "policy_admin"]
    listed = client.get("/api/v1/duties/exceptions", headers=bearer(token)).get_json()
    assert [e["state"] for e in listed["exceptions"]] == ["active", "lapsed"]


@pytest.mark.parametrize(
    ("who", "group_rule", "refusal"),
    [
        ("auditor", "auditor_collector", "audit.investigation_required"),
        ("padmin", "policy_admin_collector", "debtor.not_assigned"),
    ],
)
def test_a_supervisors_role_given_later_with_a_project_group_is_withheld_and_reads_no_debtor(
    floor: Floor, directory: LiveDirectory, who: str, group_rule: str, refusal: str
) -> None:
    """A supervisor reaches the debtors of their project group (policies/access/fields.toml
    [reach]): the role carries collector duties, and is the later duty here."""
    directory.add_to_group("govern-supervisors", who)
    directory.set(who, "governProjectGroup", "pg-a1")
    floor.agency.sync()

    client, token = floor.agency.client, floor.agency.login(who)
    assert "supervisor" not in roles(client, token)
    status, body = floor.view(who, "C-001")
    assert (status, body["error"]["code"]) == (403, refusal)
    status, body = floor.reveal(who, "C-001", ["phones"])
    assert status == 403
    [found] = conflicts(client, floor.agency.login("gm"))
    assert (found["rule"], found["state"], found["role"]) == (group_rule, "withheld", "supervisor")


def test_exceptions_to_two_of_three_conflicts_leave_the_third_rule_withholding_its_role(
    agency: Agency,
    client: FlaskClient,
    directory: LiveDirectory,
    tokens: dict[str, str],
    clock: FixedClock,
) -> None:
    put_in_groups(agency, directory, "col.a1", "govern-auditors", "govern-policy-admins")
    ends_on = (clock.now() + timedelta(days=30)).date().isoformat()

    for rule in ("policy_admin_collector", "auditor_collector"):
        response = accept(client, tokens["padmin"], COLLECTOR, rule, ends_on)
        assert response.status_code == 201, response.get_json()

    def states() -> dict[str, tuple[str, str]]:
        return {c["rule"]: (c["state"], c["role"]) for c in conflicts(client, tokens["padmin"])}

    expected = {
        "auditor_policy_admin": ("withheld", "policy_admin"),
        "auditor_collector": ("excepted", "auditor"),
        "policy_admin_collector": ("excepted", "policy_admin"),
    }
    assert roles(client, agency.login("col.a1")) == ["auditor"]
    assert states() == expected
    agency.sync()  # the sync decides as the acceptance did
    assert roles(client, agency.login("col.a1")) == ["auditor"]
    assert states() == expected


def test_an_exception_ends_with_its_conflict_and_the_pair_given_again_is_withheld_again(
    agency: Agency,
    client: FlaskClient,
    directory: LiveDirectory,
    tokens: dict[str, str],
    clock: FixedClock,
) -> None:
    put_in_groups(agency, directory, "auditor", "govern-policy-admins")
    ends_on = (clock.now() + timedelta(days=300)).date().isoformat()
    accepted = accept(client, tokens["padmin"], AUDITOR, "auditor_policy_admin", ends_on)
    directory.remove_from_group("govern-policy-admins", "auditor")
    agency.sync()

    assert conflicts(client, tokens["padmin"]) == []
    listed = client.get("/api/v1/duties/exceptions", headers=bearer(tokens["padmin"])).get_json()
    [closed] = listed["exceptions"]
    assert (closed["id"], closed["state"]) == (accepted.get_json()["id"], "ended")
    resolved = audit_events(client, tokens["auditor"], "duties.exception.resolved")
    assert [(e["details"]["exception"], e["details"]["rule"]) for e in resolved] == [
        (closed["id"], "auditor_policy_admin")
    ]
    clock.advance(days=100)
    put_in_groups(agency, directory, "auditor", "govern-policy-admins")
    assert roles(client, agency.login("auditor")) == ["auditor"]
    [found] = conflicts(client, agency.login("padmin"))
    assert (found["state"], found["role"]) == ("withheld", "policy_admin")


def test_ending_an_exception_there_is_not_is_404(
    client: FlaskClient, tokens: dict[str, str]
) -> None:
    for exception_id in (0, 7, 99_999_999_999):
        response = client.post(
            f"/api/v1/duties/exceptions/{exception_id}/end",
            headers=bearer(tokens["padmin"]),
            json={"reason": "the regular policy admin is back from leave today"},
        )
        assert (response.status_code, response.get_json()["error"]["code"]) == (
            404,
            "sod.exception_unknown",
        )


@pytest.mark.postgresql_only
def test_an_exception_accepted_while_a_sync_runs_waits_for_it_to_commit(
    agency: Agency,
    client: FlaskClient,
    directory: LiveDirectory,
    tokens: dict[str, str],
    clock: FixedClock,
) -> None:
    """A sync decides from the exceptions it read at its start: an acceptance made while it
    runs would be written over, so it waits for the sync's lock."""
    put_in_groups(agency, directory, "auditor", "govern-policy-admins")
    ends_on = (clock.now() + timedelta(days=7)).date().isoformat()
    answers: list[int] = []
    accepting = threading.Thread(
        target=lambda: answers.append(
            accept(client, tokens["padmin"], AUDITOR, "auditor_policy_admin", ends_on).status_code
        )
    )
    with agency.services.sessions() as sync_under_way:
        sync_under_way.execute(select(func.pg_advisory_xact_lock(SYNC_LOCK)))
        accepting.start()
        accepting.join(timeout=1.0)
        assert accepting.is_alive() and answers == []  # waiting for the sync
        sync_under_way.commit()
    accepting.join(timeout=10.0)
    assert answers == [201]
    assert roles(client, tokens["auditor"]) == ["auditor", "policy_admin"]
