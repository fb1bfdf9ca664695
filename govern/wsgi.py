"""The WSGI entry point for gunicorn: the app plus its background jobs.

`gunicorn 'govern.wsgi:app'`. Background jobs start here, never in `create_app`, so CLI
commands and tests run none: the trail's committer and checkpoints (after anchoring whatever
a crash left unanchored), the periodic directory sync, and deprovisioning (a catch-up sweep,
a job at each departure instant, a daily sweep).
"""

from govern.app import create_app
from govern.deprovision.scheduler import start_deprovisioning
from govern.directory.periodic_sync import start_periodic_sync

app = create_app()
app.extensions["govern"].trail.start()
start_periodic_sync(app)
start_deprovisioning(app)
