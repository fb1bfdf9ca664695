"""Auditors' queries have a time limit (GOVERN_AUDIT_QUERY_SECONDS): a query stopped by it
answers 503 `audit.query_timeout`, never 500, and is audited like every auditor's query
(R-AUD-3)."""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import Connection, Engine, text

from audit import store
from audit.entry import Record
from govern.cli import cli
from tests.auditing.test_events import trail
from tests.investigations.test_investigations import ask
from tests.support.agency import Agency, bearer
from tests.support.clock import NOW

VIEWS = 20_000


@pytest.fixture
def ids(agency: Agency) -> dict[str, str]:
    return agency.with_accounts("col.a1", "auditor")


@pytest.fixture
def busy_trail(agency: Agency, ids: dict[str, str]) -> None:
    """A collector's VIEWS debtor views yesterday: enough for a query to take a while."""
    views = [
        Record(
            "debtor.viewed",
            ids["col.a1"],
            f"D-{n}",
            {"fields": {"phones": "full"}, "viewer_group": "pg-a1", "object_group": "pg-a1"},
        )
        for n in range(VIEWS)
    ]
    with agency.services.engine.begin() as connection:
        store.append(connection, views, NOW - timedelta(days=1))


def limit_queries(agency: Agency, seconds: float) -> None:
    services = agency.services
    settings = replace(services.settings, audit_query_seconds=seconds)
    agency.app.extensions["govern"] = replace(services, settings=settings)


def test_r_aud_3_a_query_past_the_time_limit_answers_503_and_is_audited(
    agency: Agency, ids: dict[str, str], busy_trail: None
) -> None:
    """A real query over many events, stopped by a tiny limit (the database's own timer on
    PostgreSQL, an interrupt on SQLite); the next query under the usual limit answers."""
    limit_queries(agency, 0.000_001)
    stopped = ask(agency, "unusual")
    assert (stopped.status_code, stopped.get_json()["error"]["code"]) == (
        503,
        "audit.query_timeout",
    )
    stopped_seen = ask(agency, "seen", account=ids["col.a1"])
    assert stopped_seen.status_code == 503
    queried = [e for e in trail(agency) if e["action"] == "audit.queried"]
    assert [(e["actor"], e["details"]) for e in queried] == [
        (ids["auditor"], {"query": "unusual", "timed_out": True, "filters": {}}),
        (
            ids["auditor"],
            {"query": "what_seen", "timed_out": True, "filters": {"account": ids["col.a1"]}},
        ),
    ]
    limit_queries(agency, 30)
    answered = ask(agency, "seen", account=ids["col.a1"])
    assert answered.status_code == 200 and len(answered.get_json()["debtors"]) == VIEWS


def test_r_aud_3_the_console_stops_a_query_past_the_time_limit_too(
    agency: Agency, ids: dict[str, str], busy_trail: None
) -> None:
    limit_queries(agency, 0.000_001)
    result = agency.app.test_cli_runner().invoke(cli, ["audit", "unusual"])
    assert result.exit_code == 1 and "[audit.query_timeout]" in result.output
    last = trail(agency)[-1]
    assert (last["action"], last["details"]["timed_out"]) == ("audit.queried", True)


LEAKED = [f"D-{n}" for n in range(VIEWS)]


def test_r_aud_3_an_investigation_is_saved_before_its_ranking_is_stopped_at_the_time_limit(
    agency: Agency, ids: dict[str, str], busy_trail: None
) -> None:
    """The ranking of a new investigation over a large trail is held to the time limit too:
    503 saying the investigation is saved, which a later GET ranks in full."""
    limit_queries(agency, 0.000_001)
    token = agency.login("auditor")
    stopped = agency.client.post(
        "/api/v1/audit/investigations",
        headers=bearer(token),
        json={"debtor_ids": LEAKED, "fields": ["phones"]},
    )
    assert (stopped.status_code, stopped.get_json()["error"]["code"]) == (
        503,
        "audit.query_timeout",
    )
    opened = saved_investigation(agency, ids["auditor"])
    assert f"Investigation {opened} is opened and saved" in stopped.get_json()["error"]["message"]
    limit_queries(agency, 30)
    again = agency.client.get(f"/api/v1/audit/investigations/{opened}", headers=bearer(token))
    assert again.status_code == 200
    ranking = again.get_json()["ranking"]
    assert [(r["account"], r["debtors"]) for r in ranking] == [(ids["col.a1"], VIEWS)]


