"""A private PostgreSQL server for the tests that stop the database or fill its disk: a cluster
of its own (initdb, pg_ctl from the server's own binaries), in a folder of its own, on a free
loopback port. Never the shared server the rest of the suite uses (127.0.0.1:5432): stopping
that would break every other test, and every other session on the machine.

The server refuses to run as root: when the tests run as root the cluster belongs to, and runs
as, the `postgres` system user. Its folder is made outside pytest's temporary folders, which
only their owner may enter.
"""

from __future__ import annotations

import os
import pwd
import secrets
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field, replace
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text

from govern.app import create_app
from govern.clock import FixedClock
from govern.config import Settings
from govern.db import make_engine
from govern.migrate import upgrade
from tests.support.agency import Agency
from tests.support.floor import Floor, open_floor
from tests.support.processes import free_port

SERVER_ROOT = Path("/usr/lib/postgresql")
TOOLS = ("initdb", "pg_ctl", "postgres")
#: Who runs the server when the tests run as root.
SYSTEM_USER = "postgres"


def server_binaries() -> Path | None:
    """The newest installed server's bin folder holding initdb, pg_ctl and postgres; None when
    no server is installed (only a client, or nothing)."""
    found = [
        folder / "bin"
        for folder in SERVER_ROOT.glob("*")
        if folder.name.isdigit() and all((folder / "bin" / tool).exists() for tool in TOOLS)
    ]
    return max(found, key=lambda path: int(path.parent.name), default=None)


def missing_reason() -> str | None:
    """Why no private cluster can be started here (None: it can)."""
    if server_binaries() is None:
        return f"no PostgreSQL server binaries ({', '.join(TOOLS)}) under {SERVER_ROOT}/*/bin"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam(SYSTEM_USER)
        except KeyError:
            return f"running as root and there is no '{SYSTEM_USER}' user to run the server"
    return None


def small_disk_reason() -> str | None:
    """Why no small disk can be mounted for a cluster here (None: it can)."""
    return None if os.geteuid() == 0 else "mounting a small disk (tmpfs) needs root"


def skip_unless_possible(reason: str | None) -> None:
    """Skip the test for `reason` (None: go on), or fail it under CI=true, where the machine
    has what it needs and the test must run."""
    if reason is None:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}; CI=true, so the outage tests may not be skipped")
    pytest.skip(reason)


@dataclass
class Cluster:
    """A running (or stopped) private server, its superuser `postgres` trusted on loopback."""

    folder: Path
    port: int
    binaries: Path
    user: str | None  # the system user the server runs as; None: whoever runs the tests
    mounts: list[Path] = field(default_factory=list)

    @property
    def data(self) -> Path:
        return self.folder / "data"

    def url(self, role: str = "postgres", database: str = "postgres") -> str:
        return f"postgresql://{role}@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        """Start the server and return once it takes connections (after crash recovery, when
        it was stopped `immediate`)."""
        self._pg_ctl("start", "-l", str(self.folder / "server.log"), "-t", "60")

    def stop(self, mode: str = "fast") -> None:
        """Stop it: `fast` ends every session (what an operator's restart does), `immediate`
        ends the server at once without a shutdown checkpoint, as a crash would."""
        self._pg_ctl("stop", "-m", mode, "-t", "60")

    def running(self) -> bool:
        return self._pg_ctl("status", check=False).returncode == 0

    def execute(self, *statements: str, database: str = "postgres") -> None:
        """Run statements as the superuser, each in its own transaction (autocommit)."""
        engine = create_engine(
            self.url(database=database).replace("postgresql://", "postgresql+psycopg://"),
            isolation_level="AUTOCOMMIT",
        )
        try:
            with engine.connect() as connection:
                for statement in statements:
                    connection.execute(text(statement))
        finally:
            engine.dispose()

    def migrated_database(self, name: str, tablespace: str | None = None) -> tuple[str, str]:
        """A new database with an owner and a service role, migrated as `govern db upgrade`
        does (the service granted data access only); (service URL, owner URL)."""
        owner, service = f"{name}_owner", f"{name}_svc"
        self.execute(
            f"CREATE ROLE {owner} LOGIN",
            f"CREATE ROLE {service} LOGIN",
            f"CREATE DATABASE {name} OWNER {owner}"
            + (f" TABLESPACE {tablespace}" if tablespace else ""),
        )
        urls = self.url(service, name), self.url(owner, name)
        upgrade(urls[1], urls[0])
        return urls

    def small_disk(self, name: str, megabytes: int) -> Path:
        """A tmpfs of `megabytes` mounted in the cluster's folder and made tablespace `name`:
        a disk of the database's own that can be filled (`fill`). Needs root."""
        mount = self.folder / name
        mount.mkdir()
        subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={megabytes}m,mode=0700", "tmpfs", str(mount)],
            check=True,
            capture_output=True,
        )
        self.mounts.append(mount)
        (mount / "pg").mkdir()
        self._own(mount)
        self._own(mount / "pg")
        self.execute(f"CREATE TABLESPACE {name} LOCATION '{mount / 'pg'}'")
        return mount

    def remove(self) -> None:
        """Stop the server if it runs, unmount its disks, delete its folder."""
        if self.running():
            self.stop("immediate")
        for mount in self.mounts:
            subprocess.run(["umount", str(mount)], check=False, capture_output=True)
        shutil.rmtree(self.folder, ignore_errors=True)

    def _own(self, path: Path) -> None:
        if self.user is not None:
            shutil.chown(path, self.user, self.user)

    def _pg_ctl(self, *arguments: str, check: bool = True) -> subprocess.CompletedProcess:
        return self._run(
            str(self.binaries / "pg_ctl"), "-D", str(self.data), "-w", *arguments, check=check
        )

    def _run(self, *command: str, check: bool = True) -> subprocess.CompletedProcess:
        done = subprocess.run(
            command, user=self.user, capture_output=True, text=True, check=False, cwd=self.folder
        )
        if check and done.returncode != 0:
            log = self.folder / "server.log"
            tail = log.read_text()[-2000:] if log.exists() else ""
            raise RuntimeError(f"{' '.join(command)}: {done.stderr.strip()}\n{tail}")
        return done


