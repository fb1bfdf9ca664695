"""The one exception root of Govern. Every refusal has a stable code and a human message.

Handlers turn these into `{"error": {"code", "message"}}` responses (HTTP) or a one-line
message and a non-zero exit (CLI); an exception's own text never reaches a client.
"""

from __future__ import annotations


class GovernError(Exception):
    status = 400

    def __init__(self, code: str, message: str, **details: object) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.details = details


class BadRequest(GovernError):
    status = 400


#: How the API is authenticated: what every 401 of a staff route says (`WWW-Authenticate`).
BEARER = 'Bearer realm="govern"'


class NotAuthenticated(GovernError):
    """Nobody is known behind the request (no credential, or one that names nobody now): 401,
    with the challenge saying how to authenticate, which every 401 carries (RFC 9110 15.5.2)."""

    status = 401

    def __init__(self, code: str, message: str, challenge: str = BEARER, **details: object) -> None:
        super().__init__(code, message, **details)
        self.challenge = challenge


class Forbidden(GovernError):
    status = 403


class NotFound(GovernError):
    status = 404


class Conflict(GovernError):
    status = 409


class UnsupportedMediaType(GovernError):
    """A body in a format the route does not take (the API takes JSON only)."""

    status = 415


class Unprocessable(GovernError):
    """Well-formed, but Govern lacks what it needs to answer (e.g. a year's holiday calendar)."""

    status = 422


class TooManyRequests(GovernError):
    status = 429

    def __init__(self, code: str, message: str, retry_after: int) -> None:
        super().__init__(code, message)
        self.retry_after = retry_after


class ServiceUnavailable(GovernError):
    """What Govern stands on cannot serve now (the database is down or full); nothing was
    done, and the request may be tried again."""

    status = 503


class ConfigError(GovernError):
    """The service cannot start or run as configured; the message says what to set."""

    status = 500
