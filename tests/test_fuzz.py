"""Fuzzing the live API (issue 17, item 4): schemathesis against Govern under gunicorn, with
the sessions of a collector whose group holds debtors, a department head, an auditor, IT and a
policy admin (and, for the few operations only they may use, of HR, a trainer, a supervisor
and the general manager), finds no 5xx and no answer the OpenAPI document does not describe.

The run is short and deterministic (one seed, a few cases per operation, each operation as
the role whose work it is, then a few stateful sequences); `./scripts/bench fuzz` runs the
long one, every operation as every role (docs/security.md, "Fuzzing").

Requests too large for gunicorn's limits (gunicorn.conf.py) never reach Govern: gunicorn
answers them itself, and they are shown here against the same live server.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

import pytest
from sqlalchemy import Engine, func, select

from audit.store import events
from govern.config import Settings
from govern.db import make_engine
from govern.models import Base
from tests.support.database import wipe
from tests.support.fuzzing import (
    ROLES,
    SPECIALISTS,
    Outcome,
    Target,
    fuzz,
    is_up,
    populate,
    served,
    target,
)
from tests.support.slapd import Slapd
from tests.support.staff import LiveDirectory

SEED = 17
CASES_PER_OPERATION = 3


@dataclass(frozen=True)
class Live:
    target: Target
    owner: Engine


@pytest.fixture(scope="module")
def live(
    slapd: Slapd,
    base_settings: Settings,
    migrated: tuple[str, str],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Live]:
    folder = tmp_path_factory.mktemp("fuzz")
    directory = LiveDirectory(slapd)
    settings = replace(
        base_settings,
        ldap_people_base=directory.tree.people,
        ldap_groups_base=directory.tree.groups,
        checkpoint_dir=folder / "checkpoints",
    )
    owner = make_engine(migrated[1])
    try:
        known = populate(settings)
        with served(settings, folder / "gunicorn.log") as url:
            yield Live(target(url, settings, known, ROLES | SPECIALISTS), owner)
    finally:
        wipe(owner)
        owner.dispose()
        directory.close()


def described(outcome: Outcome) -> str:
    found = "\n".join(
        f"{failure.get('code', '')} {failure.get('title', failure)}: {failure.get('operations')}"
        for failure in outcome.failures
    )
    return f"{found}\n\n{outcome.output[-20000:]}"


def test_fuzzing_the_live_api_finds_no_5xx_and_nothing_the_document_does_not_say(
    live: Live, tmp_path_factory: pytest.TempPathFactory
) -> None:
    outcome = fuzz(
        live.target,
        tmp_path_factory.mktemp("run"),
        seed=SEED,
        max_examples=CASES_PER_OPERATION,
        phases="examples,fuzzing,stateful",
    )
    assert outcome.failures == [], described(outcome)
    assert outcome.report["operations"]["tested"] == outcome.report["operations"]["total"]
    assert outcome.cases >= 200


# ---- what gunicorn refuses before Govern -------------------------------------------------------


def send(url: str, head: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send `head` (a request without a body) as it is; the status, headers and body."""
    address = urlsplit(url)
    with socket.create_connection((address.hostname, address.port), timeout=30) as connection:
        connection.sendall(head)
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    lines, _, body = answer.partition(b"\r\n\r\n")
    status_line, *header_lines = lines.decode("latin-1").split("\r\n")
    headers = dict(line.lower().split(": ", 1) for line in header_lines)
    return int(status_line.split()[1]), headers, body


def request_head(path: str, token: str, extra: list[str]) -> bytes:
    lines = [f"GET {path} HTTP/1.1", "Host: 127.0.0.1", f"Authorization: Bearer {token}", *extra]
    return ("\r\n".join([*lines, "Connection: close"]) + "\r\n\r\n").encode("latin-1")


def counts(engine: Engine) -> dict[str, int]:
    """How many rows every table holds, the audit trail's included."""
    with engine.connect() as connection:
        return {
            table.name: connection.execute(select(func.count()).select_from(table)).scalar()
            for table in [*Base.metadata.sorted_tables, events]
        }


OVERSIZED = {
    # a header of 64 KB (gunicorn's limit_request_field_size: 8,190 bytes)
    "header_64kb": ("/api/v1/sessions/current", [f"X-Padding: {'a' * 65536}"], 431),
    # 200 headers (limit_request_fields: 100)
    "200_headers": ("/api/v1/sessions/current", [f"X-H{n}: {n}" for n in range(200)], 431),
    # a request line of 8 KB (limit_request_line: 4,094 bytes)
    "request_line_8kb": (f"/api/v1/accounts?department={'a' * 8192}", [], 414),
}


@pytest.mark.parametrize("case", list(OVERSIZED))
def test_gunicorn_refuses_oversized_headers_before_govern_and_nothing_changes(
    live: Live, case: str
) -> None:
    """gunicorn answers an oversized request line (414) or headers (431) itself, in a few
    lines of HTML: Govern never sees the request (no X-Request-Id, nothing recorded), and
    serves the next one as before (docs/security.md, "Hostile input")."""
    path, extra, status = OVERSIZED[case]
    token = live.target.tokens["collector"]
    before = counts(live.owner)
    answered, headers, body = send(live.target.url, request_head(path, token, extra))
    assert (answered, headers["content-type"]) == (status, "text/html")
    assert "x-request-id" not in headers
    assert len(body) < 1024
    assert counts(live.owner) == before
    assert is_up(live.target.url)
    fine, headers, _ = send(live.target.url, request_head("/api/v1/sessions/current", token, []))
    assert fine == 200 and "x-request-id" in headers
