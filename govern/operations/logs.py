"""The service's log: one JSON object a line on stderr (GOVERN_LOG_FORMAT=json, the default),
or readable one-liners for a terminal (text), at GOVERN_LOG_LEVEL.

Every line carries the time, level, logger and message, and the id of the request (or command)
it belongs to and the account acting when one is known: never a name, a password, a token or
any debtor value. Each request ends with one access line: method, route (the URL rule, never the
address asked, which may carry a search), status and duration.
"""

from __future__ import annotations

import copy
import logging
import sys
import time
from typing import Any

from flask import Flask, Response, g, has_app_context, request
from flask.signals import request_finished, request_started
from pythonjsonlogger.json import JsonFormatter

from govern.auditing.trail import request_context

#: What every line carries, known or not (null), in this order.
FIELDS = ("time", "level", "logger", "message", "request_id", "account_id")
#: Answered every second by probes (and /metrics to every scrape): their access lines are
#: DEBUG, out of an INFO log.
QUIET_ROUTES = frozenset({"/healthz", "/readyz", "/metrics"})
#: Libraries whose INFO lines come every second or minute: shown only at DEBUG.
CHATTY = ("alembic", "apscheduler")
access_log = logging.getLogger("govern.access")


class StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever `sys.stderr` is at the time of the line (a test's capture too)."""

    @property  # type: ignore[override]
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


class RequestFields(logging.Filter):
    """Adds the request's id and the acting account's id (None outside a request or before
    the caller is known) to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_context.get().request_id
        caller = g.get("caller") if has_app_context() else None
        record.account_id = getattr(caller, "account_id", None)
        return True


class TextFormatter(logging.Formatter):
    """`time level logger [request account] message`, for a terminal or the demo (`-` for an
    id not known)."""

    def __init__(self) -> None:
        super().__init__(
            "%(asctime)s %(levelname)s %(name)s [%(request_id)s %(account_id)s] %(message)s"
        )

    def format(self, record: logging.LogRecord) -> str:
        shown = copy.copy(record)  # other handlers (a test's capture) see the record unchanged
        shown.request_id = getattr(record, "request_id", None) or "-"
        shown.account_id = getattr(record, "account_id", None) or "-"
        return super().format(shown)

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return time.strftime("%H:%M:%S", time.localtime(record.created)) + f".{record.msecs:03.0f}"


def configure_logging(level: str, form: str) -> None:
    """Send every logger's lines (Govern's, the libraries', the existing `log.warning` calls)
    through one stderr handler, replacing the one a previous call installed."""
    root = logging.getLogger()
    for handler in [h for h in root.handlers if isinstance(h, StderrHandler)]:
        root.removeHandler(handler)
    handler = StderrHandler()
    handler.addFilter(RequestFields())
    handler.setFormatter(_json_formatter() if form == "json" else TextFormatter())
    root.addHandler(handler)
    root.setLevel(level)
    # The development server's own access lines show the address asked, query and all.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    for chatty in CHATTY:  # their INFO is for DEBUG: a line each readiness check, each job run
        logging.getLogger(chatty).setLevel(logging.NOTSET if level == "DEBUG" else logging.WARNING)


def _json_formatter() -> logging.Formatter:
    return JsonFormatter(
        "{levelname}{name}{message}{request_id}{account_id}",
        style="{",
        rename_fields={"levelname": "level", "name": "logger"},
        timestamp="time",
    )


def register_access_log(app: Flask) -> None:
    """One access line when each request of `app` ends, whatever answered it."""
    request_started.connect(_started, app, weak=False)
    request_finished.connect(_finished, app, weak=False)


def _started(_app: Flask, **_extra: Any) -> None:
    g.log_started = time.perf_counter()


def request_seconds() -> float:
    """How long the request has taken so far (the metrics' duration is the log's)."""
    return time.perf_counter() - g.get("log_started", time.perf_counter())


def _finished(_app: Flask, response: Response, **_extra: Any) -> None:
    route = request.url_rule.rule if request.url_rule is not None else None
    milliseconds = request_seconds() * 1000
    access_log.log(
        logging.DEBUG if route in QUIET_ROUTES else logging.INFO,
        "%s %s %d %.1f ms",
        request.method,
        route or "(no route)",
        response.status_code,
        milliseconds,
        extra={
            "method": request.method,
            "route": route,
            "status": response.status_code,
            "duration_ms": round(milliseconds, 1),
        },
    )
