"""The WSGI entry point for gunicorn: the app plus its background jobs.

`gunicorn 'govern.wsgi:app'`. Background jobs start here, never in `create_app`, so CLI
commands and tests run none.
"""

from govern.app import create_app
from govern.directory.schedule import start_periodic_sync

app = create_app()
start_periodic_sync(app)
