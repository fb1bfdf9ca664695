"""The tests' "now", and the host's time as processes of their own see it (`SteppedClock`)."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
#: A Saturday morning in the company's time zone.
NOW = datetime(2026, 11, 28, 10, 0, tzinfo=SHANGHAI)
#: The variable naming a `SteppedClock`'s file, for processes of their own
#: (tests/support/clocked.py).
CLOCK_FILE = "GOVERN_TEST_CLOCK_FILE"


class SteppedClock:
    """This machine's time, stepped by the seconds a file holds (none: not stepped).

    Every process given the same file sees the same time, as processes on one host do; a test
    steps it (`step`) as NTP or an operator steps the host's clock: at once, for all of them,
    while the time goes on running. Govern takes it through its clock object
    (`create_app(clock=...)`), as the tests' in-process apps take a FixedClock; only the entry
    points of tests/support/clocked.py hand it to gunicorn and `govern worker`.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._read: tuple[tuple[int, int, int] | None, float] = (None, 0.0)

    def now(self) -> datetime:
        return datetime.now(UTC) + timedelta(seconds=self._offset())

    def step(self, **delta: float) -> None:
        """Move the time of every process reading the file by `delta` (forward or back)."""
        offset = self._offset() + timedelta(**delta).total_seconds()
        written = self.path.with_suffix(".new")
        written.write_text(repr(offset))
        os.replace(written, self.path)  # read whole or not at all

    def _offset(self) -> float:
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            return 0.0
        seen = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
        if self._read[0] != seen:
            self._read = (seen, float(self.path.read_text()))
        return self._read[1]
