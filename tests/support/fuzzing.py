"""Fuzzing the live API with schemathesis: Govern under gunicorn (gunicorn.conf.py, its limits
included) on a floor of staff and debtors, signed in as several roles, and schemathesis's
command line run against it with Govern's checks (tests/support/fuzz_hooks.py).

The short run of tests/test_fuzz.py and the long one of `./scripts/bench fuzz`
(benchmarks/fuzz.py) are the same run at two sizes: `fuzz` writes its configuration, runs
`st run` and reads back its JSON report.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from govern.app import create_app
from govern.clock import SystemClock
from govern.config import Settings
from govern.training.catalogue import load_catalogue
from tests.support import processes
from tests.support.agency import Agency
from tests.support.floor import open_floor
from tests.support.fuzz_hooks import CALLS, SESSIONS, TELEPHONY_KEY
from tests.support.processes import environment
from tests.support.staff import BY_USERNAME

REPO = Path(__file__).resolve().parents[2]
DOCUMENT = "/api/v1/openapi.json"

#: Whom each role is on the floor (tests/support/floor.py): the collector's project group
#: holds debtors; the head leads the collector's department.
ROLES = {
    "collector": "col.a1",
    "department_head": "head.a",
    "auditor": "auditor",
    "it": "it",
    "policy_admin": "padmin",
}
#: The roles some operations are for alone (`ROLE_OF_OPERATION`).
SPECIALISTS = {
    "general_manager": "gm",
    "hr": "hr",
    "trainer": "trainer",
    "supervisor": "sup.a1",
}
#: The long run adds an intern, and no one at all.
MORE_ROLES = {**SPECIALISTS, "intern": "intern.a"}
#: The short run fuzzes each operation as the role whose work it is (by the document's tags).
ROLE_OF_TAG = {
    "sessions": "collector",
    "accounts": "department_head",
    "audit": "auditor",
    "training": "department_head",
    "debtors": "collector",
    "access": "policy_admin",
    "deprovision": "it",
    "notes": "collector",
    "complaints": "collector",
    "unnoted": "collector",
    "contact": "it",
    "scripts": "collector",
}
#: ... except the operations only another role may use (policies/actions.toml).
ROLE_OF_OPERATION = {
    "GET /api/v1/calls/unnoted": "it",
    "POST /api/v1/accounts/{account_id}/suspension": "it",
    "GET /api/v1/complaints": "supervisor",
    "POST /api/v1/complaints/{case_id}/resume": "supervisor",
    "POST /api/v1/complaints/{case_id}/reported": "supervisor",
    "POST /api/v1/access/break-glass": "supervisor",
    "GET /api/v1/hr/cases": "hr",
    "POST /api/v1/hr/cases/{case_id}/decision": "hr",
    "GET /api/v1/training/induction/unscheduled": "hr",
    "POST /api/v1/exams/{course}/results": "trainer",
    "POST /api/v1/scripts": "trainer",
    "PUT /api/v1/scripts/{script_id}": "trainer",
    "POST /api/v1/scripts/{script_id}/retirement": "trainer",
    "POST /api/v1/training/plans/{plan_id}/approval": "general_manager",
}
#: Signed in as nobody's role: the one session `DELETE /api/v1/sessions/current` may end.
SPARE = "col.b1"

#: schemathesis's checks switched off (all others run). The conformance checks run inside
#: fuzz_hooks.documented_answer instead, for Govern's answers; `positive_data_acceptance` is off:
#: a request the document's schemas allow may still break a rule no JSON Schema states (a
#: window whose end is before its start, a purpose the access policy does not know), and its
#: refusal is then a documented 400 or 422, not a fault.
OFF = (
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "positive_data_acceptance",
)


@dataclass(frozen=True)
class Target:
    """Govern as served, and what the fuzzer may use of it."""

    url: str  # http://127.0.0.1:PORT
    tokens: dict[str, str]  # role → Bearer token
    spare: str  # a token the run may end
    known: dict[str, list[str]]  # dictionary name → real values (ids on the floor)
    telephony_key: str  # its file
    bindings: dict[str, str] = field(default_factory=dict)  # parameter → dictionary name


@dataclass(frozen=True)
class Outcome:
    """What one `st run` found: its JSON report, its printed output."""

    report: dict
    output: str
    seconds: float

    @property
    def cases(self) -> int:
        return self.report["test_cases"]["generated"]

    @property
    def failures(self) -> list[dict]:
        return self.report["failures"] + self.report["errors"]


def populate(settings: Settings) -> dict[str, list[str]]:
    """The floor (accounts, certified staff, debtors) written through the service functions,
    on the real clock the served processes keep too; the values the fuzzer may draw from."""
    app = create_app(settings, clock=SystemClock())
    try:
        agency = Agency(app, app.test_client())
        agency.sync()
        floor = open_floor(agency, SystemClock())  # type: ignore[arg-type]
        victims = ("col.a2", "intern.a")  # accounts the fuzzer may suspend, not a role's own
        book = load_catalogue(settings.policies_dir)
        return {
            "courses": sorted(book.courses),
            "agreements": ["confidentiality"],
            "debtors": sorted(floor.debtors.values()),
            "accounts": [floor.ids[who] for who in victims],
            "employee_numbers": [BY_USERNAME[who].number for who in victims],
            "project_groups": ["pg-a1", "pg-a2", "pg-b1"],
            "departments": ["dept-a", "dept-b"],
        }
    finally:
        app.extensions["govern"].trail.stop()
        app.extensions["govern"].engine.dispose()


#: Which parameter draws from which of `populate`'s values (most of the time: see `config`).
BINDINGS = {
    "path.debtor_id": "debtors",
    "query.debtor": "debtors",
    "body.debtor_id": "debtors",
    "body.debtor_ids[*]": "debtors",
    "path.account_id": "accounts",
    "query.account": "accounts",
    "body.account_id": "accounts",
    "path.employee_number": "employee_numbers",
    "body.employee_number": "employee_numbers",
    "body.project_group": "project_groups",
    "query.department": "departments",
    "path.course": "courses",
    "body.course": "courses",
    "path.name": "agreements",
}


def served_environment(settings: Settings) -> dict[str, str]:
    """The served process's settings. One fuzzer signs in with made-up names from one address
    thousands of times: the sign-in limits are raised so that its own sessions still open."""
    return {
        **os.environ,
        **environment(settings),
        "GOVERN_TELEPHONY_KEY_FILE": str(settings.telephony_key_file or ""),
        "GOVERN_BACKGROUND_JOBS": "worker",  # none here: nothing moves but the requests
        "GOVERN_LOGIN_FAILURES_PER_USER_AND_CLIENT": "1000000",
        "GOVERN_LOGIN_FAILURES_PER_USER": "1000000",
        "GOVERN_LOGIN_USERNAMES_PER_CLIENT": "1000000",
        "GOVERN_LOG_LEVEL": "WARNING",
        "GOVERN_LOG_FORMAT": "text",
    }


@contextlib.contextmanager
def served(settings: Settings, log: Path, workers: int = 1) -> Iterator[str]:
    """Govern under gunicorn with the repository's gunicorn.conf.py; yields its base URL."""
    with processes.served(served_environment(settings), log, workers) as instance:
        yield instance.base