def fill(disk: Path) -> Path:
    """Fill `disk` to the last byte with a file of zeros; returns the file (delete it to give
    the space back)."""
    filler = disk / "filler"
    out = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        for size in (1 << 20, 4096, 1):  # big writes, then the last bytes
            with suppress(OSError):  # ENOSPC: full at this size
                while True:
                    os.write(out, bytes(size))
    finally:
        os.close(out)
    return filler


def start_cluster() -> Cluster:
    """initdb a new cluster in a folder of its own and start it on a free loopback port."""
    reason = missing_reason()
    if reason is not None:
        raise RuntimeError(reason)
    user = SYSTEM_USER if os.geteuid() == 0 else None
    folder = Path(tempfile.mkdtemp(prefix="govern-pg-"))
    cluster = Cluster(folder, free_port(), server_binaries(), user)  # type: ignore[arg-type]
    cluster._own(folder)
    cluster._run(
        str(cluster.binaries / "initdb"),
        "--auth=trust",
        "--username=postgres",
        "--encoding=UTF8",
        "--locale=C",
        "--no-sync",
        "-D",
        str(cluster.data),
    )
    with (cluster.data / "postgresql.conf").open("a") as conf:
        conf.write(
            f"port = {cluster.port}\nlisten_addresses = '127.0.0.1'\n"
            f"unix_socket_directories = '{folder}'\nmax_connections = 100\n"
        )
    cluster.start()
    return cluster


@contextmanager
def private_cluster() -> Iterator[Cluster]:
    """A private cluster for the block, removed after it whatever happened."""
    cluster = start_cluster()
    try:
        yield cluster
    finally:
        cluster.remove()


@dataclass
class Private:
    """Govern's settings on a database of the private server, and its owner's engine."""

    settings: Settings
    owner: Engine


@contextmanager
def private_database(
    cluster: Cluster, settings: Settings, tablespace: str | None = None
) -> Iterator[Private]:
    """A migrated database of its own on the private server (in `tablespace` if given)."""
    name = f"govern_{secrets.token_hex(4)}"
    service, owner = cluster.migrated_database(name, tablespace)
    engine = make_engine(owner)
    try:
        yield Private(replace(settings, database_url=service, migration_database_url=owner), engine)
    finally:
        engine.dispose()


@contextmanager
def floor_on(private: Private, clock: FixedClock) -> Iterator[Floor]:
    """The collection floor (tests/support/floor.py) on a private database."""
    app = create_app(private.settings, clock=clock)
    agency = Agency(app, app.test_client())
    agency.sync()
    try:
        yield open_floor(agency, clock)
    finally:
        app.extensions["govern"].trail.stop()
        app.extensions["govern"].engine.dispose()
