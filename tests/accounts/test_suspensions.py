"""A suspension records its kind, and the kind says who may lift it (policies/suspensions.toml):
a department head lifts only an inactivity suspension, never IT's security one."""

from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, text, update

from govern.accounts.models import Account
from govern.accounts.rules import SuspensionKind, check_lift, check_replace
from govern.accounts.suspensions import check_suspension_kinds, suspension_kinds
from govern.actor import Staff
from govern.config import REPO_POLICIES
from govern.deprovision.service import suspend_inactive
from govern.errors import ConfigError, Forbidden
from govern.policies import check_role_names
from tests.support.agency import Agency, audit_events, bearer

STAFF = ("col.a1", "it", "hr", "auditor")


def post(agency: Agency, who: str, path: str, body: dict[str, str]) -> tuple[int, dict]:
    response = agency.client.post(path, json=body, headers=bearer(agency.login(who)))
    return response.status_code, response.get_json()


def suspend(agency: Agency, who: str, account_id: str, kind: str) -> tuple[int, dict]:
    body = {"kind": kind, "reason": "suspected data leak"}
    return post(agency, who, f"/api/v1/accounts/{account_id}/suspension", body)


def lift(agency: Agency, who: str, account_id: str) -> tuple[int, dict]:
    body = {"reason": "cleared"}
    return post(agency, who, f"/api/v1/accounts/{account_id}/reactivation", body)


def signs_in(agency: Agency, username: str) -> bool:
    password = f"{username}-secret"
    response = agency.client.post(
        "/api/v1/sessions", json={"username": username, "password": password}
    )
    return response.status_code == 201


def test_a_head_cannot_lift_its_staffs_security_suspension_and_it_can(agency: Agency) -> None:
    """The suspension and the head's refused lift are both in the trail (R-AUD-1)."""
    ids = agency.with_accounts(*STAFF)
    status, shown = suspend(agency, "it", ids["col.a1"], "security")
    assert (status, shown["state"]) == (200, "suspended")
    assert shown["suspension"] == {
        "kind": "security",
        "title": "a security concern, e.g. a suspected data leak",
        "lifted_by": ["it"],
    }
    status, refused = lift(agency, "head.a", ids["col.a1"])
    assert (status, refused["error"]["code"]) == (403, "suspension.lift_denied")
    assert "security" in refused["error"]["message"] and "it" in refused["error"]["message"]
    assert agency.account(ids["col.a1"]).state == "suspended"
    assert not signs_in(agency, "col.a1")
    auditor = agency.login("auditor")
    denied = audit_events(agency.client, auditor, "access.denied")
    assert [(e["actor"], e["object"], e["details"]["code"]) for e in denied] == [
        (ids["head.a"], ids["col.a1"], "suspension.lift_denied")
    ]
    suspended = audit_events(agency.client, auditor, "account.suspended")
    assert [(e["actor"], e["object"], e["details"]["kind"]) for e in suspended] == [
        (ids["it"], ids["col.a1"], "security")
    ]

    status, shown = lift(agency, "it", ids["col.a1"])
    assert (status, shown["state"], shown["suspension"]) == (200, "active", None)
    assert [h["suspension_kind"] for h in shown["history"]] == [None, "security", None]
    assert signs_in(agency, "col.a1")


def test_the_sweeps_inactivity_suspension_is_lifted_by_the_head(agency: Agency) -> None:
    ids = agency.with_accounts(*STAFF)
    agency.services.clock.advance(days=91)
    for who in ("gm", "head.a", "head.b", "it", "hr", "auditor"):
        agency.login(who)
    s = agency.services
    with s.sessions() as db:
        assert suspend_inactive(db, s.context()) == [ids["col.a1"]]
    shown = agency.client.get(
        f"/api/v1/accounts/{ids['col.a1']}", headers=bearer(agency.login("head.a"))
    ).get_json()
    assert shown["suspension"]["kind"] == "inactivity"
    assert shown["suspension"]["lifted_by"] == ["department_head", "general_manager", "it"]
    assert shown["history"][-1]["actor"] == "deprovision"
    status, lifted = lift(agency, "head.a", ids["col.a1"])
    assert (status, lifted["state"]) == (200, "active")
    assert signs_in(agency, "col.a1")


