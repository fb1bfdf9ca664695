"""`./scripts/demo` serves the demo, and a demo department head can sign in and issue."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import DATABASE
from tests.support.processes import free_port, wait_until_listening

REPO = Path(__file__).resolve().parents[1]


def call(url: str, body: dict | None = None, token: str | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode() if body else None, method="POST" if body else "GET"
    )
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def simulate_calls(base: str, key_file: Path) -> None:
    """The demo's telephone system reports calls over the demo's registered lines (R-NTE-2);
    the one over a line nobody registered is flagged for IT."""
    url, govern = base.removesuffix("/api/v1"), str(REPO / ".venv" / "bin" / "govern")
    simulator = subprocess.run(
        [govern, "demo", "calls", "--count", "4", "--url", url, "--key-file", str(key_file)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert simulator.returncode == 0, simulator.stderr
    assert simulator.stdout.count(": 201") == 4, simulator.stdout
    status, it = call(f"{base}/sessions", {"username": "it.zhang", "password": "govern-demo"})
    assert status == 201, it
    status, lines = call(f"{base}/lines", token=it["token"])
    assert (status, len(lines["lines"])) == (200, 2)
    status, flagged = call(f"{base}/calls?flagged=true", token=it["token"])
    assert (status, len(flagged["calls"])) == (200, 1)


@pytest.mark.skipif(DATABASE != "sqlite", reason="the demo runs on SQLite: checked in that pass")
def test_the_demo_serves_and_a_department_head_signs_in_and_issues(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "GOVERN_PORT": str(port), "GOVERN_INSTANCE_DIR": str(tmp_path)}
    process = subprocess.Popen(
        [str(REPO / "scripts" / "demo")],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        wait_until_listening(port, process, seconds=120)
        base = f"http://127.0.0.1:{port}/api/v1"
        status, session = call(
            f"{base}/sessions", {"username": "head1.zhou", "password": "govern-demo"}
        )
        assert status == 201, session
        assert session["roles"] == ["department_head"]
        status, account = call(f"{base}/accounts", {"employee_number": "20007"}, session["token"])
        assert (status, account["name"]) == (201, "林涛")
        assert (tmp_path / "govern.db").exists()
        assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0
        simulate_calls(base, tmp_path / "telephony_key")
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)
