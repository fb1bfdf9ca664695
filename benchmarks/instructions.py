"""For `benchmarks/load.py --instructions N`: run under valgrind's callgrind, this process
serves debtor reads one at a time through Flask's test client, governed and ungoverned, and
asks callgrind for its instruction count after each kind (`callgrind_control`). Instruction
counts barely move with the machine's load, so they compare two versions of the code where
wall-clock figures on a busy machine cannot. Every thread of the process is counted (the
trail's group committer too); PostgreSQL's work is not.

`python -m benchmarks.instructions PAIRS N OUT`: PAIRS a JSON file of (token, debtor id), N
views of each kind after a warm-up; the counts are written to OUT as JSON."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from benchmarks.ungoverned import bench
from govern.app import create_app
from govern.config import load_settings
from govern.operations.worker import start_served

WARM = 20
KINDS = {"governed": "/api/v1/debtors/", "ungoverned": "/bench/raw/"}


def callgrind(option: str) -> None:
    """Ask the callgrind running this process to zero (-z) or dump (-d) its counters; returns
    once it has."""
    subprocess.run(
        ["callgrind_control", option, str(os.getpid())], check=True, stdout=subprocess.DEVNULL
    )


def main() -> None:
    pairs_file, views, out = Path(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3])
    pairs = json.loads(pairs_file.read_text())
    app = create_app(load_settings({**os.environ, "GOVERN_LOG_LEVEL": "WARNING"}))
    app.register_blueprint(bench)
    start_served(app)  # as gunicorn's processes: the worker signs the checkpoints
    client = app.test_client()
    for kind, prefix in KINDS.items():
        asked = [(token, f"{prefix}{debtor}") for token, debtor in pairs]
        for n in range(WARM):  # the policy table, the pool, the statements, the committer
            _get(client, *asked[n % len(asked)], f"warm-{kind}-{n}")
    callgrind("-z")
    for kind, prefix in KINDS.items():
        asked = [(token, f"{prefix}{debtor}") for token, debtor in pairs]
        for n in range(views):
            _get(client, *asked[n % len(asked)], f"ir-{kind}-{n}")
        callgrind("-d")  # a dump zeroes the counters: each dump holds one kind
    app.extensions["govern"].trail.stop()
    out.write_text(json.dumps({"views": views, "kinds": list(KINDS)}))


def _get(client: object, token: str, path: str, request_id: str) -> None:
    headers = {"Authorization": f"Bearer {token}", "X-Request-Id": request_id}
    answer = client.get(path, headers=headers)  # type: ignore[attr-defined]
    if answer.status_code != 200:
        raise SystemExit(f"{path}: {answer.status_code} {answer.get_data(as_text=True)}")


if __name__ == "__main__":
    main()
