"""`GET /metrics` (govern/operations/metrics.py): Prometheus' text, every metric named, each
moving after the real action it counts, and only for a client on this machine or with the
metrics token. Counters are the process's own, so each test reads a difference."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.parser import text_string_to_metric_families

from govern.config import Settings
from govern.deprovision.service import revoke_due
from govern.directory.periodic_sync import run_sync
from tests.support.agency import Agency, bearer
from tests.support.floor import Floor
from tests.support.staff import STAFF

TOKEN = "metrics-token-" + "x" * 32
NAMES = {
    "govern_http_requests",
    "govern_http_request_duration_seconds",
    "govern_access_decisions",
    "govern_access_fields_withheld",
    "govern_sign_ins",
    "govern_audit_events_appended",
    "govern_audit_commit_events",
    "govern_audit_commit_seconds",
    "govern_audit_durable_wait_seconds",
    "govern_audit_verifications",
    "govern_audit_last_verification_timestamp_seconds",
    "govern_audit_last_verification_intact",
    "govern_audit_checkpoint_age_seconds",
    "govern_audit_events_unsigned",
    "govern_directory_runs",
    "govern_duty_conflicts",
    "govern_scheduler_job_failures",
    "govern_departures_overdue",
    "govern_departure_revocations",
    "govern_departure_revocation_lag_seconds",
}

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(client: FlaskClient, **kwargs: object) -> tuple[set[str], Samples]:
    """The metric families' names and every sample, parsed as Prometheus would."""
    response = client.get("/metrics", **kwargs)  # type: ignore[arg-type]
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "text/plain"
    families = list(text_string_to_metric_families(response.get_data(as_text=True)))
    samples = {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in families
        for sample in family.samples
    }
    return {family.name for family in families}, samples


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def test_every_metric_is_named_in_prometheus_text(floor: Floor) -> None:
    floor.view("col.a1", "C-001")  # a request, a decision, a durable append and its commit
    floor.agency.services.trail.checkpoint_now()
    floor.agency.services.trail.verify()
    names, samples = scrape(floor.agency.client)
    assert NAMES - names == set()
    assert value(samples, "govern_audit_last_verification_intact") == 1
    # the checkpoint signed everything, at the (standing) clock's now
    assert value(samples, "govern_audit_events_unsigned") == 0
    assert value(samples, "govern_audit_checkpoint_age_seconds") == 0


def test_a_refused_and_a_good_sign_in_are_counted(agency: Agency) -> None:
    agency.with_accounts("col.a1")
    _, before = scrape(agency.client)
    refused = agency.client.post(
        "/api/v1/sessions", json={"username": "col.a1", "password": "not-the-password"}
    )
    assert refused.status_code == 401
    agency.login("col.a1")
    _, after = scrape(agency.client)
    for result in ("refused", "ok"):
        moved = value(after, "govern_sign_ins_total", result=result)
        assert moved == value(before, "govern_sign_ins_total", result=result) + 1, result
    assert value(after, "govern_sign_ins_total", result="limited") == value(
        before, "govern_sign_ins_total", result="limited"
    )


def test_a_view_is_counted_by_route_allowed_and_an_interns_fields_withheld_by_reason(
    floor: Floor,
) -> None:
    route = "/api/v1/debtors/<string:debtor_id>"
    _, before = scrape(floor.agency.client)
    assert floor.view("col.a1", "C-001")[0] == 200
    assert floor.view("intern.a", "C-001")[0] == 200
    assert floor.view("col.b1", "C-001")[0] == 403  # another project group's debtor
    _, after = scrape(floor.agency.client)

    def moved(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert moved("govern_http_requests_total", method="GET", route=route, status="200") == 2
    assert moved("govern_http_requests_total", method="GET", route=route, status="403") == 1
    assert moved("govern_http_request_duration_seconds_count", method="GET", route=route) == 3
    assert moved("govern_access_decisions_total", result="allowed", reason="project_group") >= 2
    assert moved("govern_access_decisions_total", result="denied", reason="debtor.not_assigned")
    withheld = moved("govern_access_fields_withheld_total", reason="training.system-use.missing")
    assert withheld >= 2  # the intern's name and phones at least
    assert not any(floor.debtors["C-001"] in name + str(labels) for name, labels in after)


def test_an_audit_append_its_commit_and_the_wait_are_counted(floor: Floor) -> None:
    _, before = scrape(floor.agency.client)
    assert floor.view("col.a1", "C-001")[0] == 200
    _, after = scrape(floor.agency.client)
    for name, labels in (
        ("govern_audit_events_appended_total", {"path": "durable"}),
        ("govern_audit_commit_events_count", {}),
        ("govern_audit_durable_wait_seconds_count", {}),
    ):
        assert value(after, name, **labels) > value(before, name, **labels), name


def test_a_departure_is_overdue_until_revoked_then_counted_with_its_lag(agency: Agency) -> None:
    agency.with_accounts("col.a1", "it")
    clock = agency.services.clock
    response = agency.client.put(
        "/api/v1/staff/1004/departure",
        json={"date": "2026-11-28"},
        headers=bearer(agency.login("it")),
    )
    assert response.status_code == 200  # due at 10:00 UTC (18:00 in Shanghai)
    _, before = scrape(agency.client)
    clock.set(clock.now().replace(hour=10, minute=1, second=30))  # 90 seconds late
    _, due = scrape(agency.client)
    assert value(due, "govern_departures_overdue") == value(before, "govern_departures_overdue") + 1
    s = agency.services
    with s.sessions() as db:
        assert len(revoke_due(db, s.context()).revoked) == 1
    _, after = scrape(agency.client)
    assert value(after, "govern_departures_overdue") == value(before, "govern_departures_overdue")

    def moved(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert moved("govern_departure_revocations_total") == 1
    lag = "govern_departure_revocation_lag_seconds"
    assert (moved(f"{lag}_bucket", le="60.0"), moved(f"{lag}_bucket", le="120.0")) == (0, 1)
    assert moved(f"{lag}_sum") == 90


def test_a_sync_and_a_verification_are_counted(agency: Agency) -> None:
    _, before = scrape(agency.client)
    agency.sync()
    agency.services.trail.verify()
    _, after = scrape(agency.client)
    synced = value(after, "govern_directory_runs_total", kind="sync", outcome="applied")
    assert (
        synced == value(before, "govern_directory_runs_total", kind="sync", outcome="applied") + 1
    )
    intact = value(after, "govern_audit_verifications_total", result="intact")
    assert intact == value(before, "govern_audit_verifications_total", result="intact") + 1
    assert value(after, "govern_audit_last_verification_timestamp_seconds") == (
        agency.services.clock.now().timestamp()
    )


def test_metrics_refused_from_another_machine_without_a_token(client: FlaskClient) -> None:
    response = client.get("/metrics", environ_base={"REMOTE_ADDR": "192.0.2.7"})
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "metrics.local_only"
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "::1"}).status_code == 200


