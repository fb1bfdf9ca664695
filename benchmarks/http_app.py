"""The service as gunicorn serves it (`govern.wsgi`), plus, for the benchmarks only, the same
debtor read without governance (`benchmarks/ungoverned.py`).

With GOVERN_BENCH_PROFILE set to a folder, each process profiles its debtor reads, governed
and not, with cProfile (`benchmarks/profiled.py`): the figures are then the profiler's, not
the service's."""

from __future__ import annotations

import os
from pathlib import Path

from benchmarks.profiled import PROFILED_PATHS, Profiled
from benchmarks.ungoverned import bench
from govern.wsgi import app

app.register_blueprint(bench)
if os.environ.get("GOVERN_BENCH_PROFILE"):
    app.wsgi_app = Profiled(  # type: ignore[method-assign]
        app.wsgi_app, Path(os.environ["GOVERN_BENCH_PROFILE"]), PROFILED_PATHS
    )