def test_only_hr_imposes_and_lifts_an_hr_suspension(agency: Agency) -> None:
    ids = agency.with_accounts(*STAFF)
    status, refused = suspend(agency, "it", ids["col.a1"], "hr")
    assert (status, refused["error"]["code"]) == (403, "suspension.impose_denied")
    status, refused = suspend(agency, "head.a", ids["col.a1"], "inactivity")
    assert (status, refused["error"]["code"]) == (403, "role.action_denied")
    assert agency.account(ids["col.a1"]).state == "active"
    assert suspend(agency, "hr", ids["col.a1"], "hr")[0] == 200
    for who in ("head.a", "it", "gm"):
        status, refused = lift(agency, who, ids["col.a1"])
        assert (status, refused["error"]["code"]) == (403, "suspension.lift_denied"), who
    assert lift(agency, "hr", ids["col.a1"])[1]["state"] == "active"


def test_an_unknown_kind_is_refused_and_changes_nothing(agency: Agency) -> None:
    ids = agency.with_accounts(*STAFF)
    status, refused = suspend(agency, "it", ids["col.a1"], "holiday")
    assert (status, refused["error"]["code"]) == (400, "suspension.kind_unknown")
    assert agency.account(ids["col.a1"]).state == "active"


def test_an_inactivity_suspension_made_a_security_one_is_no_longer_the_heads(
    agency: Agency,
) -> None:
    ids = agency.with_accounts(*STAFF)
    assert suspend(agency, "it", ids["col.a1"], "inactivity")[0] == 200
    status, shown = suspend(agency, "it", ids["col.a1"], "security")
    assert (status, shown["suspension"]["kind"]) == (200, "security")
    assert suspend(agency, "it", ids["col.a1"], "security")[1]["history"] == shown["history"]
    assert lift(agency, "head.a", ids["col.a1"])[0] == 403
    assert agency.account(ids["col.a1"]).suspension_kind == "security"


def test_hr_cannot_turn_its_security_suspension_into_one_it_lifts(agency: Agency) -> None:
    ids = agency.with_accounts(*STAFF)
    assert suspend(agency, "it", ids["col.a1"], "security")[0] == 200
    status, refused = suspend(agency, "hr", ids["col.a1"], "hr")
    assert (status, refused["error"]["code"]) == (403, "suspension.lift_denied")
    assert agency.account(ids["col.a1"]).suspension_kind == "security"


def inactive(agency: Agency, ids: dict[str, str]) -> None:
    """col.a1's account suspended by the daily sweep for being unused (kind inactivity)."""
    agency.services.clock.advance(days=91)
    for who in ("gm", "head.a", "head.b", "it", "hr", "auditor"):
        agency.login(who)
    s = agency.services
    with s.sessions() as db:
        assert suspend_inactive(db, s.context()) == [ids["col.a1"]]


def test_hr_escalates_an_inactivity_suspension_and_the_head_can_no_longer_lift_it(
    agency: Agency,
) -> None:
    """HR may not lift an inactivity suspension, yet may replace it (`replaceable`): the account
    stays suspended throughout, and from then on only HR lifts it."""
    ids = agency.with_accounts(*STAFF)
    inactive(agency, ids)
    status, shown = suspend(agency, "hr", ids["col.a1"], "hr")
    assert (status, shown["state"], shown["suspension"]["kind"]) == (200, "suspended", "hr")
    assert [h["suspension_kind"] for h in shown["history"]] == [None, "inactivity", "hr"]
    status, refused = lift(agency, "head.a", ids["col.a1"])
    assert (status, refused["error"]["code"]) == (403, "suspension.lift_denied")
    assert agency.account(ids["col.a1"]).state == "suspended"
    assert not signs_in(agency, "col.a1")


def test_it_escalates_an_inactivity_suspension_to_security(agency: Agency) -> None:
    ids = agency.with_accounts(*STAFF)
    inactive(agency, ids)
    status, shown = suspend(agency, "it", ids["col.a1"], "security")
    assert (status, shown["suspension"]["lifted_by"]) == (200, ["it"])
    assert lift(agency, "head.a", ids["col.a1"])[0] == 403
    assert not signs_in(agency, "col.a1")