def test_r_aud_3_the_console_saves_an_investigation_whose_ranking_is_stopped(
    agency: Agency, ids: dict[str, str], busy_trail: None
) -> None:
    limit_queries(agency, 0.000_001)
    result = agency.app.test_cli_runner().invoke(
        cli, ["audit", "investigate", "--debtors", "-"], input="\n".join(LEAKED)
    )
    assert result.exit_code == 1 and "[audit.query_timeout]" in result.output
    opened = saved_investigation(agency, None)
    assert f"Investigation {opened} is opened and saved" in result.output


def saved_investigation(agency: Agency, auditor: str | None) -> str:
    """The one investigation opened, its ranking audited as stopped by the time limit."""
    events = trail(agency)
    [opened] = [e for e in events if e["action"] == "audit.investigation_opened"]
    assert opened["details"]["debtors"] == VIEWS
    assert auditor is None or opened["actor"] == auditor
    last = events[-1]
    assert (last["action"], last["actor"], last["details"]) == (
        "audit.queried",
        opened["actor"],
        {"query": "leak_triage", "timed_out": True, "filters": {"investigation": opened["object"]}},
    )
    return opened["object"]


@pytest.mark.postgresql_only
def test_r_aud_3_a_query_behind_a_lock_is_stopped_at_the_time_limit(
    agency: Agency, ids: dict[str, str], owner_engine: Engine
) -> None:
    """Another connection holds the trail's table: the auditor's query waits for it only
    as long as the limit, not until the lock is let go."""
    limit_queries(agency, 0.3)
    token = agency.login("auditor")  # signing in is audited: before the table is held
    holding = threading.Event()

    def hold_the_table() -> None:
        with owner_engine.begin() as connection:
            connection.execute(text("LOCK TABLE audit_events IN ACCESS EXCLUSIVE MODE"))
            holding.set()
            # Let go once the stopped query's own audit event waits for the table too.
            wait_for_the_trail(connection)

    holder = threading.Thread(target=hold_the_table)
    holder.start()
    assert holding.wait(30)
    began = time.monotonic()
    try:
        stopped = agency.client.get(
            "/api/v1/audit/who-saw",
            query_string={"debtor": "D-1", "field": "phones"},
            headers=bearer(token),
        )
    finally:
        holder.join(30)
    assert (stopped.status_code, stopped.get_json()["error"]["code"]) == (
        503,
        "audit.query_timeout",
    )
    assert time.monotonic() - began < 20  # the wait is the limit's, plus the audit event's
    last = trail(agency)[-1]
    assert (last["action"], last["details"]["query"], last["details"]["timed_out"]) == (
        "audit.queried",
        "who_saw",
        True,
    )


@pytest.mark.postgresql_only
def test_r_aud_3_the_limit_holds_a_query_of_many_statements_as_a_whole(agency: Agency) -> None:
    """PostgreSQL times each statement alone: two statements each well within the limit but
    together past it are stopped at the second (a leak triage is many statements)."""
    from sqlalchemy.orm import Session

    from govern.investigations.limits import QueryTimedOut, time_limit

    with Session(agency.services.engine) as db:
        with time_limit(db, 2):
            db.execute(text("SELECT pg_sleep(0.1)"))
        with pytest.raises(QueryTimedOut), time_limit(db, 1.5):
            db.execute(text("SELECT pg_sleep(1)"))
            db.execute(text("SELECT pg_sleep(1)"))


def wait_for_the_trail(connection: Connection, seconds: float = 20) -> None:
    """Until a backend holding the trail's append lock (the committer, numbering the stopped
    query's event) waits for the table."""
    until = time.monotonic() + seconds
    committer_waiting = text(
        "SELECT count(*) FROM pg_locks waiting JOIN pg_locks appending USING (pid) "
        "WHERE NOT waiting.granted AND waiting.relation = 'audit_events'::regclass "
        "AND appending.locktype = 'advisory' AND appending.granted"
    )
    while time.monotonic() < until and not connection.execute(committer_waiting).scalar():
        time.sleep(0.05)


def test_the_time_limit_is_thirty_seconds_unless_set_and_never_zero() -> None:
    from govern.config import load_settings
    from tests.test_config import MINIMAL, refusal

    name = "GOVERN_AUDIT_QUERY_SECONDS"
    assert load_settings(MINIMAL).audit_query_seconds == 30
    assert load_settings(MINIMAL | {name: "2.5"}).audit_query_seconds == 2.5
    for wrong in ("0", "-1", "soon"):
        assert name in refusal(MINIMAL | {name: wrong})
