"""Writing checkpoints: in the database and, as a copy others can ship away, in a file."""

from __future__ import annotations

import logging
import os
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine

from audit import store
from audit.merkle import Frontier
from audit.signing import Checkpoint, Signer, verify_checkpoint

FILE_NAME = "checkpoints.jsonl"
log = logging.getLogger(__name__)


class CheckpointFile:
    """An append-only JSON-lines copy of every checkpoint, outside the database."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / FILE_NAME

    def append(self, checkpoint: Checkpoint) -> None:
        line = (checkpoint.to_json() + "\n").encode()
        descriptor = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
        try:
            os.write(descriptor, line)
            os.fsync(descriptor)
        finally:
            os.close(descriptor)

    def read(self) -> list[Checkpoint]:
        if not self.path.exists():
            return []
        lines = self.path.read_text(encoding="utf-8").splitlines()
        return [Checkpoint.from_json(line) for line in lines if line.strip()]


def write_checkpoint(
    engine: Engine,
    signer: Signer,
    copy: CheckpointFile,
    now: datetime,
    *,
    every: int = 1000,
    seconds: float = 1.0,
    force: bool = False,
) -> Checkpoint | None:
    """Sign the tree as it stands if a checkpoint is due (or `force`); None if not due.

    Due when `every` events or `seconds` have passed since the last checkpoint. Only one
    instance writes at a time; the others skip.
    """
    with engine.begin() as connection:
        if not store.try_lock(connection, store.CHECKPOINT_LOCK):
            return None
        latest = store.newest_sound_checkpoint(connection, signer.public_key)
        size = store.size(connection)
        base = latest[0].tree_size if latest else 0
        if size <= base or not (
            force or latest is None or _due(latest[0], size, now, every, seconds)
        ):
            return None
        leaves = store.leaf_hashes(connection, base + 1, size)
        if len(leaves) != size - base:  # a hole in the numbers: sign nothing, verify will say
            log.error("audit events %d..%d are not all there; no checkpoint signed", base + 1, size)
            return None
        frontier, noted = latest[1] if latest else Frontier(), []
        for leaf in leaves:
            frontier.append(leaf, noted, store.NODE_LEAST)
        checkpoint = signer.sign(size, frontier.root(), now)
        store.save_checkpoint(connection, checkpoint, frontier, noted)
    copy.append(checkpoint)  # after the commit: a copy never names a checkpoint that isn't
    return checkpoint


def complete_copy(engine: Engine, signer: Signer, copy: CheckpointFile) -> int:
    """Append to the file any checkpoint (signed by this service) that a crash left only in the
    database. Returns how many."""
    in_file = {checkpoint.tree_size for checkpoint in copy.read()}
    with engine.connect() as connection:
        stored = store.stored_checkpoints(connection)
    missing = [
        c
        for c in stored
        if c.tree_size not in in_file
        and c.key_id == signer.key_id
        and verify_checkpoint(c, signer.public_key)
    ]
    for checkpoint in missing:
        copy.append(checkpoint)
    return len(missing)


def _due(latest: Checkpoint, size: int, now: datetime, every: int, seconds: float) -> bool:
    age = (now - datetime.fromisoformat(latest.time.replace("Z", "+00:00"))).total_seconds()
    return size - latest.tree_size >= every or age >= seconds
