"""PostgreSQL's own tools for a backup set: `pg_dump` (custom format) in a snapshot the backup
reads too, `pg_restore` into an empty database, and the trail's tables read back out of a dump
without any server (`pg_restore -f -` writes them as COPY text), so a set is checked offline.

The tools must be at least as new as the server: on Debian they are
`/usr/lib/postgresql/<major>/bin/` (package postgresql-client-<major>), else the first on PATH.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, Engine, LargeBinary, Table, text
from sqlalchemy.engine import make_url
from sqlalchemy.types import Integer

from audit import store
from govern.db import in_batches
from govern.errors import ConfigError, GovernError

#: The trail's tables, all a check of the trail reads.
TRAIL_TABLES = ("audit_events", "audit_checkpoints", "audit_nodes")
VERSION = re.compile(r"\(PostgreSQL\) (\d+)")
COPY = re.compile(r'^COPY (?:[\w"]+\.)?"?(\w+)"? \((.*)\) FROM stdin;$')
ESCAPE = re.compile(r"\\(.)")
ESCAPES = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}
BATCH = 5_000
Progress = Callable[[str], None]


class ToolFailed(GovernError):
    status = 500


def server_major(connection: Connection) -> int:
    """The server's major version (15 for 15.20)."""
    return int(connection.scalar(text("SHOW server_version_num"))) // 10000


def find_tool(name: str, at_least: int = 0) -> str:
    """The newest `name` (pg_dump, pg_restore) at least version `at_least`. Raises ConfigError
    `backup.pg_tool_missing` naming the package to install."""
    installed = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), reverse=True, key=_major)
    candidates = [str(path) for path in installed] + [shutil.which(name) or ""]
    for candidate in filter(None, candidates):
        if _version(candidate) >= at_least:
            return candidate
    wanted = f"of PostgreSQL {at_least} or newer " if at_least else ""
    raise ConfigError(
        "backup.pg_tool_missing",
        f"No {name} {wanted}here; install postgresql-client-"
        f"{at_least or '<major>'} (Debian) or put one on PATH.",
    )


@contextmanager
def snapshot(engine: Engine) -> Iterator[tuple[Connection, str]]:
    """A read-only transaction whose snapshot is exported: what the backup reads in it and
    what `pg_dump --snapshot` dumps are the same instant of the database."""
    with engine.connect() as connection:
        connection = connection.execution_options(isolation_level="REPEATABLE READ")
        exported = connection.scalar(text("SELECT pg_export_snapshot()"))
        try:
            yield connection, exported
        finally:
            connection.rollback()


def dump(url: str, exported: str, target: Path, tool: str, progress: Progress) -> None:
    """pg_dump's custom format of the database at `url`, as of the exported snapshot."""
    command = [tool, "--format=custom", "--verbose", f"--snapshot={exported}", f"--file={target}"]
    _run(command, url, "dumping contents", progress)


def restore(url: str, source: Path, tool: str, progress: Progress) -> None:
    """Load a dump into the (empty) database at `url` in one transaction: all or nothing. The
    objects become the connecting role's; no grant of the old server's roles is restored."""
    command = [tool, "--verbose", "--no-owner", "--no-acl", "--single-transaction"]
    _run([*command, "--exit-on-error", str(source)], url, "processing data", progress)


def tables_in(source: Path, tool: str) -> int:
    """How many tables' data the dump `source` holds (what a restore's progress counts)."""
    listed = subprocess.run([tool, "--list", str(source)], capture_output=True, text=True)
    return sum(" TABLE DATA " in line for line in listed.stdout.splitlines())


def load_trail(source: Path, tool: str, scratch: Engine) -> None:
    """Copy the trail's tables out of the dump `source` into `scratch` (a SQLite database with
    audit.store's tables), with no PostgreSQL server: pg_restore prints them as COPY text."""
    tables = [option for name in TRAIL_TABLES for option in ("--table", name)]
    command = [tool, "--data-only", *tables, "--file=-", str(source)]
    # stderr to a file, not a pipe: a pipe nobody reads while stdout streams could fill and
    # stall pg_restore.
    with tempfile.TemporaryFile() as errors:
        with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=errors) as running:
            assert running.stdout is not None
            lines = (line.decode("utf-8").rstrip("\n") for line in running.stdout)
            with scratch.begin() as connection:
                for table, rows in _copies(lines):
                    for batch in in_batches(rows, BATCH):
                        connection.execute(table.insert(), batch)
        errors.seek(0)
        problem = errors.read().decode(errors="replace")
    if running.returncode:
        raise ToolFailed("backup.pg_tool_failed", f"pg_restore could not read {source}: {problem}")


def _connecting(url: str) -> tuple[str, dict[str, str]]:
    """`--dbname` for a SQLAlchemy URL as libpq reads it, and the environment that carries
    its password (PGPASSWORD, when the URL has one): never on the command line, which any
    user of the machine may list."""
    parsed = make_url(url)
    environment = dict(os.environ)
    if parsed.password is not None:
        environment["PGPASSWORD"] = str(parsed.password)
    bare = parsed.set(drivername="postgresql")._replace(password=None)  # set() keeps a None
    return "--dbname=" + bare.render_as_string(hide_password=False), environment


def _copies(lines: Iterator[str]) -> Iterator[tuple[Table, Iterator[dict]]]:
    """Each COPY block of pg_restore's script: its table and its rows as values."""
    for line in lines:
        found = COPY.match(line)
        if found and found.group(1) in TRAIL_TABLES:
            table = store.metadata.tables[found.group(1)]
            columns = [name.strip().strip('"') for name in found.group(2).split(",")]
            yield table, _rows(lines, table, columns)


def _rows(lines: Iterator[str], table: Table, columns: list[str]) -> Iterator[dict]:
    for line in lines:
        if line == "\\.":
            return
        values = line.split("\t")  # a tab inside a value is written as \t, never bare
        yield {
            name: _value(table.c[name].type, value)
            for name, value in zip(columns, values, strict=True)
        }


def _value(kind: object, raw: str) -> object:
    """One COPY text value as the column holds it: \\N is NULL; bytea is hex (\\x...)."""
    if raw == "\\N":
        return None
    value = ESCAPE.sub(lambda m: ESCAPES.get(m.group(1), m.group(1)), raw)
    if isinstance(kind, LargeBinary):
        return bytes.fromhex(value.removeprefix("\\x"))
    return int(value) if isinstance(kind, Integer) else value


def _run(command: list[str], url: str, marker: str, progress: Progress) -> None:
    """Run a tool on the database at `url`, calling `progress` with each table its --verbose
    output says it reached. Raises ToolFailed `backup.pg_tool_failed` with what it said last."""
    said: list[str] = []
    dbname, environment = _connecting(url)
    with subprocess.Popen(
        [command[0], dbname, *command[1:]], stderr=subprocess.PIPE, text=True, env=environment
    ) as running:
        assert running.stderr is not None
        for line in running.stderr:
            if marker in line:
                progress(line.rsplit(" ", 1)[-1].strip().strip('"'))
            else:
                said.append(line.strip())
    if running.returncode:
        last = " / ".join(said[-3:])
        raise ToolFailed("backup.pg_tool_failed", f"{Path(command[0]).name} failed: {last}")


def _version(tool: str) -> int:
    try:
        shown = subprocess.run([tool, "--version"], capture_output=True, text=True, timeout=30)
    except OSError:
        return -1
    found = VERSION.search(shown.stdout)
    return int(found.group(1)) if found else -1


def _major(path: Path) -> int:
    name = path.parent.parent.name
    return int(name) if name.isdigit() else 0
