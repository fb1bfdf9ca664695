"""Govern in processes of its own (gunicorn, `govern worker`, a sweep), configured through the
environment as an operator would: a free port, the settings as variables, waiting to listen;
what a test asks of them over real HTTP (the API, a console page, a burst of views);
`served` runs gunicorn for the length of a block."""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import socket
import subprocess
import threading
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine, select

from audit.store import events
from govern.config import Settings

REPO = Path(__file__).resolve().parents[2]
GOVERN = str(REPO / ".venv" / "bin" / "govern")
GUNICORN = str(REPO / ".venv" / "bin" / "gunicorn")
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


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


# ---- starting and stopping them ------------------------------------------------------------


def start(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    """`command` from the repository's folder, its output (both streams) into `log`."""
    with log.open("ab") as out:
        return subprocess.Popen(command, env=env, cwd=REPO, stdout=out, stderr=subprocess.STDOUT)


@dataclass
class Instance:
    """One gunicorn of Govern (the repository's gunicorn.conf.py) on a port of its own."""

    process: subprocess.Popen
    port: int
    log: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def listening(self) -> Instance:
        """Itself, once it listens (its workers may still be loading the app)."""
        wait_until_listening(self.port, self.process, seconds=90)
        return self

    def workers(self) -> list[int]:
        """The process ids of its workers (the gunicorn master's children)."""
        return children(self.process.pid)

    def booted_workers(self) -> int:
        """How many web workers gunicorn has started so far (a restarted one counts again)."""
        return self.log.read_text().count("Booting worker with pid")


def serve(
    env: dict[str, str], log: Path, *, workers: int = 2, app: str = "govern.wsgi:app"
) -> Instance:
    """Start a gunicorn of `workers` processes serving `app` (`Instance.listening` waits)."""
    port = free_port()
    command = [GUNICORN, "--config", "gunicorn.conf.py", "--bind", f"127.0.0.1:{port}"]
    return Instance(start([*command, "--workers", str(workers), app], env, log), port, log)


@contextmanager
def served(env: dict[str, str], log: Path, workers: int = 2) -> Iterator[Instance]:
    """`serve` for the length of a block, once it listens; stopped as systemd stops it after."""
    instance = serve(env, log, workers=workers)
    try:
        yield instance.listening()
    finally:
        stop(instance.process)


def work(env: dict[str, str], log: Path, command: list[str] | None = None) -> subprocess.Popen:
    """Start `govern worker` (or `command`, another way to run it); returns once it says it
    started its jobs."""
    return started(start(command or [GOVERN, "worker"], env, log), log)


def started(worker: subprocess.Popen, log: Path, seconds: float = 90) -> subprocess.Popen:
    """`worker`, once its log says it started its jobs; fail if it exits first."""
    deadline = time.monotonic() + seconds
    while "worker started" not in log.read_text():
        assert worker.poll() is None and time.monotonic() < deadline, log.read_text()
        time.sleep(0.1)
    return worker


def stop(*processes: subprocess.Popen, seconds: float = 60) -> list[int | None]:
    """SIGTERM to each, as systemd stops a unit, then wait for all; SIGKILL any that has not
    stopped in `seconds`. Returns their exit statuses (None: it had to be killed)."""
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    statuses: list[int | None] = []
    for process in processes:
        try:
            statuses.append(process.wait(timeout=seconds))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            statuses.append(None)
    return statuses


def children(pid: int) -> list[int]:
    """The processes whose parent is `pid` (read from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:  # gone meanwhile
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:  # ppid, after the command's name
                found.append(int(entry.name))
    return sorted(found)


def ready_with_scheduler_elsewhere(base: str, seconds: float = 60.0) -> dict:
    """The web process's readiness once it is ready and the worker leads the scheduler."""
    deadline, body = time.monotonic() + seconds, {}
    while time.monotonic() < deadline:
        status, body = request(f"{base}/readyz")
        if status == 200 and body["checks"]["scheduler"]["state"] == "runs in another process":
            return body
        time.sleep(0.5)
    raise AssertionError(f"not ready with the worker leading: {body}")


# ---- asking them over HTTP -----------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def json(self) -> dict:
        return json.loads(self.body)

    def cookies(self) -> dict[str, str]:
        """The cookies it sets, by name."""
        lines = self.headers.get_all("Set-Cookie") or []
        return dict(line.split(";", 1)[0].split("=", 1) for line in lines)


def call(
    url: str,
    method: str = "GET",
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> Answer:
    """One HTTP request on a connection of its own, redirects not followed. Raises OSError
    (ConnectionError and the like) when the server does not answer."""
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    try:
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return Answer(response.status, response.headers, response.read())
    except http.client.HTTPException as error:  # the answer was cut: the server went away
        raise ConnectionError(type(error).__name__) from error
    finally:
        connection.close()


def request(
    url: str, body: dict | None = None, headers: dict | None = None, method: str | None = None
) -> tuple[int, dict]:
    """A JSON request (POST when it has a body); its status and JSON answer."""
    data = json.dumps(body).encode() if body is not None else None
    method = method or ("POST" if data is not None else "GET")
    answer = call(url, method, data, {"Content-Type": "application/json", **(headers or {})})
    return answer.status, answer.json()


def sign_in(base: str, username: str, password: str) -> str:
    """A Bearer token for `username`, signed in through the API of the instance at `base`."""
    status, body = request(f"{base}/api/v1/sessions", {"username": username, "password": password})
    assert status == 201, body
    return body["token"]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@dataclass
class Browser:
    """A browser on one instance's console: it keeps the cookies it is given and sends back
    each form's CSRF token (over plain HTTP on loopback, so it ignores the Secure flag)."""

    base: str
    cookies: dict[str, str] = field(default_factory=dict)

    def get(self, path: str) -> Answer:
        return self._keep(call(f"{self.base}{path}", headers=self._cookie()))

    def submit(self, path: str, fields: dict[str, str]) -> Answer:
        """Fill in the form of the page at `path` and post it there."""
        page = self.get(path)
        token = CSRF.search(page.body.decode())
        assert token, f"{path} has no form: {page.status} {page.headers} {page.body[:300]!r}"
        data = urllib.parse.urlencode({"csrf_token": token.group(1), **fields}).encode()
        headers = {"Content-Type": "application/x-www-form-urlencoded", **self._cookie()}
        return self._keep(call(f"{self.base}{path}", "POST", data, headers))

    def sign_in(self, username: str, password: str) -> None:
        answer = self.submit("/login", {"username": username, "password": password})
        assert answer.status == 302, answer.body.decode()

    def _cookie(self) -> dict[str, str]:
        return {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}

    def _keep(self, answer: Answer) -> Answer:
        self.cookies.update(answer.cookies())
        return answer


# ---- bursts of debtor views ----------------------------------------------------------------


@dataclass(frozen=True)
class View:
    request_id: str
    status: int | None  # None: not answered (refused or cut once the server stopped)
    started: float
    ended: float


def view_until_stopped(
    url: str,
    token: str,
    name: str,
    views: list[View],
    stopped: threading.Event | None = None,
) -> None:
    """View one debtor again and again, each with a request id of its own: until the server
    stops answering or, given `stopped`, until it is set (a view not answered is noted and the
    burst goes on)."""
    for number in range(100_000):
        if stopped is not None and stopped.is_set():
            return
        request_id, started = f"{name}-{number}", time.monotonic()
        try:
            answer = call(url, headers={**bearer(token), "X-Request-Id": request_id})
        except OSError:
            views.append(View(request_id, None, started, time.monotonic()))
            if stopped is None:
                return
            time.sleep(0.01)
            continue
        views.append(View(request_id, answer.status, started, time.monotonic()))


def viewed_request_ids(engine: Engine) -> list[str]:
    """The request id of every `debtor.viewed` event of the trail (one per event)."""
    with engine.connect() as connection:
        entries = connection.execute(
            select(events.c.entry).where(events.c.action == "debtor.viewed")
        ).scalars()
        return [json.loads(entry)["request_id"] for entry in entries]


def environ(settings: Settings, **more: str) -> dict[str, str]:
    """This process's environment with `settings` and `more` as Govern's variables, the log
    as readable lines."""
    return {**os.environ, **environment(settings), "GOVERN_LOG_FORMAT": "text", **more}
