"""`GET /healthz` (live: the process answers) and `GET /readyz` (ready: every check of
`health.py`, 503 when one fails). No sign-in, no personal data: a probe may poll each second.
`GET /metrics` (`metrics.py`): the Prometheus text, for a client on this machine or with the
metrics token."""

from __future__ import annotations

from flask import Blueprint, Flask, Response, current_app, jsonify

from govern.deprovision.scheduler import scheduler_state
from govern.migrate import schema_head
from govern.operations import health, metrics
from govern.operations.logs import register_access_log

bp = Blueprint("operations", __name__)
READINESS = "govern.readiness"


@bp.get("/healthz")
def live() -> Response:
    return jsonify({"status": health.PASS})


@bp.get("/readyz")
def ready() -> tuple[Response, int]:
    report = current_app.extensions[READINESS].report()
    return jsonify(report.as_json()), 200 if report.ready else 503


@bp.get("/metrics")
def scrape() -> Response:
    return metrics.answer(current_app.extensions["govern"])


def register_operations(app: Flask) -> None:
    """The health and metrics routes with this process's checks, the access log and the
    counting of requests and of what the capabilities tell."""
    s = app.extensions["govern"]
    app.extensions[READINESS] = health.Readiness(
        {
            "database": health.database(s.engine, schema_head()),
            "directory": health.directory(s.directory),
            "signing_key": health.signing_key(s.trail.signer, s.clock),
            "data_keys": health.data_keys(s.vault),
            "audit_committer": health.audit_committer(s.trail.committer_state),
            "scheduler": health.scheduler(lambda: scheduler_state(app)),
        },
        s.clock,
    )
    app.register_blueprint(bp)
    register_access_log(app)
    metrics.register_metrics(app)