def sign_in(url: str, username: str) -> str:
    """A session of `username`, opened over HTTP as any client would."""
    return processes.sign_in(url, username, BY_USERNAME[username].password)


def target(
    url: str, settings: Settings, known: dict[str, list[str]], roles: dict[str, str]
) -> Target:
    """Govern at `url`, with a session of each of `roles` (role → username)."""
    tokens = {role: sign_in(url, username) for role, username in roles.items()}
    key = str(settings.telephony_key_file or "")
    return Target(url, tokens, sign_in(url, SPARE), known, key, BINDINGS)


def config(target: Target, binding: float) -> str:
    """schemathesis's configuration (TOML) for one run (the sessions are `sessions`)."""
    lines = [
        'hooks = "tests.support.fuzz_hooks"',
        "workers = 1",
        "[cache]",
        "enabled = false",  # a run replays no earlier run's failures: the seed alone decides
        "[generation]",
        'database = "none"',  # nor hypothesis's examples database
        "allow-x00 = false",  # NUL: refused at Govern's entrance, shown by test_hostile_input
        'codec = "utf-8"',  # lone surrogates likewise
        "[checks]",
        *(f"{name}.enabled = false" for name in OFF),
        "[parameters]",
        *(
            f"{_toml(where)} = {{ dictionary = {_toml(name)}, probability = {binding} }}"
            for where, name in target.bindings.items()
        ),
    ]
    for name, values in target.known.items():
        lines += [f"[dictionaries.{name}]", f"values = {_toml(values)}"]
    return "\n".join(lines + _operations()) + "\n"