@pytest.mark.parametrize(("who", "code"), [("it", "suspension.lift_denied"), ("head.a", None)])
def test_a_grave_suspension_is_not_relabelled_into_inactivity(
    agency: Agency, who: str, code: str | None
) -> None:
    """IT imposes inactivity but may not lift HR's suspension, so may not relabel it; a head
    imposes no suspension at all. Either way the account keeps its kind and stays suspended."""
    ids = agency.with_accounts(*STAFF)
    assert suspend(agency, "hr", ids["col.a1"], "hr")[0] == 200
    status, refused = suspend(agency, who, ids["col.a1"], "inactivity")
    assert status == 403
    assert refused["error"]["code"] == (code or "role.action_denied")
    account = agency.account(ids["col.a1"])
    assert (account.state, account.suspension_kind) == ("suspended", "hr")


@pytest.mark.parametrize("path", ["suspension", "reactivation"])
def test_a_reason_of_one_character_padded_with_spaces_is_refused(agency: Agency, path: str) -> None:
    """The reason is trimmed before its length (3) is judged; the refusal changes nothing."""
    ids = agency.with_accounts(*STAFF)
    if path == "reactivation":
        assert suspend(agency, "it", ids["col.a1"], "security")[0] == 200
    before = agency.account(ids["col.a1"])
    body = {"reason": "   x   "} | ({"kind": "security"} if path == "suspension" else {})
    status, refused = post(agency, "it", f"/api/v1/accounts/{ids['col.a1']}/{path}", body)
    assert (status, refused["error"]["code"]) == (422, "justification.too_short")
    after = agency.account(ids["col.a1"])
    assert (after.state, after.suspension_kind) == (before.state, before.suspension_kind)
    history = agency.client.get(
        f"/api/v1/accounts/{ids['col.a1']}", headers=bearer(agency.login("it"))
    ).get_json()["history"]
    assert len(history) == (2 if path == "reactivation" else 1)
    status, shown = post(
        agency, "it", f"/api/v1/accounts/{ids['col.a1']}/{path}", body | {"reason": "  leak  "}
    )
    assert (status, shown["history"][-1]["reason"]) == (200, "leak")


def test_nobody_suspends_themselves(agency: Agency) -> None:
    ids = agency.with_accounts(*STAFF)
    status, refused = suspend(agency, "it", ids["it"], "security")
    assert (status, refused["error"]["code"]) == (403, "self.approval")


# ---- the rule and the table, without a database --------------------------------------------------

INACTIVITY = SuspensionKind(
    "inactivity", "unused", frozenset({"it"}), frozenset({"department_head", "general_manager"})
)
SECURITY = SuspensionKind("security", "leak", frozenset({"it"}), frozenset({"it"}))
OWNER = Staff("1004", "dept-a", frozenset())


@pytest.mark.parametrize(
    ("kind", "actor", "code"),
    [
        (
            SECURITY,
            Staff("1002", "dept-a", frozenset({"department_head"})),
            "suspension.lift_denied",
        ),
        (SECURITY, Staff("1001", "ops", frozenset({"general_manager"})), "suspension.lift_denied"),
        (
            INACTIVITY,
            Staff("1003", "dept-b", frozenset({"department_head"})),
            "issuer.not_department_head",
        ),
        (INACTIVITY, Staff("1004", "dept-a", frozenset({"department_head"})), "self.approval"),
        (INACTIVITY, Staff("1008", "ops", frozenset({"it"})), "suspension.lift_denied"),
    ],
)
def test_who_may_not_lift(kind: SuspensionKind, actor: Staff, code: str) -> None:
    with pytest.raises(Forbidden) as refused:
        check_lift(kind, actor, OWNER, department_has_head=True)
    assert refused.value.code == code


def test_who_may_lift() -> None:
    check_lift(INACTIVITY, Staff("1002", "dept-a", frozenset({"department_head"})), OWNER, True)
    check_lift(SECURITY, Staff("1008", "ops", frozenset({"it"})), OWNER, True)


def test_a_head_who_may_impose_inactivity_still_cannot_relabel_security_into_it() -> None:
    """Even with a table that let heads impose inactivity, a security suspension is not
    replaceable, so relabelling it needs IT's right to lift it."""
    head = Staff("1002", "dept-a", frozenset({"department_head"}))
    heads_may_impose = SuspensionKind(
        "inactivity", "unused", frozenset({"department_head"}), frozenset({"department_head"}), True
    )
    with pytest.raises(Forbidden) as refused:
        check_replace(SECURITY, heads_may_impose, head, OWNER, department_has_head=True)
    assert refused.value.code == "suspension.lift_denied"
    with pytest.raises(Forbidden) as refused:
        check_replace(heads_may_impose, SECURITY, head, OWNER, department_has_head=True)
    assert refused.value.code == "suspension.impose_denied"


