"""What happened, told to whoever watches: the metrics of `govern/operations/metrics.py`.

Blinker signals, like Flask's own `request_finished` the access log listens to. A capability
sends one where the fact is decided, with bounded words only (a result, a reason code, a job's
kind): never an id, a name or a value. Nothing here decides anything, and with nobody
connected (a command, a test without an app) a send costs one check. Any layer may send:
this module imports nothing of Govern.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from blinker import Namespace

_told = Namespace()

#: The access door answered whether a viewer reaches a debtor: sender "allowed" (`reason`:
#: the way, e.g. assignment, break glass, investigation) or "denied" (`reason`: its code).
access_decided = _told.signal("access-decided")
#: The door withheld fields of a debtor it reached: `reasons`, one reason code a field.
fields_withheld = _told.signal("fields-withheld")
#: A sign-in attempt ended: `result` ok, refused or limited.
signed_in = _told.signal("signed-in")
#: A directory sync (sender "sync") or a reconciliation (sender "reconcile") ended:
#: `outcome` applied, held, dry_run or failed (see `tells_outcome`).
synced = _told.signal("synced")
#: A background job failed (its next run tries again): sender the job's kind.
job_failed = _told.signal("job-failed")
#: The trail took events: sender "durable" (a read's or refusal's, once durable) or
#: "transaction" (a change's, in its transaction); `events`: how many.
audit_appended = _told.signal("audit-appended")
#: The group committer made a batch durable: `events` in it, `seconds` the commit took.
audit_committed = _told.signal("audit-committed")
#: A caller waited `seconds` for its events to be durable (`Trail.record_all_now`).
audit_waited = _told.signal("audit-waited")
#: The trail was verified (the console's run, `govern audit verify`): `intact` True or
#: False, `at` when (Unix time, of the trail's clock).
audit_verified = _told.signal("audit-verified")
#: The directory sync found a conflict of separation of duties, or its state changed: the
#: sender is the rule's id; `state` withheld, held or excepted.
duty_conflict = _told.signal("duty-conflict")

_Run = TypeVar("_Run", bound=Callable[..., Any])


def tells_outcome(kind: str) -> Callable[[_Run], _Run]:
    """Tell `synced` how each run of the decorated use case ended: its report's `outcome`
    (applied, held, dry_run), or failed when it raised (the error goes on up)."""

    def decorate(run: _Run) -> _Run:
        @wraps(run)
        def told(*args: Any, **kwargs: Any) -> Any:
            try:
                report = run(*args, **kwargs)
            except Exception:
                synced.send(kind, outcome="failed")
                raise
            synced.send(kind, outcome=report.outcome.replace("-", "_"))
            return report

        return told  # type: ignore[return-value]

    return decorate