def _operations() -> list[str]:
    """Checks switched off for one operation each, and why."""
    # GET /api/v1/debtors/search is GET /api/v1/debtors/{debtor_id} with the id "search"
    # (refused 400 debtor.id_malformed), so the path's Allow names GET beside POST, truthfully.
    lines = ["[[operations]]", 'include-name = "POST /api/v1/debtors/search"']
    lines += ["checks.allow_header_conformance.enabled = false"]
    # The telephone system's report is signed by fuzz_hooks over the body sent; schemathesis
    # takes the signature for one it made up, and a made-up one for "auth ignored".
    lines += ["[[operations]]", f"include-name = {_toml(CALLS)}"]
    return [*lines, "checks.ignored_auth.enabled = false"]


def sessions(target: Target, role: str | None) -> dict[str, Any]:
    """Whose session each operation is sent with (fuzz_hooks.RoleSessions): as `role` (none
    for "anonymous"), or each operation as the role whose work it is; signing out always
    ends the spare session."""
    names = {"DELETE /api/v1/sessions/current": target.spare}
    if role is None:
        names |= {name: target.tokens[r] for name, r in ROLE_OF_OPERATION.items()}
        tags = {tag: target.tokens[tagged] for tag, tagged in ROLE_OF_TAG.items()}
        return {"names": names, "tags": tags, "default": target.tokens["collector"]}
    return {"names": names, "tags": {}, "default": target.tokens.get(role)}


def _toml(value: object) -> str:
    """A TOML string or array of strings (JSON's escapes are TOML's)."""
    return json.dumps(value)


def fuzz(
    target: Target,
    folder: Path,
    *,
    seed: int,
    max_examples: int,
    phases: str,
    role: str | None = None,
    binding: float = 0.8,
    max_time: int | None = None,
) -> Outcome:
    """One `st run`: as `role` for every operation, or, with none, each operation as the role
    of its tag (`ROLE_OF_TAG`); `role` "anonymous" sends no token at all."""
    folder.mkdir(parents=True, exist_ok=True)
    settings, report = folder / "schemathesis.toml", folder / "report.json"
    settings.write_text(config(target, binding))
    command = [
        sys.executable,
        "-m",
        "schemathesis.cli",
        "--config-file",
        str(settings),
        "--no-color",
        "run",
        "--seed",
        str(seed),
        "--max-examples",
        str(max_examples),
        "--phases",
        phases,
        "--report",
        "json",
        "--report-json-path",
        str(report),
        *(["--max-time", str(max_time)] if max_time else []),
        target.url + DOCUMENT,
    ]
    started = time.monotonic()
    done = subprocess.run(
        command,
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
        env=_quiet(target, sessions(target, role)),
    )
    seconds = time.monotonic() - started
    if not report.exists():
        raise AssertionError(f"schemathesis wrote no report:\n{done.stdout}\n{done.stderr}")
    return Outcome(json.loads(report.read_text()), done.stdout + done.stderr, seconds)


def _quiet(target: Target, signed_in: dict[str, Any]) -> dict[str, str]:
    """schemathesis's environment: the repository importable (its hooks are in tests/), the
    telephony key to sign the telephone system's reports with, whose session each operation
    is sent with."""
    return {
        **os.environ,
        "PYTHONPATH": str(REPO),
        TELEPHONY_KEY: target.telephony_key,
        SESSIONS: json.dumps(signed_in),
    }


def is_up(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/healthz", timeout=10) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False
