"""Benchmark what the metrics add to the hot paths (issue 16 §2): the signals the access door
sends for each debtor it decides (`govern/signals.py`) and the counting of a request and of a
durable append, each with the metrics connected against nobody connected.

`./scripts/bench metrics [--calls N] [--runs N]`; every figure is the median over `--runs` of
the mean time of one call over `--calls`. Record them in docs/benchmarks.md with the command.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable

from flask import Flask, Response, g

from govern import signals
from govern.operations import metrics

#: What an intern is refused of a debtor: every personal field, for want of training.
WITHHELD = ["training.system-use.missing"] * 8


def collector_debtor() -> None:
    """The door's one send for a debtor a collector reaches with nothing withheld."""
    signals.access_decided.send("allowed", reason="project_group")


def intern_debtor() -> None:
    """The door's two sends for a debtor an intern reaches with 8 fields withheld."""
    signals.access_decided.send("allowed", reason="project_group")
    signals.fields_withheld.send(reasons=WITHHELD)


def durable_append() -> None:
    """The trail's sends after a read's events are durable."""
    signals.audit_waited.send(seconds=0.002)
    signals.audit_appended.send("durable", events=1)


def microseconds(call: Callable[[], None], calls: int, runs: int) -> float:
    """The median over `runs` of the mean microseconds of one call."""
    means = []
    for _ in range(runs):
        started = time.perf_counter()
        for _ in range(calls):
            call()
        means.append((time.perf_counter() - started) / calls * 1e6)
    return round(statistics.median(means), 2)


def main() -> None:
    parser = argparse.ArgumentParser(description="Benchmark the metrics on the hot paths.")
    parser.add_argument("--calls", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    paths = {"collector_debtor": collector_debtor, "intern_debtor": intern_debtor}
    paths["durable_append"] = durable_append
    results: dict[str, float] = {}
    for name, call in paths.items():
        results[f"{name}_unconnected_us"] = microseconds(call, args.calls, args.runs)
    app = Flask("benchmark")
    metrics.register_metrics(app)
    for name, call in paths.items():
        results[f"{name}_counted_us"] = microseconds(call, args.calls, args.runs)
    with app.test_request_context("/api/v1/debtors/DB-0000-0000"):
        g.log_started = time.perf_counter()
        answered = Response("{}")
        results["request_counted_us"] = microseconds(
            lambda: metrics._answered(app, answered), args.calls, args.runs
        )
    for key, value in results.items():
        print(f"{key:36} {value}")
    print(json.dumps(results, sort_keys=True))


if __name__ == "__main__":
    main()
