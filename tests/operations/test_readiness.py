"""Readiness itself (govern/operations/health.py), with checks written for the test: a report
is kept a second of the clock, a check that hangs fails without piling up, and the worst
status wins."""

from __future__ import annotations

import threading

from govern.clock import FixedClock
from govern.operations.health import FAIL, PASS, WARN, Finding, Readiness
from tests.support.clock import NOW


class Hanging:
    """A check that answers only once let go, counting how often it was started."""

    def __init__(self) -> None:
        self.started = 0
        self.let_go = threading.Event()

    def __call__(self) -> Finding:
        self.started += 1
        self.let_go.wait(30)
        return Finding(PASS, "answered")


def test_a_report_is_kept_a_second_of_the_clock() -> None:
    clock, asked = FixedClock(NOW), []

    def probe() -> Finding:
        asked.append(clock.now())
        return Finding(PASS, "fine")

    readiness = Readiness({"check": probe}, clock)
    first = readiness.report()
    clock.advance(seconds=0.9)
    assert readiness.report() is first
    clock.advance(seconds=0.2)
    readiness.report()
    assert len(asked) == 2


def test_a_hanging_check_fails_and_is_not_started_again_while_it_runs() -> None:
    clock, hanging = FixedClock(NOW), Hanging()
    readiness = Readiness({"hanging": hanging, "quick": lambda: Finding(PASS, "fine")}, clock, 0.2)
    try:
        for _ in range(3):
            report = readiness.report()
            assert report.status == FAIL
            assert [r.state for r in report.results] == ["no answer yet", "fine"]
            clock.advance(seconds=2)
        assert hanging.started == 1
    finally:
        hanging.let_go.set()
    readiness = Readiness({"hanging": hanging}, clock, 30)
    assert readiness.report().status == PASS  # once let go, it answers


def test_an_error_fails_its_check_naming_only_its_kind() -> None:
    def broken() -> Finding:
        raise OSError("/etc/govern/secret: permission denied")

    report = Readiness({"broken": broken}, FixedClock(NOW)).report()
    (result,) = report.results
    assert (result.status, result.state) == (FAIL, "error: OSError")
    assert report.as_json()["checks"]["broken"]["state"] == "error: OSError"
    assert "permission" in result.problem  # for the log, never the answer


def test_the_worst_status_wins_and_a_warning_is_still_ready() -> None:
    clock = FixedClock(NOW)
    warned = Readiness({"a": lambda: Finding(PASS, ""), "b": lambda: Finding(WARN, "")}, clock)
    assert (warned.report().status, warned.report().ready) == (WARN, True)
    failed = Readiness({"a": lambda: Finding(WARN, ""), "b": lambda: Finding(FAIL, "")}, clock)
    assert (failed.report().status, failed.report().ready) == (FAIL, False)
