"""A separate process that appends to the trail: for the two-writers test."""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from audit import store
from audit.entry import Record
from govern.db import make_engine


def main(url: str, count: int, name: str, go: str) -> None:
    engine = make_engine(url)
    while not Path(go).exists():  # start together, so the writers really overlap
        time.sleep(0.01)
    for i in range(count):
        with engine.begin() as connection:
            store.append(connection, [Record("test.append", name, f"item-{i}")], datetime.now(UTC))
    engine.dispose()


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4])
