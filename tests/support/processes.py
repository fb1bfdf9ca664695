"""Govern in processes of its own (gunicorn, `govern worker`, a sweep), configured through the
environment as an operator would: a free port, the settings as variables, waiting to listen."""

from __future__ import annotations

import socket
import subprocess
import time

from govern.config import Settings


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
