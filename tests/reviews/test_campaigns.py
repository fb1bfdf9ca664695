"""Access reviews through HTTP (issue 18, item 1): the general manager starts a campaign, each
head decides their department's accounts (the general manager the heads'), reminders before
the deadline and, at it, the undecided items follow the campaign's setting; progress and a
signed report of every decision."""

from __future__ import annotations

import csv
import io
import json
import threading
from datetime import datetime, timedelta
from typing import Any

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from sqlalchemy import update

from audit.entry import decode
from audit.offline import verify_proof
from audit.signing import load_private_key
from govern.accounts import repository as accounts
from govern.auditing.trail import public_half
from govern.clock import FixedClock
from govern.reviews import repository as repo
from govern.reviews import rules
from govern.reviews.models import ReviewItem
from govern.reviews.scheduler import run_reviews
from govern.reviews.service import _remind, close_due_campaigns, items_for, send_reminders
from tests.support.agency import audit_events, bearer
from tests.support.clock import NOW
from tests.support.floor import Floor
from tests.support.staff import BY_USERNAME, LiveDirectory

DEADLINE = NOW + timedelta(days=5)


def start(floor: Floor, who: str = "gm", **body: Any) -> tuple[int, Any]:
    sent = {"deadline": DEADLINE.isoformat(), "at_deadline": "suspend", **body}
    return floor.call("POST", "/api/v1/reviews/campaigns", who, json=sent)


def items(floor: Floor, who: str) -> dict[str, dict]:
    """The reviewer's items by the username whose account each is."""
    status, body = floor.call("GET", "/api/v1/reviews/items", who)
    assert status == 200, body
    by_account = {account: name for name, account in floor.ids.items()}
    return {by_account[item["account_id"]]: item for item in body["items"]}


def decide(floor: Floor, who: str, item: dict, decision: str, reason: str = "") -> tuple[int, Any]:
    path = f"/api/v1/reviews/items/{item['id']}/decision"
    return floor.call("POST", path, who, json={"decision": decision, "reason": reason})


def run(floor: Floor, job: Any) -> Any:
    s = floor.agency.services
    with s.sessions() as db:
        return job(db, s.context(), s.clock.now())


def test_each_head_reviews_their_department_and_the_gm_the_heads(floor: Floor) -> None:
    assert floor.view("col.a1", "C-001")[0] == 200
    assert floor.view("col.a1", "C-002")[0] == 200
    assert floor.view("col.a1", "C-001")[0] == 200  # the same debtor again: still two

    status, campaign = start(floor)
    assert status == 201, campaign
    assert campaign["departments"] is None and campaign["decided"] == 0

    theirs = items(floor, "head.a")
    assert set(theirs) == {"col.a1", "col.a2", "intern.a", "sup.a1"}  # not their own
    col = theirs["col.a1"]
    assert col["debtors_viewed"] == 2 and col["project_group"] == "pg-a1"
    assert col["roles"] == ["collector"] and col["last_used_at"] is not None
    assert any(c["holds"] for c in col["certifications"])
    assert theirs["col.a2"]["debtors_viewed"] == 0
    assert set(items(floor, "head.b")) == {"col.b1"}
    gms = set(items(floor, "gm"))  # the heads', and those of operations, which has no head
    assert {"head.a", "head.b", "padmin", "auditor", "hr", "it"} <= gms
    assert "gm" not in gms and "col.a1" not in gms

    events = audit_events(floor.agency.client, floor.agency.login("auditor"), "review.started")
    assert events[-1]["object"] == campaign["id"] and events[-1]["details"]["items"] == 12


