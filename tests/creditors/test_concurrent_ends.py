"""Two instances ending one contract at once (a person at the console and the worker's job):
one ends it, the other is told it has ended; one certificate, its counts the end's."""

from __future__ import annotations

import threading
from datetime import date

import pytest

from govern.config import Settings
from govern.creditors.service import end_contract
from govern.errors import Conflict
from tests.creditors.test_contract_end import BANK, creditor
from tests.support.floor import Floor


@pytest.mark.postgresql_only  # SQLite writes one at a time: no two ends interleave
def test_two_ends_at_once_issue_one_certificate(
    floor: Floor, settings: Settings, another_app
) -> None:
    _, bank = creditor(floor, BANK, date(2027, 6, 30), ["scheduled_call"])
    instances = [floor.agency.app.extensions["govern"], another_app(settings).extensions["govern"]]
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def end(services) -> None:
        with services.sessions() as db:
            barrier.wait()
            try:
                end_contract(db, services.context(), "system:contract-end", bank["id"])
                outcomes.append("ended")
            except Conflict as refused:
                outcomes.append(refused.code)
            except Exception as failed:
                outcomes.append(type(failed).__name__)

    threads = [threading.Thread(target=end, args=(s,)) for s in instances]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert sorted(outcomes) == ["creditor.ended", "ended"]
    assert len(floor.events("creditor.contract_ended")) == 1
    assert len(floor.events("creditor.certificate_issued")) == 1
    status, certificate = floor.call("GET", f"/api/v1/creditors/{bank['id']}/certificate", "gm")
    assert status == 200
    ended = floor.events("creditor.contract_ended")[0]["details"]
    destroyed = certificate["document"]["destroyed"]
    assert destroyed["lookup_digests"] == ended["lookup_digests"] > 0
    assert destroyed["debtors"] == ended["debtors"] > 0
