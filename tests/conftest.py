"""Layered fixtures: slapd and database (session) → directory tree → settings → app → client.

Everything is real: a throwaway slapd, SQLite or PostgreSQL (GOVERN_TEST_DATABASE), and time
from a FixedClock handed to the app, never patched.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, create_engine, text

from audit.signing import new_private_key_pem
from govern.app import create_app
from govern.clock import FixedClock
from govern.config import DEFAULT_ATTRIBUTES, REPO_POLICIES, Settings, load_role_groups
from govern.contact.telephony import new_key as new_telephony_key
from govern.db import make_engine
from govern.debtors.vault import add_key
from govern.directory.sync import sync_directory
from govern.migrate import upgrade
from tests.support.agency import Agency
from tests.support.clock import NOW
from tests.support.database import wipe
from tests.support.floor import Floor, open_floor
from tests.support.slapd import READER_DN, Slapd, start_slapd
from tests.support.staff import LiveDirectory

DATABASE = os.environ.get("GOVERN_TEST_DATABASE", "sqlite")
POSTGRES_ADMIN = os.environ.get(
    "GOVERN_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)


def pytest_report_header() -> str:
    return f"govern database: {DATABASE}"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if DATABASE == "postgresql":
        return
    skip = pytest.mark.skip(reason="PostgreSQL only; runs in the PostgreSQL pass")
    for item in items:
        if "postgresql_only" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def slapd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Slapd]:
    server = start_slapd(tmp_path_factory.mktemp("slapd") / "run")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def database_urls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """(service URL, owner URL) of a migrated throwaway database."""
    yield from _throwaway_database(tmp_path_factory.mktemp("db"))


def _postgres_database() -> Iterator[tuple[str, str]]:
    suffix = secrets.token_hex(4)
    name, owner, service = f"govern_test_{suffix}", f"govern_owner_{suffix}", f"govern_svc_{suffix}"
    admin = create_engine(
        POSTGRES_ADMIN.replace("postgresql://", "postgresql+psycopg://"),
        isolation_level="AUTOCOMMIT",
    )
    with admin.connect() as connection:
        connection.execute(text(f"CREATE ROLE {owner} LOGIN"))
        connection.execute(text(f"CREATE ROLE {service} LOGIN"))
        connection.execute(text(f"CREATE DATABASE {name} OWNER {owner}"))
    host = "postgresql://{}@127.0.0.1:5432/" + name
    try:
        yield host.format(service), host.format(owner)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            connection.execute(text(f"DROP ROLE IF EXISTS {service}"))
            connection.execute(text(f"DROP ROLE IF EXISTS {owner}"))
        admin.dispose()


@pytest.fixture
def empty_database(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """(service URL, owner URL) of a database of its own that no migration has touched."""
    yield from _throwaway_database(tmp_path)


def _throwaway_database(folder: Path) -> Iterator[tuple[str, str]]:
    if DATABASE == "sqlite":
        url = f"sqlite:///{folder / 'govern.db'}"
        yield url, url
        return
    yield from _postgres_database()


@pytest.fixture(scope="session")
def migrated(database_urls: tuple[str, str]) -> tuple[str, str]:
    """(service URL, owner URL) after `govern db upgrade`."""
    service, owner = database_urls
    upgrade(owner, service)
    return service, owner


@pytest.fixture
def owner_engine(migrated: tuple[str, str]) -> Iterator[Engine]:
    """The database as its owner; every table is emptied after the test."""
    engine = make_engine(migrated[1])
    yield engine
    wipe(engine)
    engine.dispose()


@pytest.fixture
def service_engine(migrated: tuple[str, str], owner_engine: Engine) -> Iterator[Engine]:
    """The database as the service; every table is emptied after the test (by `owner_engine`,
    so that what a test writes this way never reaches the next one)."""
    engine = make_engine(migrated[0])
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def audit_key_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("keys") / "audit.pem"
    path.write_bytes(new_private_key_pem())
    return path


@pytest.fixture(scope="session")
def data_keys_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("data-keys") / "data_keys.json"
    add_key(path)
    return path


@pytest.fixture(scope="session")
def telephony_key_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("telephony") / "telephony_key"
    new_telephony_key(path)
    return path


@pytest.fixture(scope="session")
def base_settings(
    slapd: Slapd,
    migrated: tuple[str, str],
    audit_key_file: Path,
    data_keys_file: Path,
    telephony_key_file: Path,
) -> Settings:
    service, owner = migrated
    settings = Settings(
        database_url=service,
        migration_database_url=owner,
        directory_url=slapd.url,
        secret_key=secrets.token_urlsafe(32),
        audit_key_file=audit_key_file,
        checkpoint_dir=audit_key_file.parent / "checkpoints",
        data_keys_file=data_keys_file,
        telephony_key_file=telephony_key_file,
        ldap_bind_dn=READER_DN,
        ldap_bind_password=slapd.reader_password,
        ldap_attributes=dict(DEFAULT_ATTRIBUTES),
        role_groups=load_role_groups(REPO_POLICIES / "roles.toml"),
        cookie_secure=True,
    )
    return settings


@pytest.fixture
def directory(slapd: Slapd) -> Iterator[LiveDirectory]:
    """This test's own subtree of the real directory, filled with the test staff."""
    live = LiveDirectory(slapd)
    yield live
    live.close()


@pytest.fixture
def settings(base_settings: Settings, directory: LiveDirectory, tmp_path: Path) -> Settings:
    return replace(
        base_settings,
        ldap_people_base=directory.tree.people,
        ldap_groups_base=directory.tree.groups,
        checkpoint_dir=tmp_path / "checkpoints",  # each test's own copy outside the database
    )


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def app(settings: Settings, clock: FixedClock, owner_engine: Engine) -> Iterator[Flask]:
    app = create_app(settings, clock=clock)
    yield app
    app.extensions["govern"].trail.stop()
    app.extensions["govern"].engine.dispose()


@pytest.fixture
def another_app(clock: FixedClock, owner_engine: Engine) -> Iterator[Callable[[Settings], Flask]]:
    """More instances of the service on the same database, shut down after the test."""
    apps: list[Flask] = []

    def make(settings: Settings) -> Flask:
        apps.append(create_app(settings, clock=clock))
        return apps[-1]

    yield make
    for extra in apps:
        extra.extensions["govern"].trail.stop()
        extra.extensions["govern"].engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def synced(app: Flask) -> Flask:
    """The app after one directory sync."""
    services = app.extensions["govern"]
    with services.sessions() as db:
        sync_directory(db, services.directory, services.context())
    return app


@pytest.fixture
def agency(synced: Flask, client: FlaskClient) -> Agency:
    return Agency(synced, client)


@pytest.fixture
def floor(agency: Agency, clock: FixedClock) -> Floor:
    """Accounts, certified staff (the intern not yet) and imported debtors."""
    return open_floor(agency, clock)


@pytest.fixture
def tmp_ldif(tmp_path: Path) -> Path:
    return tmp_path / "directory.ldif"