def test_with_a_token_metrics_need_it_from_anywhere(
    another_app: Callable[[Settings], Flask], settings: Settings
) -> None:
    app = another_app(replace(settings, metrics_token=TOKEN))
    client = app.test_client()
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}):
        refused = client.get("/metrics", headers=headers)
        assert refused.status_code == 401
        assert refused.get_json()["error"]["code"] == "metrics.token_required"
    names, _ = scrape(
        client,
        headers={"Authorization": f"Bearer {TOKEN}"},
        environ_base={"REMOTE_ADDR": "192.0.2.7"},
    )
    assert "govern_http_requests" in names
    assert client.get("/metrics", headers={"Authorization": f"bearer {TOKEN}"}).status_code == 200


def test_a_method_a_client_invents_is_counted_as_other_not_by_its_name(floor: Floor) -> None:
    client = floor.agency.client
    for invented in ("MZZQ1", "MZZQ2", "MZZQ3"):
        client.open("/api/v1/debtors", method=invented)
    _, samples = scrape(client)
    text = client.get("/metrics").get_data(as_text=True)
    assert "MZZQ" not in text
    other = [labels for (name, labels) in samples if name == "govern_http_requests_total"]
    assert any(("method", "OTHER") in labels for labels in other)


def test_no_label_carries_a_name_or_an_account(floor: Floor) -> None:
    floor.view("col.a1", "C-001")
    text = floor.agency.client.get("/metrics").get_data(as_text=True)
    people = {person.name for person in STAFF} | {p.username for p in STAFF if "." in p.username}
    assert [who for who in sorted(people) if who in text] == []
    assert [account for account in floor.ids.values() if account in text] == []


COUNTING_PROCESS = """
from flask import Flask
from govern import signals
from govern.operations import metrics
metrics.register_metrics(Flask("worker"))
signals.signed_in.send("ok")
signals.audit_verified.send(intact={intact}, at={at})
"""


def test_under_gunicorn_each_worker_counts_into_the_folder_and_any_answers_for_all(
    tmp_path: Path,
) -> None:
    """Two processes sharing PROMETHEUS_MULTIPROC_DIR, as two gunicorn workers do: their
    counts add up, and the last verification is the newest one's."""
    folder = tmp_path / "metrics"
    folder.mkdir()
    for intact, at in ((True, 1000), (False, 2000)):
        subprocess.run(
            [sys.executable, "-c", COUNTING_PROCESS.format(intact=intact, at=at)],
            env={**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(folder)},
            check=True,
        )
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=str(folder))
    text = generate_latest(registry).decode()
    samples = {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }
    assert value(samples, "govern_sign_ins_total", result="ok") == 2
    assert value(samples, "govern_audit_last_verification_timestamp_seconds") == 2000
    assert value(samples, "govern_audit_last_verification_intact") == 0


def test_a_periodic_sync_that_fails_is_counted_as_a_failed_job_and_a_failed_sync(
    another_app: Callable[[Settings], Flask], settings: Settings
) -> None:
    app = another_app(replace(settings, ldap_bind_password="not-the-password"))
    client = app.test_client()
    _, before = scrape(client)
    run_sync(app)  # the directory refuses Govern's bind: logged, counted, left to the next run
    _, after = scrape(client)
    failed = value(after, "govern_scheduler_job_failures_total", job="directory-sync")
    assert failed == value(before, "govern_scheduler_job_failures_total", job="directory-sync") + 1
    labels = {"kind": "sync", "outcome": "failed"}
    assert value(after, "govern_directory_runs_total", **labels) == (
        value(before, "govern_directory_runs_total", **labels) + 1
    )
