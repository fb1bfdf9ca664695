"""The WSGI entry point for gunicorn: the app, and its background jobs when they run here.

`gunicorn 'govern.wsgi:app'` (with the repository's gunicorn.conf.py, which also calls
`govern.operations.worker.stop` as each worker exits). Background jobs start here, never in
`create_app`, so CLI commands and tests run none; with GOVERN_BACKGROUND_JOBS=worker they run
in `govern worker` instead (govern/operations/worker.py).
"""

from govern.app import create_app
from govern.operations.worker import start_served

app = create_app()
start_served(app)