def test_a_head_decides_only_their_departments_items_and_each_once(floor: Floor) -> None:
    start(floor)
    item = items(floor, "head.a")["col.a1"]

    status, body = decide(floor, "head.b", item, "certify")
    assert (status, body["error"]["code"]) == (403, "review.not_reviewer")
    status, body = decide(floor, "col.a1", item, "certify")
    assert (status, body["error"]["code"]) == (403, "role.action_denied")

    status, body = decide(floor, "head.a", item, "certify")
    assert status == 200 and body["decision"] == "certified" and body["decided_by"]
    status, body = decide(floor, "head.a", item, "revoke", "changed my mind")
    assert (status, body["error"]["code"]) == (409, "review.decided")
    assert floor.agency.account(floor.ids["col.a1"]).state == "active"

    campaign = floor.call("GET", "/api/v1/reviews/campaigns", "gm")[1]["campaigns"][0]
    dept_a = next(p for p in campaign["progress"] if p["department"] == "dept-a")
    assert (dept_a["decided"], dept_a["undecided"]) == (1, 4)  # head.a's too, for the GM


def test_revoke_and_suspend_need_a_reason_and_go_through_the_accounts(floor: Floor) -> None:
    start(floor)
    theirs = items(floor, "head.a")

    status, body = decide(floor, "head.a", theirs["col.a2"], "revoke", " ")
    assert (status, body["error"]["code"]) == (422, "justification.too_short")
    assert floor.agency.account(floor.ids["col.a2"]).state == "active"  # nothing changed
    assert items(floor, "head.a")["col.a2"]["decision"] is None

    assert decide(floor, "head.a", theirs["col.a2"], "revoke", "moved to another firm")[0] == 200
    assert floor.agency.account(floor.ids["col.a2"]).state == "revoked"
    token = floor.agency.login("intern.a")
    me = floor.agency.client.get("/api/v1/sessions/current", headers=bearer(token))
    assert me.status_code == 200
    assert decide(floor, "head.a", theirs["intern.a"], "suspend", "not working here now")[0] == 200
    me = floor.agency.client.get("/api/v1/sessions/current", headers=bearer(token))
    assert me.status_code == 401  # the suspended account's session has ended
    suspended = floor.agency.account(floor.ids["intern.a"])
    assert (suspended.state, suspended.suspension_kind) == ("suspended", "review")

    token = floor.agency.login("auditor")
    revoked = audit_events(floor.agency.client, token, "account.revoked")
    assert revoked[-1]["object"] == floor.ids["col.a2"]
    decided = audit_events(floor.agency.client, token, "review.decided")
    assert {e["details"]["decision"] for e in decided} == {"revoked", "suspended"}
    assert all("reason" not in e["details"] for e in decided)  # the reason's words stay out


def test_reminders_then_the_deadline_suspends_what_nobody_decided(
    floor: Floor, clock: FixedClock
) -> None:
    campaign = start(floor, departments=["dept-a", "dept-b"])[1]
    theirs, gms = items(floor, "head.a"), items(floor, "gm")
    assert decide(floor, "head.a", theirs["col.a1"], "certify")[0] == 200

    clock.set(DEADLINE - timedelta(days=4))
    assert run(floor, send_reminders) == 0
    clock.set(DEADLINE - timedelta(days=3))
    assert run(floor, send_reminders) == 4  # each head, and the GM for each head
    assert run(floor, send_reminders) == 0  # once each
    status, page = floor.call("GET", "/api/v1/reviews/items", "head.a")
    assert status == 200 and set(page) == {"items"}  # the API names no reminder
    assert sum(item["decision"] is None for item in page["items"]) == 3  # still theirs to do
    clock.set(DEADLINE - timedelta(hours=20))
    assert run(floor, send_reminders) == 4  # the one-day reminders

    clock.set(DEADLINE - timedelta(seconds=1))
    assert run(floor, close_due_campaigns) == []
    clock.set(DEADLINE)
    assert run(floor, close_due_campaigns) == [campaign["id"]]
    assert run(floor, close_due_campaigns) == []  # done once

    assert floor.agency.account(floor.ids["col.a1"]).state == "active"  # certified
    for name in ("col.a2", "intern.a", "sup.a1", "col.b1", "head.a", "head.b"):
        account = floor.agency.account(floor.ids[name])
        assert (account.state, account.suspension_kind) == ("suspended", "review"), name
    assert floor.agency.account(floor.ids["it"]).state == "active"  # not in the scope
    closed = floor.call("GET", f"/api/v1/reviews/campaigns/{campaign['id']}", "gm")[1]
    assert closed["closed_at"] is not None and closed["undecided"] == 0
    status, body = decide(floor, "gm", gms["head.b"], "certify")  # head.a is suspended now
    assert (status, body["error"]["code"]) == (409, "review.decided")
    assert items(floor, "gm") == {}  # a closed campaign's items are nobody's to decide
    lapsed = audit_events(floor.agency.client, floor.agency.login("auditor"), "review.lapsed")
    assert len(lapsed) == 6  # col.a2, intern.a, sup.a1, col.b1, and both heads (the GM's)


