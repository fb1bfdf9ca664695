"""Run one departure sweep in a process of its own, configured from the environment, and
print how many accounts it revoked: two of these at once must revoke each account once."""

import os
import time

from govern.app import create_app
from govern.deprovision.service import revoke_due

if __name__ == "__main__":
    app = create_app()
    time.sleep(max(0.0, float(os.environ.get("GOVERN_TEST_SWEEP_AT", "0")) - time.time()))
    services = app.extensions["govern"]
    with services.sessions() as db:
        report = revoke_due(db, services.context())
    print(len(report.revoked))
