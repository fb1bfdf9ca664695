"""`GET /metrics`: the service's counters in Prometheus' text format (prometheus-client).

Counted as things happen, each a counter increment where the capability tells it
(`govern/signals.py`): requests by route (the URL rule, never the address asked) and status
with their durations; the access door's answers by result and reason code, and the fields it
withheld by reason code; sign-ins by outcome; the trail's appends, group commits (size, time)
and the wait for a durable event; the trail's verifications and the last one's result and
time; directory syncs and reconciliations by outcome; background jobs that failed.

Read from the database when scraped (`Readings`), whichever process did the work: departures
past their instant and not revoked, revocations of departures and their lag after the
departure instant, the age of the newest checkpoint.

Under gunicorn with several workers, set PROMETHEUS_MULTIPROC_DIR to an empty folder before
the service starts: every process then writes its counts there and any worker answers for
all (docs/operations.md, "Metrics"). No label carries an id, a name or a value: routes,
results, reason codes and job kinds only.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import os
from collections import Counter as Tally
from collections.abc import Iterator
from functools import cache
from typing import Any

from flask import Flask, Response, request
from flask.signals import request_finished
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.multiprocess import MultiProcessCollector

from govern import signals
from govern.deprovision.service import due_accounts
from govern.errors import ConfigError
from govern.operations.logs import request_seconds
from govern.operations.readings import revocation_lags
from govern.web import Services, error_body

log = logging.getLogger(__name__)


def _check_folder() -> None:
    """PROMETHEUS_MULTIPROC_DIR, when set, is a folder this user may write: prometheus-client
    would otherwise fail on the first count with a traceback naming one of its files."""
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder is not None and not (os.path.isdir(folder) and os.access(folder, os.W_OK | os.X_OK)):
        raise ConfigError(
            "config.invalid",
            f"PROMETHEUS_MULTIPROC_DIR: {folder} is not a folder this user may write "
            "(create it, owned by Govern's user, or unset the variable)",
        )


_check_folder()  # before the counts below open their files there

http_requests = Counter(
    "govern_http_requests",
    "Requests answered, by route (the URL rule) and status",
    ["method", "route", "status"],
)
request_duration = Histogram(
    "govern_http_request_duration_seconds",
    "Time to answer a request, by route",
    ["method", "route"],
)
access_decisions = Counter(
    "govern_access_decisions",
    "The access door's answers whether a viewer reaches a debtor: "
    "result allowed (reason: the way) or denied (reason: its code)",
    ["result", "reason"],
)
fields_withheld = Counter(
    "govern_access_fields_withheld", "Debtor fields the door withheld, by reason code", ["reason"]
)
sign_ins = Counter(
    "govern_sign_ins",
    "Sign-in attempts by result: ok, refused, limited (over a sign-in limit) or error",
    ["result"],
)
audit_appends = Counter(
    "govern_audit_events_appended",
    "Events the trail took: durable (a read's or refusal's, "
    "once durable) or transaction (a change's, in its transaction)",
    ["path"],
)
audit_commit_events = Histogram(
    "govern_audit_commit_events",
    "Events in each durable group commit",
    buckets=(1, 2, 5, 10, 20, 50, 100, 200, 500, 1000),
)
audit_commit_duration = Histogram(
    "govern_audit_commit_seconds",
    "Time each durable group commit took",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10),
)
audit_durable_wait = Histogram(
    "govern_audit_durable_wait_seconds",
    "Time a read or refusal waited for its events to be durable",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10),
)
verifications = Counter(
    "govern_audit_verifications",
    "Verifications of the trail by result: intact or broken",
    ["result"],
)
last_verification = Gauge(
    "govern_audit_last_verification_timestamp_seconds",
    "When the trail was last verified (Unix time)",
    multiprocess_mode="max",
)
last_verification_intact = Gauge(
    "govern_audit_last_verification_intact",
    "1 when the last verification found the trail intact, 0 when broken",
    multiprocess_mode="mostrecent",
)
directory_runs = Counter(
    "govern_directory_runs",
    "Directory syncs (kind sync) and reconciliations (kind "
    "reconcile) by outcome: applied, held, dry_run, failed",
    ["kind", "outcome"],
)
duty_conflicts = Counter(
    "govern_duty_conflicts",
    "Conflicts of separation of duties the directory sync found or saw change, by rule and "
    "state: withheld, held, excepted",
    ["rule", "state"],
)
job_failures = Counter(
    "govern_scheduler_job_failures",
    "Background jobs that failed (the next run retries), by job",
    ["job"],
)

#: The revocation lag's buckets (seconds): at the instant, within the minute's watch, the
#: hour, the daily sweep.
LAG_BOUNDS = (1.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 900.0, 3600.0, 14400.0, 86400.0)
LOOPBACK = (ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("::1/128"))


def register_metrics(app: Flask) -> None:
    """Count `app`'s requests and what the capabilities tell (`govern/signals.py`)."""
    disable_created_metrics()  # no `_created` series beside every counter and histogram
    request_finished.connect(_answered, app, weak=False)
    signals.access_decided.connect(_access_decided)
    signals.fields_withheld.connect(_fields_withheld)
    signals.signed_in.connect(_signed_in)
    signals.audit_appended.connect(_audit_appended)
    signals.audit_committed.connect(_audit_committed)
    signals.audit_waited.connect(_audit_waited)
    signals.audit_verified.connect(_audit_verified)
    signals.synced.connect(_synced)
    signals.job_failed.connect(_job_failed)
    signals.duty_conflict.connect(_duty_conflict)


