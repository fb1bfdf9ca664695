"""Fixtures of the operations tests that stop the database or fill its disk: a private
PostgreSQL server (tests/support/postgres.py), a database of each test's own on it, and the
collection floor there."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from govern.clock import FixedClock
from govern.config import Settings
from tests.support.floor import Floor
from tests.support.postgres import (
    Cluster,
    Private,
    floor_on,
    missing_reason,
    private_cluster,
    private_database,
    skip_unless_possible,
)


@pytest.fixture(scope="session")
def cluster() -> Iterator[Cluster]:
    """A private PostgreSQL server, to stop and start at will (a test that stops it starts it
    again). Skipped where no server is installed, except under CI=true."""
    skip_unless_possible(missing_reason())
    with private_cluster() as started:
        yield started


@pytest.fixture
def private(cluster: Cluster, settings: Settings) -> Iterator[Private]:
    """A migrated database of this test's own on the private server."""
    with private_database(cluster, settings) as made:
        yield made


@pytest.fixture
def private_floor(private: Private, clock: FixedClock) -> Iterator[Floor]:
    """The collection floor (tests/support/floor.py) on that database."""
    with floor_on(private, clock) as floor:
        yield floor