def test_a_reported_recurring_campaign_suspends_nobody_and_starts_the_next(
    floor: Floor, clock: FixedClock
) -> None:
    first = start(floor, departments=["dept-b"], at_deadline="report", every_months=3)[1]
    clock.set(DEADLINE + timedelta(hours=1))
    assert run(floor, close_due_campaigns) == [first["id"]]
    assert floor.agency.account(floor.ids["col.b1"]).state == "active"
    report = floor.call("GET", f"/api/v1/reviews/campaigns/{first['id']}/report", "gm")[1]
    lapsed = {(d["account"], d["decision"], d["decided_by"]) for d in report["report"]["decisions"]}
    assert lapsed == {
        (floor.ids["col.b1"], "lapsed", "review"),
        (floor.ids["head.b"], "lapsed", "review"),
    }

    listed = floor.call("GET", "/api/v1/reviews/campaigns", "padmin")[1]["campaigns"]
    follows = next(c for c in listed if c["follows"] == first["id"])
    assert follows["deadline"].startswith("2027-03-03") and follows["closed_at"] is None
    assert follows["undecided"] == 2 and follows["departments"] == ["dept-b"]
    assert decide(floor, "head.b", items(floor, "head.b")["col.b1"], "certify")[0] == 200


def test_a_report_verifies_offline_as_the_docs_say_and_its_bare_bytes_do_not(
    floor: Floor,
) -> None:
    """The report's signature covers the documents' prefix and its canonical JSON (as every
    document the audit key signs, the deletion certificate's too): the recipe of
    docs/governance.md checks it with the public key alone; the bare JSON, which a
    checkpoint's statement signature would cover, does not verify."""
    campaign = start(floor, departments=["dept-a"])[1]
    decide(floor, "head.a", items(floor, "head.a")["col.a1"], "certify")
    path = f"/api/v1/reviews/campaigns/{campaign['id']}/report"
    signed = floor.call("GET", path, "auditor")[1]
    key = load_pem_public_key(floor.agency.services.trail.public_key_pem())
    data = json.dumps(signed["report"], sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    value = bytes.fromhex(signed["signature"]["value"])
    key.verify(value, b"govern signed document v1\n" + data.encode())  # type: ignore[union-attr]
    with pytest.raises(InvalidSignature):
        key.verify(value, data.encode())  # type: ignore[union-attr]


def test_a_report_signed_before_documents_carried_their_context_is_told_apart(
    floor: Floor,
) -> None:
    """A report signed until 2 December 2026 (the audit key over its bare canonical JSON) is
    answered `signed_before_v1`, authentic but of the old form; changed, it is `changed`."""
    campaign = start(floor, departments=["dept-a"])[1]
    decide(floor, "head.a", items(floor, "head.a")["col.a1"], "certify")
    signed = floor.call("GET", f"/api/v1/reviews/campaigns/{campaign['id']}/report", "gm")[1]
    data = json.dumps(signed["report"], sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    key = load_private_key(floor.agency.services.settings.audit_key_file)
    old = {**signed["signature"], "value": key.sign(data.encode()).hex()}
    verify = "/api/v1/reviews/reports/verify"
    answer = floor.call("POST", verify, "auditor", json={**signed, "signature": old})[1]
    assert answer == {"valid": False, "why": "signed_before_v1"}
    signed["report"]["decisions"][0]["decision"] = "revoked"
    answer = floor.call("POST", verify, "auditor", json={**signed, "signature": old})[1]
    assert answer == {"valid": False, "why": "changed"}


def test_the_report_lists_every_decision_signed_and_a_change_breaks_the_signature(
    floor: Floor,
) -> None:
    campaign = start(floor, departments=["dept-a"])[1]
    theirs = items(floor, "head.a")
    decide(floor, "head.a", theirs["col.a1"], "certify")
    decide(floor, "head.a", theirs["col.a2"], "suspend", "on long leave")
    path = f"/api/v1/reviews/campaigns/{campaign['id']}/report"

    status, signed = floor.call("GET", path, "auditor")
    assert status == 200
    decisions = signed["report"]["decisions"]
    assert [(d["account"], d["decision"]) for d in decisions] == [
        (floor.ids["col.a1"], "certified"),
        (floor.ids["col.a2"], "suspended"),
    ]
    assert decisions[1]["reason"] == "on long leave"
    assert decisions[1]["decided_by"] == floor.ids["head.a"] and decisions[1]["seq"] > 0
    verify = "/api/v1/reviews/reports/verify"
    assert signed["report"]["type"] == "govern.review-report/1"
    assert decisions[1]["department"] == "dept-a" and decisions[1]["reason_intact"] is True
    assert decisions[1]["reason_digest"] and decisions[0]["reason_digest"] == ""
    assert floor.call("POST", verify, "gm", json=signed)[1] == {"valid": True}
    forged = {**signed, "signature": {**signed["signature"], "algorithm": "RSA-lol"}}
    assert floor.call("POST", verify, "gm", json=forged)[1] == {
        "valid": False,
        "why": "algorithm_unknown",
    }
    other = {**signed, "signature": {**signed["signature"], "key_id": "an-older-key"}}
    assert floor.call("POST", verify, "gm", json=other)[1] == {"valid": False, "why": "key_other"}
    signed["report"]["decisions"][1]["decision"] = "certified"
    assert floor.call("POST", verify, "gm", json=signed)[1] == {"valid": False, "why": "changed"}

    response = floor.agency.client.get(f"{path}.csv", headers=bearer(floor.agency.login("padmin")))
    assert response.status_code == 200 and response.mimetype == "text/csv"
    text, signature = (
        response.get_data(as_text=True),
        json.loads(response.headers["Govern-Signature"]),
    )
    assert text.splitlines()[0].startswith("seq,time,event,decided_by") and "on long leave" in text
    sent = {"csv": text, "signature": signature}
    assert floor.call("POST", verify, "gm", json=sent)[1] == {"valid": True}
    sent["csv"] = text.replace("suspended", "certified")
    assert floor.call("POST", verify, "gm", json=sent)[1] == {"valid": False, "why": "changed"}
    status, body = floor.call("POST", verify, "gm", json={"signature": signature})
    assert (status, body["error"]["code"]) == (400, "review.report_missing")

    status, body = floor.call("GET", path, "head.a")
    assert (status, body["error"]["code"]) == (403, "role.action_denied")
    reported = audit_events(floor.agency.client, floor.agency.login("auditor"), "review.reported")
    assert len(reported) == 2 and reported[0]["object"] == campaign["id"]


def test_bad_campaigns_are_refused_and_change_nothing(floor: Floor) -> None:
    past = (NOW - timedelta(minutes=1)).isoformat()
    assert start(floor, deadline=past)[1]["error"]["code"] == "review.deadline_past"
    assert start(floor, departments=["dept-z"])[1]["error"]["code"] == "review.department_unknown"
    assert start(floor, at_deadline="ignore")[0] == 422
    assert start(floor, every_months=13)[0] == 422
    assert start(floor, every_months=1.5)[0] == 422  # not taken as 1
    status, body = start(floor, "head.a")
    assert (status, body["error"]["code"]) == (403, "role.action_denied")
    assert floor.call("GET", "/api/v1/reviews/campaigns", "gm")[1] == {"campaigns": []}


def test_an_account_is_in_one_open_campaign_at_a_time(floor: Floor) -> None:
    assert start(floor, departments=["dept-a"])[0] == 201
    for departments in (["dept-a", "dept-b"], None):
        status, body = start(floor, "padmin", departments=departments)
        assert (status, body["error"]["code"]) == (409, "review.overlapping")
    assert start(floor, departments=["dept-b"])[0] == 201  # another department: its own
    campaigns = floor.call("GET", "/api/v1/reviews/campaigns", "gm")[1]["campaigns"]
    assert len(campaigns) == 2


def test_the_workers_job_closes_a_due_campaign_by_govern_clock(
    floor: Floor, clock: FixedClock
) -> None:
    campaign = start(floor, departments=["dept-b"])[1]
    run_reviews(floor.agency.app)
    assert (
        floor.call("GET", f"/api/v1/reviews/campaigns/{campaign['id']}", "gm")[1]["closed_at"]
        is None
    )
    clock.set(DEADLINE + timedelta(minutes=1))
    run_reviews(floor.agency.app)
    closed = floor.call("GET", f"/api/v1/reviews/campaigns/{campaign['id']}", "gm")[1]
    assert closed["closed_at"] is not None
    assert floor.agency.account(floor.ids["col.b1"]).state == "suspended"


def test_no_decision_is_taken_once_the_deadline_has_come_before_the_worker_runs(
    floor: Floor, clock: FixedClock
) -> None:
    start(floor, departments=["dept-a"])
    item = items(floor, "head.a")["col.a2"]
    clock.set(DEADLINE)  # the worker has not closed the campaign yet
    status, body = decide(floor, "head.a", item, "revoke", "too late to decide")
    assert (status, body["error"]["code"]) == (409, "review.closed")
    assert floor.agency.account(floor.ids["col.a2"]).state == "active"
    assert audit_events(floor.agency.client, floor.agency.login("auditor"), "review.decided") == []


def test_a_departing_heads_items_pass_to_the_gm_and_a_mover_to_their_new_head(
    floor: Floor, directory: LiveDirectory, clock: FixedClock
) -> None:
    start(floor, departments=["dept-a"])
    item = items(floor, "head.a")["col.a2"]
    directory.set("col.a1", "departmentNumber", "dept-b")  # moves mid-campaign
    floor.agency.sync()
    assert "col.a1" in items(floor, "head.b") and "col.a1" not in items(floor, "head.a")
    status, body = decide(floor, "head.a", items(floor, "head.b")["col.a1"], "certify")
    assert (status, body["error"]["code"]) == (403, "review.not_reviewer")

    gms = items(floor, "gm")
    assert decide(floor, "gm", gms["head.a"], "revoke", "left the agency today")[0] == 200
    assert {"col.a2", "intern.a", "sup.a1"} <= set(items(floor, "gm"))  # nobody heads dept-a
    assert decide(floor, "gm", item, "certify")[0] == 200
    assert decide(floor, "head.b", items(floor, "head.b")["col.a1"], "certify")[0] == 200

    clock.set(DEADLINE - timedelta(days=3))
    assert run(floor, send_reminders) == 1  # the GM, for dept-a (intern.a, sup.a1); none else
    waiting = floor.call("GET", "/api/v1/reviews/items", "gm")[1]["items"]
    assert sum(1 for i in waiting if i["decision"] is None) == 2


def test_a_recurring_campaign_is_cancelled_with_a_reason_and_no_successor_starts(
    floor: Floor, clock: FixedClock
) -> None:
    campaign = start(floor, at_deadline="suspend", every_months=3)[1]  # the whole agency
    path = f"/api/v1/reviews/campaigns/{campaign['id']}/cancel"
    status, body = floor.call("POST", path, "head.a", json={"reason": "not needed any more"})
    assert (status, body["error"]["code"]) == (403, "role.action_denied")
    status, body = floor.call("POST", path, "padmin", json={"reason": " "})
    assert (status, body["error"]["code"]) == (422, "justification.too_short")

    status, body = floor.call("POST", path, "padmin", json={"reason": "wrong scope, start again"})
    assert status == 200 and body["closed_at"] is not None
    assert (body["cancelled_by"], body["cancel_reason"]) == (
        floor.ids["padmin"],
        "wrong scope, start again",
    )
    status, body = floor.call("POST", path, "gm", json={"reason": "cancel it twice"})
    assert (status, body["error"]["code"]) == (409, "review.closed")
    assert items(floor, "head.a") == {}

    clock.set(DEADLINE + timedelta(hours=1))
    assert run(floor, close_due_campaigns) == []
    assert floor.agency.account(floor.ids["col.a1"]).state == "active"  # nobody suspended
    listed = floor.call("GET", "/api/v1/reviews/campaigns", "gm")[1]["campaigns"]
    assert [c["id"] for c in listed] == [campaign["id"]]  # the series ended
    assert (
        start(floor, departments=["dept-a"], deadline=(DEADLINE + timedelta(days=2)).isoformat())[0]
        == 201
    )
    cancelled = audit_events(floor.agency.client, floor.agency.login("auditor"), "review.cancelled")
    assert cancelled[-1]["object"] == campaign["id"] and cancelled[-1]["details"]["undecided"] == 12


def test_two_processes_reminding_at_once_send_each_reminder_once(
    floor: Floor, clock: FixedClock
) -> None:
    start(floor, departments=["dept-b"])
    clock.set(DEADLINE - timedelta(days=3))
    s = floor.agency.services
    outcome: list[Any] = []

    def second() -> None:
        with s.sessions() as db:
            try:
                outcome.append(send_reminders(db, s.context(), s.clock.now()))
            except Exception as error:
                outcome.append(error)

    with s.sessions() as db:  # the first process, midway: its reminders not yet committed
        campaign = repo.campaign(db, repo.open_campaigns(db)[0].id, locked=True)
        assert campaign is not None and _remind(db, s.context(), campaign, s.clock.now()) == 2
        other = threading.Thread(target=second)
        other.start()
        other.join(0.5)
        db.commit()
    other.join(30)
    assert outcome == [0]
    reminded = audit_events(floor.agency.client, floor.agency.login("auditor"), "review.reminded")
    assert len(reminded) == 2  # head.b for col.b1, the GM for head.b


def test_at_the_deadline_an_item_says_what_happened_to_a_revoked_or_suspended_account(
    floor: Floor, clock: FixedClock
) -> None:
    campaign = start(floor, departments=["dept-a"])[1]
    floor.agency.revoke(floor.ids["col.a2"])
    body = {"kind": "hr", "reason": "on unpaid leave"}
    path = f"/api/v1/accounts/{floor.ids['intern.a']}/suspension"
    assert floor.call("POST", path, "hr", json=body)[0] == 200

    clock.set(DEADLINE)
    assert run(floor, close_due_campaigns) == [campaign["id"]]
    intern = floor.agency.account(floor.ids["intern.a"])
    assert (intern.state, intern.suspension_kind) == ("suspended", "hr")  # HR's, kept
    report = floor.call("GET", f"/api/v1/reviews/campaigns/{campaign['id']}/report", "gm")[1]
    kept = {d["account"]: d["decision"] for d in report["report"]["decisions"]}
    assert kept[floor.ids["col.a2"]] == "revoked_meanwhile"
    assert kept[floor.ids["intern.a"]] == "already_suspended:hr"
    assert kept[floor.ids["col.a1"]] == "suspended_at_deadline"


def test_a_reason_a_spreadsheet_would_run_is_made_inert_in_the_csv(floor: Floor) -> None:
    campaign = start(floor, departments=["dept-a"])[1]
    theirs = items(floor, "head.a")
    formula = '=HYPERLINK("http://evil.example","click")'
    assert decide(floor, "head.a", theirs["col.a2"], "suspend", formula)[0] == 200
    assert decide(floor, "head.a", theirs["intern.a"], "suspend", "@SUM(1+1) ok")[0] == 200
    path = f"/api/v1/reviews/campaigns/{campaign['id']}/report"
    response = floor.agency.client.get(f"{path}.csv", headers=bearer(floor.agency.login("gm")))
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    reasons = {row[5]: row[-1] for row in rows[1:]}
    assert reasons[floor.ids["col.a2"]] == "'" + formula
    assert reasons[floor.ids["intern.a"]] == "'@SUM(1+1) ok"
    signature = json.loads(response.headers["Govern-Signature"])
    sent = {"csv": response.get_data(as_text=True), "signature": signature}
    assert floor.call("POST", "/api/v1/reviews/reports/verify", "gm", json=sent)[1] == {
        "valid": True
    }
    json_report = floor.call("GET", path, "gm")[1]["report"]  # the JSON keeps the words as typed
    assert {d["reason"] for d in json_report["decisions"]} == {formula, "@SUM(1+1) ok"}


def test_a_view_whose_every_field_was_withheld_is_not_a_debtor_viewed(floor: Floor) -> None:
    status, shown = floor.reveal("intern.a", "C-001", ["phones"])  # not yet certified
    assert status == 200 and shown["fields"] == {} and shown["withheld"], shown
    assert floor.view("col.a1", "C-001")[0] == 200
    start(floor, departments=["dept-a"])
    theirs = items(floor, "head.a")
    assert theirs["intern.a"]["debtors_viewed"] == 0
    assert theirs["col.a1"]["debtors_viewed"] == 1


def test_a_monthly_series_keeps_its_day_in_company_time(floor: Floor, clock: FixedClock) -> None:
    first = start(floor, departments=["dept-b"], at_deadline="report", every_months=1,
                  deadline="2027-01-31T00:30:00+08:00")[1]  # fmt: skip
    deadlines = []
    for step in range(2):
        listed = floor.call("GET", "/api/v1/reviews/campaigns", "gm")[1]["campaigns"]
        clock.set(datetime.fromisoformat(listed[0]["deadline"]))
        assert len(run(floor, close_due_campaigns)) == 1, step
        listed = floor.call("GET", "/api/v1/reviews/campaigns", "gm")[1]["campaigns"]
        deadlines.append(datetime.fromisoformat(listed[0]["deadline"]).astimezone(NOW.tzinfo))
    assert first["id"] != listed[0]["id"]
    assert [d.isoformat() for d in deadlines] == [
        "2027-02-28T00:30:00+08:00",  # not 1 March: counted on the company's calendar
        "2027-03-31T00:30:00+08:00",  # not 28 March: the series' own day
    ]


def test_a_series_drops_emptied_departments_and_ends_on_record_when_none_is_left(
    floor: Floor, clock: FixedClock
) -> None:
    first = start(floor, departments=["dept-a", "dept-b"], at_deadline="report", every_months=1)
    for name in ("col.b1", "head.b"):  # dept-b empties during the campaign
        floor.agency.revoke(floor.ids[name])
    clock.set(DEADLINE)
    assert run(floor, close_due_campaigns) == [first[1]["id"]]
    second = floor.call("GET", "/api/v1/reviews/campaigns", "gm")[1]["campaigns"][0]
    assert second["follows"] == first[1]["id"] and second["departments"] == ["dept-a"]

    for name in ("col.a1", "col.a2", "intern.a", "sup.a1", "head.a"):
        floor.agency.revoke(floor.ids[name])
    clock.set(datetime.fromisoformat(second["deadline"]))
    assert run(floor, close_due_campaigns) == [second["id"]]
    listed = floor.call("GET", "/api/v1/reviews/campaigns", "gm")[1]["campaigns"]
    assert [c["id"] for c in listed] == [second["id"], first[1]["id"]]  # no third
    ended = audit_events(floor.agency.client, floor.agency.login("auditor"), "review.series_ended")
    assert [e["object"] for e in ended] == [second["id"]]


def test_a_reason_edited_in_the_table_no_longer_matches_the_trails_digest(floor: Floor) -> None:
    campaign = start(floor, departments=["dept-a"])[1]
    item = items(floor, "head.a")["col.a2"]
    assert decide(floor, "head.a", item, "suspend", "on long leave")[0] == 200
    with floor.agency.services.sessions() as db:  # someone with the database's password
        db.execute(
            update(ReviewItem)
            .where(ReviewItem.id == item["id"])
            .values(reason="certified by the GM", department="dept-b")
        )
        db.commit()
    path = f"/api/v1/reviews/campaigns/{campaign['id']}/report"
    decision = floor.call("GET", path, "auditor")[1]["report"]["decisions"][0]
    assert decision["reason"] == "certified by the GM" and decision["reason_intact"] is False
    assert decision["department"] == "dept-a"  # from the trail, not the table


def test_each_decision_is_proven_in_the_newest_signed_checkpoint_or_listed_as_not(
    floor: Floor,
) -> None:
    campaign = start(floor, departments=["dept-a"])[1]
    theirs = items(floor, "head.a")
    assert decide(floor, "head.a", theirs["col.a1"], "certify")[0] == 200
    floor.agency.services.trail.checkpoint_now()
    assert decide(floor, "head.a", theirs["col.a2"], "suspend", "on long leave")[0] == 200
    path = f"/api/v1/reviews/campaigns/{campaign['id']}/report"
    report = floor.call("GET", path, "auditor")[1]["report"]
    anchored, late = report["decisions"]
    public = public_half(floor.agency.services.settings.audit_key_file)
    document = {**anchored["proof"], "checkpoint": report["checkpoint"]}
    assert verify_proof({**document, "public_key": report["public_key"]}, public) == []
    entry = decode(anchored["proof"]["entry"].encode())
    assert (entry["seq"], entry["action"]) == (anchored["seq"], "review.decided")
    assert anchored["proof"]["tree_size"] == report["checkpoint"]["tree_size"]
    assert late["proof"] is None and report["not_anchored"] == [late["seq"]]


def test_the_items_query_selects_what_the_reviewer_rules_decide_for_every_reviewer(
    floor: Floor, directory: LiveDirectory
) -> None:
    """The query of a reviewer's items (`rules.reviewing`) agrees with `rules.reviewer_of` and
    `rules.reviews` asked person by person: a head's department, a head gone (their people
    the general manager's), a mover, and those who review nothing."""
    start(floor)
    directory.set("col.a1", "departmentNumber", "dept-b")  # moves mid-campaign
    floor.agency.sync()
    assert decide(floor, "gm", items(floor, "gm")["head.a"], "revoke", "left the agency")[0] == 200
    s = floor.agency.services
    with s.sessions() as db:
        ctx, everyone = s.context(), repo.open_items(db)
        headed = accounts.departments_with_active_head(db, s.clock.now(), s.settings.departures)
        assert "dept-a" not in headed and "dept-b" in headed
        for name in ("head.a", "head.b", "gm", "col.a1", "auditor"):
            staff = accounts.staff_of(accounts.identity(db, BY_USERNAME[name].number))
            by_rule = [
                item.id
                for item, _, person, _ in everyone
                if rules.reviews(
                    staff,
                    rules.reviewer_of(accounts.staff_of(person), person.department in headed),
                    person.department,
                )
            ]
            assert [v.item.id for v in items_for(db, ctx, staff)] == by_rule, name
    assert set(items(floor, "head.b")) == {"col.a1", "col.b1"}
    assert {"col.a2", "intern.a", "sup.a1", "head.b"} <= set(items(floor, "gm"))