def test_replacing_a_replaceable_kind_needs_only_the_right_to_impose_the_new_one() -> None:
    replaceable = SuspensionKind("inactivity", "unused", frozenset(), frozenset({"it"}), True)
    hr_kind = SuspensionKind("hr", "hr matter", frozenset({"hr"}), frozenset({"hr"}))
    hr = Staff("1009", "people", frozenset({"hr"}))
    check_replace(replaceable, hr_kind, hr, OWNER, department_has_head=True)
    with pytest.raises(Forbidden) as refused:
        check_replace(hr_kind, replaceable, Staff("1008", "ops", frozenset({"it"})), OWNER, True)
    assert refused.value.code == "suspension.impose_denied"


def test_the_shipped_table_holds_a_head_to_inactivity() -> None:
    kinds = suspension_kinds(REPO_POLICIES)
    lifters = {name: kind.lifted_by for name, kind in kinds.kinds.items()}
    headed = [name for name, roles in lifters.items() if "department_head" in roles]
    assert headed == ["inactivity", "review"]  # review: docs/governance.md#access-reviews
    assert kinds.of(None).name == "security"  # a suspension of unknown kind is IT's to lift
    assert [name for name, kind in kinds.kinds.items() if kind.replaceable] == ["inactivity"]


@pytest.mark.parametrize(
    ("change", "says"),
    [
        (('lift = ["it"]', 'lift = ["it", "janitor"]'), "janitor"),
        (("[kinds.inactivity]", "[kinds.idle]"), "inactivity is missing"),
        (('lift = ["hr"]', "lift = []"), "nobody may lift"),
        (("replaceable = true", 'replaceable = "yes"'), "replaceable must be true or false"),
        (('lift = ["it"]', 'lift = ["it"]\nreplaceable = true'), "security may not be"),
    ],
)
def test_a_mistake_in_the_table_stops_the_service(
    tmp_path: Path, change: tuple[str, str], says: str
) -> None:
    policies = tmp_path / "policies"
    shutil.copytree(REPO_POLICIES, policies)
    table = policies / "suspensions.toml"
    table.write_text(table.read_text().replace(*change, 1))
    with pytest.raises(ConfigError) as refused:
        check_suspension_kinds(policies)
        check_role_names(policies)
    assert says in refused.value.message


@pytest.mark.postgresql_only
def test_a_lift_decides_on_the_suspension_as_it_stands_once_the_account_is_locked(
    agency: Agency,
) -> None:
    """IT turning an inactivity suspension into a security one while a head lifts it: the head
    is judged on the security suspension, never lifts it (an outside run raced the two)."""
    ids = agency.with_accounts(*STAFF)
    assert suspend(agency, "it", ids["col.a1"], "inactivity")[0] == 200
    token = agency.login("head.a")
    answers: list[tuple[int, dict]] = []

    def head_lifts() -> None:
        response = agency.app.test_client().post(
            f"/api/v1/accounts/{ids['col.a1']}/reactivation",
            json={"reason": "back at work"},
            headers=bearer(token),
        )
        answers.append((response.status_code, response.get_json()))

    engine = agency.services.engine
    with engine.connect() as it_desk:  # IT's change, holding the account's row meanwhile
        it_desk.execute(select(Account).where(Account.id == ids["col.a1"]).with_for_update()).one()
        lifting = threading.Thread(target=head_lifts)
        lifting.start()
        assert waits_for_a_lock(engine), "the head's lift should wait for the account's row"
        it_desk.execute(
            update(Account).where(Account.id == ids["col.a1"]).values(suspension_kind="security")
        )
        it_desk.commit()
        lifting.join(timeout=30)
    assert [(status, body["error"]["code"]) for status, body in answers] == [
        (403, "suspension.lift_denied")
    ]
    assert agency.account(ids["col.a1"]).state == "suspended"
    assert not signs_in(agency, "col.a1")


def waits_for_a_lock(engine: Engine, seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    with engine.connect() as watcher:
        while time.monotonic() < deadline:
            waiting = watcher.execute(
                text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'")
            ).scalar()
            watcher.rollback()
            if waiting:
                return True
            time.sleep(0.05)
    return False
