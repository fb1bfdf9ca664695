"""Fixtures of the sign-in tests: a directory of the test's own, to stop and start again."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import Engine

from govern.app import create_app
from govern.clock import FixedClock
from govern.config import Settings
from tests.support.agency import Agency
from tests.support.slapd import Slapd, start_slapd
from tests.support.staff import LiveDirectory


@pytest.fixture
def own_slapd(tmp_path: Path) -> Iterator[Slapd]:
    """A slapd of this test's own, to stop and start again."""
    server = start_slapd(tmp_path / "slapd")
    yield server
    server.stop()


@pytest.fixture
def outage_agency(
    own_slapd: Slapd, settings: Settings, clock: FixedClock, owner_engine: Engine
) -> Iterator[Agency]:
    """An agency whose service asks `own_slapd` (the test staff in it), synced once."""
    live = LiveDirectory(own_slapd)
    app = create_app(
        replace(
            settings,
            directory_url=own_slapd.url,
            ldap_bind_password=own_slapd.reader_password,
            ldap_people_base=live.tree.people,
            ldap_groups_base=live.tree.groups,
        ),
        clock=clock,
    )
    agency = Agency(app, app.test_client())
    agency.sync()
    yield agency
    live.close()
    app.extensions["govern"].trail.stop()
    app.extensions["govern"].engine.dispose()
