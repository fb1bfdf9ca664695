"""Govern in processes of its own (gunicorn, `govern worker`, a sweep), configured through the
environment as an operator would: a free port, the settings as variables, waiting to listen;
`served` runs gunicorn for the length of a block."""

from __future__ import annotations

import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from govern.config import Settings

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_listening(port: int, process: subprocess.Popen, seconds: float) -> None:
    """Return once something listens on `port`; fail if `process` exits or time runs out."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"{process.args} exited with {process.returncode}")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise AssertionError(f"{process.args} did not listen in time")


def environment(settings: Settings) -> dict[str, str]:
    """The variables that configure a process as `settings` (the README's Configuration)."""
    return {
        "DATABASE_URL": settings.database_url,
        "GOVERN_DIRECTORY_URL": settings.directory_url,
        "GOVERN_LDAP_BIND_DN": settings.ldap_bind_dn or "",
        "GOVERN_LDAP_BIND_PASSWORD": settings.ldap_bind_password or "",
        "GOVERN_LDAP_PEOPLE_BASE": settings.ldap_people_base,
        "GOVERN_LDAP_GROUPS_BASE": settings.ldap_groups_base,
        "GOVERN_SECRET_KEY": settings.secret_key,
        "GOVERN_AUDIT_KEY_FILE": str(settings.audit_key_file),
        "GOVERN_CHECKPOINT_DIR": str(settings.checkpoint_dir),
        "GOVERN_DATA_KEYS_FILE": str(settings.data_keys_file),
    }


@dataclass(frozen=True)
class Served:
    """Gunicorn serving Govern on a loopback port (`served`)."""

    process: subprocess.Popen
    base: str  # http://127.0.0.1:PORT
    log: Path

    def booted_workers(self) -> int:
        """How many web workers gunicorn has started so far (a restarted one counts again)."""
        return self.log.read_text().count("Booting worker with pid")


@contextmanager
def served(env: dict[str, str], log: Path, *options: str) -> Iterator[Served]:
    """Gunicorn with the repository's gunicorn.conf.py on a free port, configured by `env`
    (`environment`), its output in `log`; stopped with SIGTERM (killed if it hangs) after."""
    port = free_port()
    command = [str(REPO / ".venv/bin/gunicorn"), "--config", "gunicorn.conf.py"]
    with log.open("wb") as out:
        process = subprocess.Popen(
            [*command, "--bind", f"127.0.0.1:{port}", *options],
            env=env,
            cwd=REPO,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_until_listening(port, process, seconds=60)
        yield Served(process, f"http://127.0.0.1:{port}", log)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
