"""Entrustment scope (issue 18, item 4): a creditor's debtors are read only once its contract
has started, on every path that opens a debtor's data; and no debtor is imported for a creditor
whose contract has ended, whether its keys are destroyed yet or not."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from click.testing import Result
from flask import Flask
from sqlalchemy import func, select

from govern.cli import cli
from govern.clock import FixedClock
from govern.debtors.models import Debtor
from govern.debtors.vault import destroy_keys
from tests.creditors.test_contract_end import BANK, LENDER, TODAY, creditor
from tests.support.clock import SHANGHAI
from tests.support.debtors import CASES, as_csv, id_number
from tests.support.floor import Floor
from tests.support.notes import notes, plain_note

FIRST_DAY = date(2026, 11, 30)  # two days after the floor's today
NOT_STARTED = "creditor.contract_not_started"


def refused(answer: tuple[int, object]) -> tuple[int, str]:
    status, body = answer
    return status, body["error"]["code"]  # type: ignore[index]


def contact_check(floor: Floor, case: str) -> tuple[int, object]:
    path = f"/api/v1/debtors/{floor.debtors[case]}/contact-check"
    return floor.call("POST", path, "col.a1", json={"party": "debtor", "phone": CASES[0].phone})


def caseload(floor: Floor) -> list[str]:
    query = {"assigned": "me"}
    return [
        d["id"]
        for d in floor.call("GET", "/api/v1/debtors", "col.a1", query_string=query)[1]["debtors"]
    ]


def search(floor: Floor) -> object:
    return floor.call("POST", "/api/v1/debtors/search", "col.a1", json={"phone": CASES[0].phone})


def test_a_creditors_debtors_are_refused_on_every_path_until_its_contract_starts(
    floor: Floor, clock: FixedClock
) -> None:
    status, bank = creditor(floor, BANK, date(2027, 6, 30), ["scheduled_call"], start=FIRST_DAY)
    assert status == 201, bank
    assert refused(floor.view("col.a1", "C-001")) == (403, NOT_STARTED)
    assert refused(floor.reveal("col.a1", "C-001", ["phones"])) == (403, NOT_STARTED)
    assert refused(notes(floor, "col.a1", "C-001")) == (403, NOT_STARTED)
    assert refused(plain_note(floor, "col.a1", "C-001")) == (403, NOT_STARTED)
    assert refused(contact_check(floor, "C-001")) == (403, NOT_STARTED)
    assert caseload(floor) == []  # left out, not a failed list
    assert search(floor)[1]["debtors"] == []  # type: ignore[index]
    denial = floor.events("access.denied")[-1]
    assert (denial["object"], denial["details"]["code"]) == (floor.debtors["C-001"], NOT_STARTED)

    clock.set(datetime(2026, 11, 29, 23, 59, 59, tzinfo=SHANGHAI))  # the eve of its first day
    assert refused(floor.view("col.a1", "C-001")) == (403, NOT_STARTED)
    clock.set(datetime(2026, 11, 30, 0, 0, tzinfo=SHANGHAI))  # its first day, in the company's zone
    assert floor.view("col.a1", "C-001")[0] == 200
    assert floor.reveal("col.a1", "C-001", ["phones"])[0] == 200
    assert notes(floor, "col.a1", "C-001")[0] == 200
    assert contact_check(floor, "C-001")[0] == 200
    assert floor.debtors["C-001"] in caseload(floor)
    assert len(search(floor)[1]["debtors"]) == 1  # type: ignore[index]


def test_explain_answers_not_started_as_the_door_does(floor: Floor) -> None:
    creditor(floor, BANK, date(2027, 6, 30), ["scheduled_call"], start=FIRST_DAY)
    query = {"account": floor.ids["col.a1"], "debtor": floor.debtors["C-001"], "field": "name"}
    status, answer = floor.call("GET", "/api/v1/access/explain", "padmin", query_string=query)
    assert (status, answer["allowed"], answer["reason"]) == (200, False, NOT_STARTED)


def govern(app: Flask, *args: str) -> Result:
    return app.test_cli_runner().invoke(cli, list(args))


def lender_file(folder: Path) -> Path:
    row = {**CASES[0].row(), "case_no": "L-001", "client": LENDER, "name": "钱七"}
    row |= {"phones": "13600001234", "id_number": id_number("11010119800101111")}
    file = folder / "lender.csv"
    file.write_text(as_csv([CASES[0].row() | {"case_no": "C-100"}, row]), encoding="utf-8")
    return file


def debtors(floor: Floor) -> int:
    with floor.agency.services.sessions() as db:
        return db.scalar(select(func.count()).select_from(Debtor)) or 0


def test_no_debtor_is_imported_for_a_creditor_whose_contract_has_ended(
    floor: Floor, clock: FixedClock, tmp_path: Path
) -> None:
    assert creditor(floor, LENDER, TODAY, ["scheduled_call"])[0] == 201
    file, before = lender_file(tmp_path), debtors(floor)
    clock.advance(days=1)  # its last day over; the worker has not ended it yet
    result = govern(floor.agency.app, "debtors", "import", str(file))
    assert result.exit_code == 1, result.output
    assert "[creditor.contract_ended]" in result.output and LENDER in result.output
    assert debtors(floor) == before  # nothing of the file, not even the bank's row


def test_no_debtor_is_imported_for_a_creditor_whose_keys_are_destroyed(
    floor: Floor, tmp_path: Path
) -> None:
    _, lender = creditor(floor, LENDER, date(2027, 6, 30), ["scheduled_call"])
    file, before = lender_file(tmp_path), debtors(floor)
    path = f"/api/v1/creditors/{lender['id']}/end"
    assert floor.call("POST", path, "gm", json={"name": LENDER})[0] == 200
    result = govern(floor.agency.app, "debtors", "import", str(file))
    assert result.exit_code == 1 and "[creditor.contract_ended]" in result.output
    assert debtors(floor) == before


def test_an_end_a_crash_cut_short_refuses_an_import_too(floor: Floor, tmp_path: Path) -> None:
    creditor(floor, LENDER, date(2027, 6, 30), ["scheduled_call"])
    file, before = lender_file(tmp_path), debtors(floor)
    destroy_keys(floor.agency.services.settings.data_keys_file, LENDER)  # the database not told
    result = govern(floor.agency.app, "debtors", "import", str(file))
    assert result.exit_code == 1 and "[creditor.keys_destroyed]" in result.output
    assert debtors(floor) == before


def test_a_creditor_whose_contract_has_not_started_may_have_its_debtors_imported(
    floor: Floor, tmp_path: Path
) -> None:
    creditor(floor, LENDER, date(2027, 6, 30), ["scheduled_call"], start=FIRST_DAY)
    before = debtors(floor)
    result = govern(floor.agency.app, "debtors", "import", str(lender_file(tmp_path)))
    assert result.exit_code == 0, result.output
    assert debtors(floor) == before + 2
