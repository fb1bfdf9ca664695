"""The trail on the test database, without Flask: a signer, a checkpoint copy, helpers."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine

from audit import store
from audit.checkpointing import CheckpointFile
from audit.entry import Record
from audit.signing import Signer

AT = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)


@pytest.fixture
def signer() -> Signer:
    return Signer(Ed25519PrivateKey.generate())


@pytest.fixture
def copy(tmp_path: Path) -> CheckpointFile:
    return CheckpointFile(tmp_path / "checkpoints")


def view(i: int) -> Record:
    return Record(
        "debtor.viewed",
        "GV-TEST-0001",
        f"debtor-{i}",
        {"fields": {"phone": "full", "name": "masked"}},
        f"req-{i}",
        "127.0.0.1",
    )


def append_views(engine: Engine, count: int, start: int = 0) -> list[int]:
    with engine.begin() as connection:
        return store.append(connection, [view(start + i) for i in range(count)], AT)
