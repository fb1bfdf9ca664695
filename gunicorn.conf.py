"""Gunicorn's settings for Govern (docs/deploy.md). Gunicorn reads this file from the folder it
starts in, or from `--config PATH`; a command-line option overrides a line here, e.g.
`gunicorn --workers 8 govern.wsgi:app`.

Behind a reverse proxy on the same machine (docs/deploy.md, "TLS in front"); the background
jobs run in `govern worker` when GOVERN_BACKGROUND_JOBS=worker.
"""

wsgi_app = "govern.wsgi:app"
bind = "127.0.0.1:8000"  # the reverse proxy's upstream; nothing else should reach it
worker_class = "gthread"
preload_app = False  # each worker builds its own app: connections and threads survive no fork
workers = 2  # processes: about one per core
threads = 8  # requests at once per process; a debtor view mostly waits on the database
#: A worker silent this long is killed and replaced. Above the longest answer Govern gives on
#: purpose (an auditor's query is stopped at GOVERN_AUDIT_QUERY_SECONDS, 30).
timeout = 60
#: On SIGTERM, requests under way get this long to finish (their audit events durable) before
#: the worker is stopped; systemd's TimeoutStopSec (deploy/systemd) waits longer still.
graceful_timeout = 45
keepalive = 5  # seconds an idle proxy connection stays open
#: Govern writes its own access line (logger `govern.access`, with the request id, the route
#: and the duration; docs/operations.md#logs): gunicorn's access log stays off. Turned on
#: (`--access-logfile -`), it carries the same request id, and the address asked (`%(r)s`),
#: which may hold a debtor's id: keep it as private as the database.
accesslog = None
access_log_format = '%(h)s "%(r)s" %(s)s %(M)sms %({x-request-id}o)s'
errorlog = "-"  # gunicorn's own lines (workers booting, stopping) on stderr
#: No `gunicornc` control socket: systemd (or the container) manages the processes, and two
#: gunicorns of one user would otherwise share its one path.
control_socket_disable = True


def worker_exit(server: object, worker: object) -> None:
    """After a worker's last request: the audit events handed in made durable, and the jobs
    that run here (GOVERN_BACKGROUND_JOBS=web) stopped, their leader lock freed. The app is
    the one this worker loaded (`govern.wsgi:app`, or whichever app the command line names)."""
    app = getattr(worker, "wsgi", None)
    if "govern" in getattr(app, "extensions", {}):  # not: the worker died before loading it
        from govern.operations.worker import stop

        stop(app)  # type: ignore[arg-type]


#: What gunicorn reads of a request before any of it reaches Govern: the request line, how many
#: headers and how long each may be (gunicorn's own defaults, set here on purpose). A request
#: past them is answered by gunicorn itself, 414 for the line and 431 for the headers, in a few
#: lines of HTML without X-Request-Id, and Govern never sees it (docs/security.md, "Hostile
#: input"). Govern's longest address, an auditor's query with every filter, is a few hundred
#: bytes; a session token is 43.
limit_request_line = 4094
limit_request_fields = 100
limit_request_field_size = 8190
