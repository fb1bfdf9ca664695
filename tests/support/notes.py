"""Notes as a collector writes them through the API."""

from __future__ import annotations

from typing import Any

from tests.support.floor import Floor

TEXT = "客户表示月底前还款，已告知还款渠道。"


def note(floor: Floor, who: str, case: str, **body: Any) -> tuple[int, Any]:
    """POST a note: a connected outbound call note with the debtor unless told otherwise (a
    field given as None is left out)."""
    sent = {"party": "debtor", "direction": "outbound", "outcome": "connected", "text": TEXT}
    sent |= {"purpose": "remind_due"} | body
    sent = {name: value for name, value in sent.items() if value is not None}
    return floor.call("POST", f"/api/v1/debtors/{floor.debtors[case]}/notes", who, json=sent)


def plain_note(floor: Floor, who: str, case: str, **body: Any) -> tuple[int, Any]:
    """POST a note of no call (a letter, a visit)."""
    return note(floor, who, case, direction="none", outcome="none", **body)


def notes(floor: Floor, who: str, case: str) -> tuple[int, Any]:
    return floor.call("GET", f"/api/v1/debtors/{floor.debtors[case]}/notes", who)
