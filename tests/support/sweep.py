"""Run one departure sweep in a process of its own, configured from the environment, and
print how many accounts it revoked (after a first line, `waiting`, once it is started): two
of these at once must revoke each account once.

It sweeps once its clock reads GOVERN_TEST_SWEEP_AT (seconds since the epoch): this machine's
time, or the stepped clock of GOVERN_TEST_CLOCK_FILE when that is set
(tests/support/clocked.py), so that it sweeps the moment a step carries the time there."""

import os
import time

from govern.app import create_app
from govern.deprovision.service import revoke_due
from tests.support.clock import CLOCK_FILE
from tests.support.clocked import stepped_app

if __name__ == "__main__":
    app = stepped_app() if CLOCK_FILE in os.environ else create_app()
    services = app.extensions["govern"]
    at = float(os.environ.get("GOVERN_TEST_SWEEP_AT", "0"))
    print("waiting", flush=True)  # started: the test may move the time now
    while services.clock.now().timestamp() < at:
        time.sleep(0.01)
    with services.sessions() as db:
        report = revoke_due(db, services.context())
    print(len(report.revoked))
