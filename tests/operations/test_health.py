"""/healthz and /readyz with real parts: a healthy app is ready; the database unreachable, its
schema behind the code, slapd stopped or the audit committer stopped make it 503 naming the
check; the process stays live through all of it."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from flask import Flask
from flask.testing import FlaskClient

from govern.app import create_app
from govern.clock import FixedClock
from govern.config import Settings
from govern.db import make_engine
from govern.deprovision.scheduler import start_deprovisioning, stop_deprovisioning
from govern.migrate import MIGRATIONS, schema_head, upgrade
from tests.support.slapd import Slapd, start_slapd

CHECKS = {"database", "directory", "signing_key", "data_keys", "audit_committer", "scheduler"}


def readiness(client: FlaskClient) -> tuple[int, dict]:
    response = client.get("/readyz")
    return response.status_code, response.get_json()


def failing(body: dict) -> set[str]:
    return {name for name, check in body["checks"].items() if check["status"] == "fail"}


def assert_live(client: FlaskClient) -> None:
    response = client.get("/healthz")
    assert (response.status_code, response.get_json()) == (200, {"status": "pass"})


@pytest.fixture
def own_app(clock: FixedClock) -> Iterator[Callable[[Settings], Flask]]:
    """Apps of this test's own settings, shut down after it."""
    apps: list[Flask] = []

    def make(settings: Settings) -> Flask:
        apps.append(create_app(settings, clock=clock))
        return apps[-1]

    yield make
    for app in apps:
        stop_deprovisioning(app)
        app.extensions["govern"].trail.stop()
        app.extensions["govern"].engine.dispose()


def test_a_healthy_app_is_ready_and_names_each_check_with_its_state_and_time(
    client: FlaskClient,
) -> None:
    status, body = readiness(client)
    assert status == 200
    assert set(body["checks"]) == CHECKS
    for check in body["checks"].values():
        assert check["status"] in ("pass", "warn")
        assert check["state"]
        assert check["duration_ms"] >= 0
    assert body["checks"]["database"]["state"] == f"schema at revision {schema_head()}"
    # no process of this database runs the deprovisioning scheduler: known, and warned
    assert body["checks"]["scheduler"] == {**body["checks"]["scheduler"], "status": "warn"}
    assert body["status"] == "warn"
    assert_live(client)


def test_readiness_asks_no_sign_in_and_is_answered_with_a_request_id(client: FlaskClient) -> None:
    response = client.get("/readyz", headers={"X-Request-Id": "probe-1"})
    assert response.status_code == 200
    assert response.headers["X-Request-Id"] == "probe-1"
    assert response.headers["Cache-Control"] == "no-store"


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_an_unreachable_database_is_not_ready_and_named(
    settings: Settings, own_app: Callable[[Settings], Flask]
) -> None:
    url = f"postgresql://govern@127.0.0.1:{closed_port()}/govern"
    client = own_app(replace(settings, database_url=url)).test_client()
    status, body = readiness(client)
    assert status == 503
    assert body["status"] == "fail"
    assert failing(body) == {"database"}
    assert body["checks"]["database"]["state"] == "error: OperationalError"
    assert_live(client)


@pytest.mark.postgresql_only
def test_a_dropped_database_is_not_ready_and_named(
    settings: Settings,
    own_app: Callable[[Settings], Flask],
    empty_database: tuple[str, str],
    clock: FixedClock,
) -> None:
    service, owner = empty_database
    upgrade(owner, service)
    client = own_app(replace(settings, database_url=service)).test_client()
    assert readiness(client)[0] == 200
    admin = make_engine("postgresql://postgres@127.0.0.1:5432/postgres")
    name = service.rsplit("/", 1)[1]
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql(f"DROP DATABASE {name} WITH (FORCE)")
    admin.dispose()
    clock.advance(seconds=2)  # past the one second a report is kept
    status, body = readiness(client)
    assert (status, failing(body)) == (503, {"database"})
    assert_live(client)


