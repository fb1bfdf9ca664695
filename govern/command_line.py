"""What every `govern` command shares: who runs it at the server and how JSON is printed."""

from __future__ import annotations

import getpass
import json
from typing import Any

import click


def operator() -> str:
    """Who runs this command on the server, as recorded in account histories."""
    return f"operator:{getpass.getuser()}"


def echo_json(value: Any) -> None:
    click.echo(json.dumps(value, ensure_ascii=False, indent=2, default=str))
