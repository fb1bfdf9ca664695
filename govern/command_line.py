"""What every `govern` command shares: who runs it at the server, how JSON is printed, and the
exit code of a run that found something for a person to look at."""

from __future__ import annotations

import getpass
import json
from typing import Any

import click

#: The exit of a command that did its part but holds something for a person: a sync or a
#: reconciliation held by the guard, induction nobody scheduled (0: nothing; 1: refused).
HELD_EXIT = 3


def operator() -> str:
    """Who runs this command on the server, as recorded in account histories."""
    return f"operator:{getpass.getuser()}"


def echo_json(value: Any) -> None:
    click.echo(json.dumps(value, ensure_ascii=False, indent=2, default=str))