def test_a_schema_behind_the_code_is_not_ready_until_upgraded(
    settings: Settings,
    own_app: Callable[[Settings], Flask],
    empty_database: tuple[str, str],
    clock: FixedClock,
) -> None:
    service, owner = empty_database
    behind = _migrate_to_before_head(owner)
    client = own_app(replace(settings, database_url=owner)).test_client()
    status, body = readiness(client)
    assert (status, failing(body)) == (503, {"database"})
    assert body["checks"]["database"]["state"] == (
        f"schema at revision {behind}, the code needs {schema_head()}"
    )
    assert_live(client)
    upgrade(owner, service)
    clock.advance(seconds=2)
    assert readiness(client)[0] == 200


def _migrate_to_before_head(owner_url: str) -> str:
    """Bring a new database to the revision before the code's head, as an older Govern left
    it; returns that revision."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    engine = make_engine(owner_url)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head-1")
    engine.dispose()
    return ScriptDirectory(str(MIGRATIONS)).get_revision(schema_head()).down_revision


@pytest.fixture
def own_slapd(tmp_path: Path) -> Iterator[Slapd]:
    """A slapd of this test's own, to stop."""
    server = start_slapd(tmp_path / "slapd")
    yield server
    server.stop()


def test_a_stopped_directory_is_not_ready_once_the_kept_report_is_a_second_old(
    settings: Settings, own_app: Callable[[Settings], Flask], own_slapd: Slapd, clock: FixedClock
) -> None:
    """No one can sign in: not ready, saying that the staff signed in are still served
    (tests/sessions/test_directory_outage.py)."""
    app = own_app(
        replace(settings, directory_url=own_slapd.url, ldap_bind_password=own_slapd.reader_password)
    )
    client = app.test_client()
    assert readiness(client)[1]["checks"]["directory"]["status"] == "pass"
    own_slapd.stop()
    assert readiness(client)[1]["checks"]["directory"]["status"] == "pass"  # a moment ago's
    clock.advance(seconds=2)
    status, body = readiness(client)
    assert (status, body["status"], failing(body)) == (503, "fail", {"directory"})
    assert body["checks"]["directory"] == {
        "status": "fail",
        "state": "no answer: sign-ins refused; signed-in staff still served",
        "duration_ms": body["checks"]["directory"]["duration_ms"],
    }
    assert_live(client)
    own_slapd.start()
    clock.advance(seconds=2)
    assert readiness(client)[1]["checks"]["directory"]["status"] == "pass"


def test_a_wrong_directory_password_is_not_ready(
    settings: Settings, own_app: Callable[[Settings], Flask]
) -> None:
    client = own_app(replace(settings, ldap_bind_password="not-the-password")).test_client()
    status, body = readiness(client)
    assert (status, failing(body)) == (503, {"directory"})


def test_a_stopped_audit_committer_is_not_ready(app: Flask, client: FlaskClient) -> None:
    trail = app.extensions["govern"].trail
    assert readiness(client)[1]["checks"]["audit_committer"]["state"] == (
        "starts with the first durable append"
    )
    trail.start()
    trail.stop()
    app.extensions["govern"].clock.advance(seconds=2)
    status, body = readiness(client)
    assert (status, failing(body)) == (503, {"audit_committer"})
    assert_live(client)


def test_the_scheduler_running_here_passes(
    app: Flask, client: FlaskClient, clock: FixedClock
) -> None:
    start_deprovisioning(app)
    try:
        check = readiness(client)[1]["checks"]["scheduler"]
        assert (check["status"], check["state"]) == ("pass", "runs in this process")
    finally:
        stop_deprovisioning(app)


@pytest.mark.postgresql_only
def test_the_scheduler_led_by_another_process_passes(
    app: Flask, another_app: Callable[[Settings], Flask]
) -> None:
    start_deprovisioning(app)
    try:
        other = another_app(app.extensions["govern"].settings).test_client()
        check = readiness(other)[1]["checks"]["scheduler"]
        assert (check["status"], check["state"]) == ("pass", "runs in another process")
    finally:
        stop_deprovisioning(app)
