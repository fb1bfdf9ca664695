"""Govern's checks for schemathesis, loaded into its process by the run's configuration
(`hooks = "tests.support.fuzz_hooks"`, tests/support/fuzzing.py).

An answer either comes from Govern — every one carries `X-Request-Id` (govern/web.py) — and
must then be what the OpenAPI document says (its status listed for the operation, its content
type and its body as documented), or it comes from gunicorn in front, which refuses a request
line or headers over its limits (gunicorn.conf.py) before Govern is asked: then it must be
gunicorn's 400, 414 or 431 and nothing else. The built-in conformance checks are therefore
switched off in the run's configuration and called from here, for Govern's answers only.

It also sends each operation with the session of its role (`RoleSessions`) and signs the
telephone system's reports as the telephone system would (`before_call`).
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import schemathesis
from schemathesis import Case, CheckContext, HookContext, Response
from schemathesis.core import NotSet
from schemathesis.specs.openapi import checks as openapi

from govern.contact.telephony import SIGNATURE_HEADER, load_key, signed_headers

#: The telephony key of the served Govern, for the one route the telephone system signs.
TELEPHONY_KEY = "GOVERN_FUZZ_TELEPHONY_KEY_FILE"
CALLS = "POST /api/v1/calls"
#: Whose session each operation is sent with (JSON: `{"names": {"METHOD /path": token},
#: "tags": {tag: token}, "default": token or null}`), from tests/support/fuzzing.py.
SESSIONS = "GOVERN_FUZZ_SESSIONS"

#: What gunicorn answers a request it refuses before any application sees it.
FRONT_SERVER_REFUSALS = frozenset({400, 414, 431})


def from_govern(response: Response) -> bool:
    return "x-request-id" in response.headers


@schemathesis.check
def front_server_refusal(ctx: CheckContext, response: Response, case: Case) -> bool | None:
    """An answer Govern did not give is gunicorn's refusal of an oversized request."""
    if not from_govern(response) and response.status_code not in FRONT_SERVER_REFUSALS:
        raise AssertionError(
            f"{response.status_code} without X-Request-Id: neither Govern's answer nor "
            "gunicorn's refusal of an oversized request line or header"
        )
    return None


@schemathesis.check
def documented_answer(ctx: CheckContext, response: Response, case: Case) -> bool | None:
    """Govern's answer has a status the operation lists (no "default" stands in for the
    others), a documented content type and a body its schema describes."""
    if not from_govern(response):
        return None
    openapi.status_code_conformance(ctx, response, case)
    openapi.content_type_conformance(ctx, response, case)
    openapi.response_schema_conformance(ctx, response, case)
    return None


@schemathesis.check
def refusal_in_one_shape(ctx: CheckContext, response: Response, case: Case) -> bool | None:
    """Every refusal Govern gives is `{"error": {"code", "message"}}` (docs/security.md)."""
    if not from_govern(response) or response.status_code < 400:
        return None
    try:
        body = json.loads(response.content)
    except ValueError:
        raise AssertionError(f"{response.status_code} whose body is not JSON") from None
    error = body.get("error") if isinstance(body, dict) else None
    if not (
        isinstance(error, dict)
        and isinstance(error.get("code"), str)
        and isinstance(error.get("message"), str)
    ):
        raise AssertionError(f"{response.status_code} not in Govern's error shape: {body!r:.200}")
    return None


@cache
def _telephony_key() -> bytes | None:
    path = os.environ.get(TELEPHONY_KEY)
    return load_key(Path(path)) if path else None


@schemathesis.hook
def before_call(context: HookContext, case: Case, kwargs: dict[str, Any]) -> None:
    """Sign the telephone system's reports as it would (govern/contact/telephony.py), over
    exactly the bytes `requests` will send (its `json=`: `json.dumps` with its defaults), so
    that the fuzzer reaches past the signature to the record. A case sent without the
    signature header (schemathesis probing a missing credential) stays unsigned."""
    key = _telephony_key()
    headers = case.headers or {}
    if key is None or case.operation.label != CALLS or SIGNATURE_HEADER not in headers:
        return
    if isinstance(case.body, bytes):
        body = case.body
    else:
        body = b"" if isinstance(case.body, NotSet) else json.dumps(case.body).encode()
    now = datetime.now(UTC)
    case.headers = {**headers, **signed_headers(key, "POST", case.path, body, now)}


@cache
def _sessions() -> dict[str, Any]:
    return json.loads(os.environ.get(SESSIONS) or "{}")


@schemathesis.auth(refresh_interval=None, retry_on=[]).skip_for(name=CALLS)
class RoleSessions:
    """Each operation's session: the one named for it, else its tag's, else the run's own
    (none: the request goes without one). The telephone system's route takes none: it is
    signed (`before_call`). A session a case ends stays ended: no sign-in again."""

    def get(self, case: Case, context: Any) -> str | None:
        sessions, operation = _sessions(), case.operation
        if operation.label in sessions.get("names", {}):
            return sessions["names"][operation.label]
        tagged = [sessions.get("tags", {}).get(tag) for tag in operation.tags or []]
        return next((token for token in tagged if token), sessions.get("default"))

    def set(self, case: Case, data: str | None, context: Any) -> None:
        if data:
            case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}