#: The methods counted by name; any other a client invents is `OTHER` (a label value a client
#: chooses would let anyone add series without end).
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def _answered(_app: Flask, response: Response, **_extra: Any) -> None:
    route = request.url_rule.rule if request.url_rule is not None else "(no route)"
    method = request.method if request.method in METHODS else "OTHER"
    _labelled(http_requests, method, route, str(response.status_code)).inc()
    _labelled(request_duration, method, route).observe(request_seconds())


def _access_decided(result: str, reason: str) -> None:
    _labelled(access_decisions, result, reason).inc()


def _fields_withheld(_sender: None, reasons: list[str]) -> None:
    for reason, count in Tally(reasons).items():
        _labelled(fields_withheld, reason).inc(count)


def _signed_in(result: str) -> None:
    _labelled(sign_ins, result).inc()


def _audit_appended(path: str, events: int) -> None:
    _labelled(audit_appends, path).inc(events)


def _audit_committed(_sender: None, events: int, seconds: float) -> None:
    audit_commit_events.observe(events)
    audit_commit_duration.observe(seconds)


def _audit_waited(_sender: None, seconds: float) -> None:
    audit_durable_wait.observe(seconds)


def _audit_verified(_sender: None, intact: bool, at: float) -> None:
    _labelled(verifications, "intact" if intact else "broken").inc()
    last_verification.set(at)
    last_verification_intact.set(1 if intact else 0)


def _synced(kind: str, outcome: str) -> None:
    _labelled(directory_runs, kind, outcome).inc()


def _duty_conflict(rule: str, state: str) -> None:
    _labelled(duty_conflicts, rule, state).inc()


def _job_failed(job: str) -> None:
    _labelled(job_failures, job).inc()


@cache
def _labelled(metric: Any, *values: str) -> Any:
    """The metric's child for these label values, looked up once: prometheus-client checks
    and locks on every `labels()`, a few microseconds a debtor on a caseload's page. Every
    label's values are bounded (routes, codes, kinds), and so is this cache."""
    return metric.labels(*values)


class Readings:
    """The metrics read from the database at each scrape (see the module)."""

    def __init__(self, services: Services) -> None:
        self.services = services

    def collect(self) -> Iterator[Metric]:
        try:
            yield from self._read()
        except Exception:  # the counters still answer; the log says what failed
            log.exception("metrics: the database readings failed")

    def _read(self) -> list[Metric]:
        s = self.services
        now = s.clock.now()
        with s.sessions() as db:
            overdue = len(due_accounts(db, now, s.settings.departures))
            lags = revocation_lags(db, LAG_BOUNDS)
        read = [
            GaugeMetricFamily(
                "govern_departures_overdue",
                "Accounts past their departure instant and not yet revoked",
                value=overdue,
            ),
            CounterMetricFamily(
                "govern_departure_revocations",
                "Accounts revoked at their departure",
                value=lags.count,
            ),
            _lag_histogram(lags.within, lags.count, lags.total_seconds),
        ]
        signed, unsigned = s.trail.signed_state()
        read.append(
            GaugeMetricFamily(
                "govern_audit_events_unsigned",
                "Events of the trail no checkpoint signs yet",
                value=unsigned,
            )
        )
        if signed is not None:
            age = GaugeMetricFamily(
                "govern_audit_checkpoint_age_seconds",
                "Time since the newest checkpoint of the trail was signed",
                value=max(0.0, (now - signed).total_seconds()),
            )
            read.append(age)
        return read


def _lag_histogram(within: tuple[int, ...], count: int, total: float) -> HistogramMetricFamily:
    buckets = [(str(bound), n) for bound, n in zip(LAG_BOUNDS, within, strict=True)]
    return HistogramMetricFamily(
        "govern_departure_revocation_lag_seconds",
        "Time from the departure instant to the revocation",
        buckets=[*buckets, ("+Inf", count)],
        sum_value=total,
    )


def answer(services: Services) -> Response:
    """The metrics, or a refusal (401 without the token when one is set, 403 from an address
    not on this machine when none is)."""
    refusal = _refusal(services.settings.metrics_token)
    if refusal is not None:
        return refusal
    readings = CollectorRegistry(auto_describe=False)
    readings.register(Readings(services))
    body = generate_latest(_counted()) + generate_latest(readings)
    return Response(body, mimetype=CONTENT_TYPE_LATEST)


def _counted() -> CollectorRegistry:
    """This process's counts, or every process's under PROMETHEUS_MULTIPROC_DIR."""
    if "PROMETHEUS_MULTIPROC_DIR" not in os.environ:
        return REGISTRY
    registry = CollectorRegistry()
    MultiProcessCollector(registry)
    return registry


def _refusal(token: str | None) -> Response | None:
    if token:
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(
            given.strip().encode(), token.encode()
        ):
            return None
        return error_body(
            "metrics.token_required", "Send the metrics token as 'Authorization: Bearer'.", 401
        )
    if _on_this_machine(request.remote_addr):
        return None
    return error_body(
        "metrics.local_only",
        "Metrics are answered on this machine only unless GOVERN_METRICS_TOKEN is set.",
        403,
    )


def _on_this_machine(address: str | None) -> bool:
    try:
        return any(ipaddress.ip_address(address or "") in net for net in LOOPBACK)
    except ValueError:
        return False
