"""The demo's SQLite database in a backup set: SQLite's online backup API, which copies a
consistent image page by page while the service keeps running."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

from sqlalchemy.engine import make_url

PAGES = 256  # pages copied per step, between which writers may go on


def database_path(url: str) -> Path:
    """The file a sqlite:/// URL names."""
    return Path(make_url(url).database or "")


def copy_database(source: Path, target: Path, progress: Callable[[int, int], None]) -> None:
    """Copy the SQLite database `source` into `target` with the online backup API; `progress`
    gets (pages left, pages in all) after each step."""
    with sqlite3.connect(source) as reading, sqlite3.connect(target) as writing:
        reading.backup(writing, pages=PAGES, progress=lambda _, left, total: progress(left, total))
    reading.close()
    writing.close()
