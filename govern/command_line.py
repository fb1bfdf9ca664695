"""What every `govern` command shares: who runs it at the server, how JSON is printed, and the
exit code of a run that found something for a person to look at."""

from __future__ import annotations

import getpass
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Protocol

import click

#: The exit of a command that did its part but holds something for a person: a sync or a
#: reconciliation held by the guard, induction nobody scheduled (0: nothing; 1: refused).
HELD_EXIT = 3


def operator() -> str:
    """Who runs this command on the server, as recorded in account histories."""
    return f"operator:{getpass.getuser()}"


def counted(count: int, noun: str) -> str:
    """`1 problem`, `2 problems`: a count and its noun, as a person writes them."""
    return f"{count} {noun if count == 1 else noun + 's'}"


def echo_json(value: Any) -> None:
    click.echo(json.dumps(value, ensure_ascii=False, indent=2, default=str))


class GuardedReport(Protocol):
    """A run the safety guard may hold: a directory sync, a reconciliation."""

    outcome: str

    def as_dict(self) -> dict[str, Any]: ...


def echo_report(report: GuardedReport, as_json: bool, as_table: Callable[[Any], None]) -> None:
    """Print a guarded run's report, as JSON or as a table; exit HELD_EXIT when it was held."""
    if as_json:
        echo_json(report.as_dict())
    else:
        as_table(report)
    if report.outcome == "held":
        raise click.exceptions.Exit(HELD_EXIT)


class _Bar:
    """A tally (`count`, then `advance`) drawn as click's progress bar on stderr."""

    def __init__(self, label: str) -> None:
        self.label, self.bar = label, None

    def count(self, total: int) -> None:
        hidden = not sys.stderr.isatty()  # a pipe or a log gets the summary alone
        self.bar = click.progressbar(length=total, label=self.label, file=sys.stderr, hidden=hidden)
        self.bar.__enter__()

    def advance(self, count: int) -> None:
        if self.bar is not None:
            self.bar.update(count)

    def close(self, done: bool) -> None:
        if self.bar is None:
            return
        if done:  # work that skipped what needed nothing (a sync without changes) ends full
            self.bar.update(self.bar.length - self.bar.pos)
        self.bar.__exit__(None, None, None)


@contextmanager
def progress_bar(label: str) -> Iterator[_Bar]:
    """A progress bar for work that learns its size as it starts (it calls `count(total)`,
    then `advance(n)`): drawn on a terminal, nothing elsewhere; full when the work ended well."""
    bar = _Bar(label)
    done = False
    try:
        yield bar
        done = True
    finally:
        bar.close(done)
