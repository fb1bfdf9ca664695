"""The agency's telephone system as Govern meets it (R-NTE-2): its machine credential and what a
call detail record it reports must be. Plain Python: no Flask, no SQL.

The telephone system is a machine client, never a staff session. It signs each request with
HMAC-SHA256 under a key both sides read from a file (GOVERN_TELEPHONY_KEY_FILE, outside the
repository; `govern calls keygen PATH` makes one). What it signs, one item a line:

    METHOD
    /api/v1/calls
    TIMESTAMP                      (Unix seconds, also sent as X-Govern-Timestamp)
    SHA-256 of the body, in hex

and it sends the signature, in hex, as X-Govern-Signature. A timestamp more than `WINDOW` away
from Govern's clock is refused, so a captured request cannot be replayed later; within the
window a replay is the same record again, which recording answers without change.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
from collections.abc import Mapping
from datetime import datetime, timedelta
from pathlib import Path

from govern.errors import BadRequest, ConfigError, GovernError, NotAuthenticated

TIMESTAMP_HEADER = "X-Govern-Timestamp"
SIGNATURE_HEADER = "X-Govern-Signature"
#: How far a signed request's timestamp may be from Govern's clock, either way.
WINDOW = timedelta(seconds=300)
#: How far in Govern's future a reported call may start or end: the two clocks never agree
#: exactly, but a call that has not happened yet is no record.
SKEW = timedelta(seconds=120)
MIN_KEY_CHARS = 32
TIMESTAMP = re.compile(r"^[0-9]{1,12}$")
SIGNATURE = re.compile(r"^[0-9a-f]{64}$")
#: A number as people and telephone systems write it: digits, a leading +, spaces, hyphens.
NUMBER = r"^\+?[0-9][0-9 -]{1,30}[0-9]$"
MACHINE = "machine:telephony"  # who acts, in the trail, when the telephone system reports


class NotConfigured(GovernError):
    """The telephone system's key is not set: no report can be taken."""

    status = 503


def load_key(path: Path) -> bytes:
    """The key in `path`, a file only its owner may read. Raises ConfigError naming
    GOVERN_TELEPHONY_KEY_FILE."""
    try:
        if path.stat().st_mode & 0o077:
            raise ConfigError(
                "config.telephony_key",
                f"{path} may be read by others; `chmod 600 {path}` (it signs call records)",
            )
        key = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(
            "config.telephony_key",
            f"Cannot read the telephony key from {path} ({error.__class__.__name__}); set "
            "GOVERN_TELEPHONY_KEY_FILE to a file made by `govern calls keygen`",
        ) from None
    if len(key) < MIN_KEY_CHARS:
        raise ConfigError(
            "config.telephony_key",
            f"{path}: the telephony key must be at least {MIN_KEY_CHARS} characters",
        )
    return key.encode()


def new_key(path: Path) -> None:
    """Write a fresh key to `path` (mode 0600); refuses to replace one (ConfigError)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    except FileExistsError:
        raise ConfigError("config.telephony_key", f"{path} exists; it is left as it is") from None
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(secrets.token_hex(32) + "\n")


def sign(key: bytes, method: str, path: str, timestamp: str, body: bytes) -> str:
    """The signature (hex) of one request, as the telephone system computes it."""
    text = "\n".join((method.upper(), path, timestamp, hashlib.sha256(body).hexdigest()))
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()


def signed_headers(
    key: bytes, method: str, path: str, body: bytes, now: datetime
) -> dict[str, str]:
    """The headers a signed request carries, at `now` (the simulator's and the tests')."""
    timestamp = str(int(now.timestamp()))
    return {
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: sign(key, method, path, timestamp, body),
    }


#: What a refused call report is told to send instead (`WWW-Authenticate`): the signature.
CHALLENGE = 'Govern-Signature realm="telephony"'


def unsigned(code: str, message: str) -> NotAuthenticated:
    """The refusal of a call report the telephone system did not sign (401), naming how."""
    return NotAuthenticated(code, message, CHALLENGE)


def check_signature(
    key: bytes, method: str, path: str, headers: Mapping[str, str], body: bytes, now: datetime
) -> None:
    """Accept a request the telephone system signed within the window of `now`.

    Raises NotAuthenticated `telephony.signature_missing`, `telephony.timestamp_invalid`,
    `telephony.timestamp_outside_window` or `telephony.signature_invalid`.
    """
    timestamp, given = headers.get(TIMESTAMP_HEADER), headers.get(SIGNATURE_HEADER)
    if not timestamp or not given:
        raise unsigned(
            "telephony.signature_missing",
            f"Sign the request: send {TIMESTAMP_HEADER} and {SIGNATURE_HEADER}.",
        )
    if not TIMESTAMP.match(timestamp):
        raise unsigned("telephony.timestamp_invalid", "The timestamp is Unix seconds.")
    if abs(int(timestamp) - now.timestamp()) > WINDOW.total_seconds():
        raise unsigned(
            "telephony.timestamp_outside_window",
            f"The timestamp is more than {int(WINDOW.total_seconds())} s from Govern's clock.",
        )
    expected = sign(key, method, path, timestamp, body)
    if not SIGNATURE.match(given) or not hmac.compare_digest(expected, given):
        raise unsigned("telephony.signature_invalid", "The signature does not match.")


def line_form(number: str) -> str:
    """A line's number as it is kept and compared: no spaces or hyphens."""
    return re.sub(r"[\s-]", "", number)


def check_times(
    started: datetime, answered: datetime | None, ended: datetime, now: datetime
) -> None:
    """A call's instants must be a call that has happened.

    Raises BadRequest `call.in_future`, `call.ended_before_start` or `call.answered_outside`.
    """
    if max(started, ended) > now + SKEW:
        raise BadRequest("call.in_future", "The call starts or ends after Govern's clock.")
    if ended < started:
        raise BadRequest("call.ended_before_start", "The call ends before it starts.")
    if answered is not None and not started <= answered <= ended:
        raise BadRequest(
            "call.answered_outside", "The call is answered before it starts or after it ends."
        )


def in_service(retired_at: datetime | None, at: datetime) -> bool:
    """Whether a registered line was still in service at `at`: not retired by then. (A call
    reported after its line was registered counts as over it, even one that started before:
    the line recorded it all the same.)"""
    return retired_at is None or at < retired_at
