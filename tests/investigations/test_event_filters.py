"""Auditors' questions say what they match (R-AUD-3): the actor or the account acted upon;
reveals in full, or masked views too."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from govern.cli import cli
from tests.auditing.test_events import trail
from tests.investigations.test_investigations import ask, view
from tests.support.agency import Agency
from tests.support.clock import NOW


@pytest.fixture
def ids(agency: Agency) -> dict[str, str]:
    return agency.with_accounts("col.a1", "col.a2", "auditor")


def issued(agency: Agency, **params: str) -> list[tuple[str, str]]:
    """(actor, object) of the account.issued events the auditor's query finds."""
    around = {"from": "2026-01-01T00:00:00+00:00", "to": "2027-01-01T00:00:00+00:00"}
    response = ask(agency, "events", action="account.issued", **around, **params)
    assert response.status_code == 200, response.get_json()
    return [(e["actor"], e["object"]) for e in response.get_json()["events"]]


def test_r_aud_3_events_by_who_acted_and_by_whom_it_was_done_to(
    agency: Agency, ids: dict[str, str]
) -> None:
    head, collector = ids["head.a"], ids["col.a1"]
    assert issued(agency, actor=head) == [(head, collector), (head, ids["col.a2"])]
    assert issued(agency, subject=collector) == [(head, collector)]
    assert issued(agency, actor=collector) == []  # the collector issued nothing
    assert issued(agency, actor=head, subject=collector) == [(head, collector)]
    query = trail(agency)[-1]
    assert query["details"]["filters"] == {
        "action": "account.issued",
        "actor": head,
        "subject": collector,
    }


def test_r_aud_3_account_is_the_old_name_of_actor_and_matches_only_the_actor(
    agency: Agency, ids: dict[str, str]
) -> None:
    head, collector = ids["head.a"], ids["col.a1"]
    assert issued(agency, account=head) == issued(agency, actor=head)
    assert issued(agency, account=collector) == []  # not the events done to the collector
    before = len(trail(agency))
    both = ask(agency, "events", account=head, actor=collector)
    assert (both.status_code, both.get_json()["error"]["code"]) == (422, "request.invalid")
    assert "account" in both.get_json()["error"]["fields"]
    assert "audit.queried" not in [e["action"] for e in trail(agency)[before:]]


def shown(agency: Agency, **params: str) -> dict:
    response = ask(agency, "who-saw", debtor="D-1", field="phone", **params)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_r_aud_3_who_saw_says_whether_masked_views_count_and_offers_both(
    agency: Agency, ids: dict[str, str]
) -> None:
    """By default who-saw answers who was shown the phone in full; `level=any` adds those
    shown it masked, each view with its level."""
    a1, a2 = ids["col.a1"], ids["col.a2"]
    view(agency, a1, "D-1", NOW - timedelta(days=3), phone="full")
    view(agency, a2, "D-1", NOW - timedelta(days=2), phone="masked", name="full")
    view(agency, a2, "D-1", NOW - timedelta(days=1), name="full")  # the phone not shown
    default = shown(agency)
    assert default["level"] == "full"
    assert [(v["account"], v["level"]) for v in default["views"]] == [(a1, "full")]
    assert default["reveals"] == default["views"]
    every = shown(agency, level="any")
    assert [(v["account"], v["level"]) for v in every["views"]] == [(a1, "full"), (a2, "masked")]
    assert [v["account"] for v in every["reveals"]] == [a1]
    masked = shown(agency, level="masked")
    assert [(v["account"], v["level"]) for v in masked["views"]] == [(a2, "masked")]
    assert masked["reveals"] == []
    assert trail(agency)[-1]["details"] == {
        "query": "who_saw",
        "filters": {"debtor": "D-1", "field": "phone", "level": "masked"},
        "results": 1,
    }
    wrong = ask(agency, "who-saw", debtor="D-1", field="phone", level="some")
    assert wrong.status_code == 422 and "level" in wrong.get_json()["error"]["fields"]


def test_the_console_asks_by_subject_and_counts_masked_views_when_told(
    agency: Agency, ids: dict[str, str]
) -> None:
    view(agency, ids["col.a1"], "D-1", NOW - timedelta(days=1), phone="masked")
    runner = agency.app.test_cli_runner()
    until = ["--to", "2027-01-01T00:00:00+00:00"]  # past the clock's now, when they were issued
    found = runner.invoke(
        cli, ["audit", "query", "--subject", ids["col.a1"], "--action", "account.issued", *until]
    )
    assert [e["actor"] for e in json.loads(found.stdout)] == [ids["head.a"]]
    assert json.loads(runner.invoke(cli, ["audit", "who-saw", "D-1", "phone"]).stdout) == []
    every = runner.invoke(cli, ["audit", "who-saw", "D-1", "phone", "--level", "any"])
    assert [(v["account"], v["level"]) for v in json.loads(every.stdout)] == [
        (ids["col.a1"], "masked")
    ]
    clash = runner.invoke(
        cli, ["audit", "query", "--account", ids["col.a1"], "--actor", ids["col.a2"]]
    )
    assert clash.exit_code == 2 and "--actor alone" in clash.output
