"""Govern's two processes as an operator runs them, on a clock a test steps: gunicorn's app
(`gunicorn --config gunicorn.conf.py 'tests.support.clocked:served()'`) and the worker
(`python -m tests.support.clocked`), each on the `SteppedClock` of the file that
GOVERN_TEST_CLOCK_FILE names, configured otherwise from the environment as `govern.wsgi`
and `govern worker` are. Nothing in Govern reads that variable: the clock reaches the service
through `create_app(clock=...)`, the one way time enters it."""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask

from govern.app import create_app
from govern.operations.worker import run_worker, start_served
from tests.support.clock import CLOCK_FILE, SteppedClock


def stepped_app() -> Flask:
    return create_app(clock=SteppedClock(Path(os.environ[CLOCK_FILE])))


def served() -> Flask:
    """gunicorn's app, with its jobs where GOVERN_BACKGROUND_JOBS says (as govern.wsgi)."""
    app = stepped_app()
    start_served(app)
    return app


if __name__ == "__main__":  # the worker, as `govern worker` runs it
    worker = stepped_app()
    with worker.app_context():
        run_worker(worker)
