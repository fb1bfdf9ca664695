"""The web and the worker as an operator runs them (docs/deploy.md): `scripts/serve`, real
gunicorn with the repository's gunicorn.conf.py and `govern worker`, on PostgreSQL. The web
process leaves the scheduler to the worker and says so; SIGTERM during a burst of debtor views
drains: every view answered 200 has exactly one audit event, and the worker, stopped after the
web, signs a last checkpoint that anchors them all."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import Engine, func, select

from audit.store import checkpoints, events
from govern.config import Settings
from govern.deprovision.scheduler import scheduler_state
from govern.operations.worker import start_served, stop
from tests.support.floor import Floor
from tests.support.processes import (
    GOVERN,
    REPO,
    View,
    environment,
    free_port,
    ready_with_scheduler_elsewhere,
    request,
    start,
    view_until_stopped,
    viewed_request_ids,
    wait_until_listening,
)
from tests.support.staff import BY_USERNAME

VIEWERS = 8


@pytest.mark.postgresql_only
def test_sigterm_during_a_burst_of_views_loses_no_audit_event(
    floor: Floor, settings: Settings, owner_engine: Engine, tmp_path: Path
) -> None:
    port, base = free_port(), ""
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        **environment(settings),
        "GOVERN_BACKGROUND_JOBS": "worker",
        "GOVERN_AUDIT_GATHER_MS": "50",  # the most: some views are under way at SIGTERM
        "GOVERN_LOG_FORMAT": "text",
    }
    log = tmp_path / "serve.log"
    served = start([str(REPO / "scripts" / "serve"), "--bind", f"127.0.0.1:{port}"], env, log)
    try:
        wait_until_listening(port, served, seconds=60)
        readiness = ready_with_scheduler_elsewhere(base)
        assert readiness["checks"]["audit_committer"]["status"] == "pass"
        status, session = request(
            f"{base}/api/v1/sessions",
            {"username": "col.a1", "password": BY_USERNAME["col.a1"].password},
        )
        assert status == 201, session
        url = f"{base}/api/v1/debtors/{floor.debtors['C-001']}"
        views: list[View] = []
        viewers = [
            threading.Thread(
                target=view_until_stopped, args=(url, session["token"], f"v{n}", views)
            )
            for n in range(VIEWERS)
        ]
        for viewer in viewers:
            viewer.start()
        while sum(view.status == 200 for view in views) < 40:
            time.sleep(0.05)
        stopped_at = time.monotonic()
        served.send_signal(signal.SIGTERM)  # as systemd or an operator's Ctrl-C would
        assert served.wait(timeout=90) == 0, log.read_text()
        for viewer in viewers:
            viewer.join(timeout=60)
    finally:
        if served.poll() is None:
            served.kill()
            served.wait()

    answered = [view.request_id for view in views if view.status == 200]
    assert any(view.started < stopped_at < view.ended for view in views if view.status == 200)
    assert {view.status for view in views} <= {200, None}
    assert sorted(viewed_request_ids(owner_engine)) == sorted(answered)
    with owner_engine.connect() as connection:
        size = connection.execute(select(func.count()).select_from(events)).scalar()
        anchored = connection.execute(select(func.max(checkpoints.c.tree_size))).scalar()
    assert anchored == size  # the worker's last checkpoint, at its SIGTERM
    assert "worker stopped" in log.read_text()
    assert "Shutting down: Master" in log.read_text()  # gunicorn's


def view_in(app: Flask, floor: Floor) -> None:
    """col.a1 views a debtor through `app`, its audit event made durable by `app`'s trail."""
    client = app.test_client()
    password = BY_USERNAME["col.a1"].password
    signed_in = client.post("/api/v1/sessions", json={"username": "col.a1", "password": password})
    token = signed_in.get_json()["token"]
    viewed = client.get(
        f"/api/v1/debtors/{floor.debtors['C-001']}", headers={"Authorization": f"Bearer {token}"}
    )
    assert viewed.status_code == 200


def checkpoint_count(engine: Engine) -> int:
    with engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(checkpoints)).scalar()


@pytest.mark.parametrize(("jobs", "signed"), [("worker", 0), ("web", 1)])
def test_a_served_process_leaves_checkpoints_to_the_worker_when_told(
    floor: Floor,
    settings: Settings,
    owner_engine: Engine,
    another_app: Callable[[Settings], Flask],
    jobs: str,
    signed: int,
) -> None:
    floor.agency.services.trail.stop()  # the floor's own app signs nothing meanwhile
    served = another_app(replace(settings, background_jobs=jobs, checkpoint_every=1))
    if jobs == "worker":
        start_served(served)  # with `web` it would start every job: the next test's
    before = checkpoint_count(owner_engine)
    view_in(served, floor)
    served.extensions["govern"].trail.stop()  # its committer has handled the view's events
    assert checkpoint_count(owner_engine) - before >= signed
    if not signed:
        assert checkpoint_count(owner_engine) == before
        assert "govern.deprovision" not in served.extensions


def test_jobs_in_the_web_process_start_there_and_stop_cleanly(floor: Floor) -> None:
    app = floor.agency.app
    start_served(app)
    try:
        assert scheduler_state(app) == "leading"
        view_in(app, floor)
    finally:
        stop(app)
    # The leader lock is freed (on PostgreSQL another process would now lead), and the last
    # checkpoint anchors every event, the view's included.
    assert scheduler_state(app) == "no leader"
    with floor.agency.services.engine.connect() as connection:
        size = connection.execute(select(func.count()).select_from(events)).scalar()
        anchored = connection.execute(select(func.max(checkpoints.c.tree_size))).scalar()
    assert anchored == size


def test_govern_worker_stops_on_sigterm_and_says_when_the_web_runs_the_jobs_too(
    settings: Settings, owner_engine: Engine, tmp_path: Path
) -> None:
    log = tmp_path / "worker.log"
    env = {**os.environ, **environment(settings), "GOVERN_LOG_FORMAT": "text"}
    env.pop("GOVERN_BACKGROUND_JOBS", None)  # the default: `web`
    worker = start([GOVERN, "worker"], env, log)
    try:
        deadline = time.monotonic() + 60
        while "worker started" not in log.read_text() and time.monotonic() < deadline:
            assert worker.poll() is None, log.read_text()
            time.sleep(0.2)
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=60) == 0, log.read_text()
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
    said = log.read_text()
    assert "GOVERN_BACKGROUND_JOBS is web: the served processes run these jobs too" in said
    assert said.index("worker started") < said.index("worker stopped")
