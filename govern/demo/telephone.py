"""The demo's telephone system: it reports calls to Govern the way the agency's telephone
system would, each call detail record signed with the telephony key (R-NTE-2,
govern/contact/telephony.py). Its calls go over the demo's registered lines to and from the
demo debtors' own phones, and one goes over a line nobody registered, to be flagged."""

from __future__ import annotations

import csv
import io
import json
import secrets
import urllib.error
import urllib.request
from datetime import datetime, timedelta
from typing import Any

from govern.contact.telephony import signed_headers
from govern.demo.debtors import demo_debtors_csv

#: The demo agency's recorded landlines, registered by `govern demo seed`.
LINES = (
    ("0571-8690 1001", "杭州 催收一部 1 号席"),
    ("0571-8690 1002", "杭州 催收二部 1 号席"),
)
UNREGISTERED = "0571-8690 1999"  # a line nobody registered: its call is flagged
PATH = "/api/v1/calls"


def demo_calls(now: datetime, count: int) -> list[dict[str, Any]]:
    """`count` call detail records that ended before `now`, alternately outbound and inbound,
    the last over the unregistered line."""
    phones = _debtor_phones(count)
    batch = secrets.token_hex(4)
    records = []
    for index in range(count):
        started = now - timedelta(minutes=3 * (count - index))
        answered = index % 3 != 2  # every third call is not answered
        line = UNREGISTERED if index == count - 1 else LINES[index % len(LINES)][0]
        records.append(
            {
                "system_call_id": f"SIM-{batch}-{index + 1}",
                "line": line,
                "number": phones[index],
                "direction": "outbound" if index % 2 == 0 else "inbound",
                "started_at": _instant(started),
                "answered_at": _instant(started + timedelta(seconds=8)) if answered else None,
                "ended_at": _instant(started + timedelta(seconds=95 if answered else 30)),
                "recording_id": f"REC-{batch}-{index + 1}" if answered else None,
            }
        )
    return records


def report(url: str, key: bytes, record: dict[str, Any], now: datetime) -> tuple[int, Any]:
    """POST one record to Govern at `url`, signed; returns (status, answer)."""
    body = json.dumps(record).encode()
    request = urllib.request.Request(url.rstrip("/") + PATH, data=body, method="POST")
    request.add_header("Content-Type", "application/json")
    for name, value in signed_headers(key, "POST", PATH, body, now).items():
        request.add_header(name, value)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def _debtor_phones(count: int) -> list[str]:
    rows = csv.DictReader(io.StringIO(demo_debtors_csv(count)))
    return [row["phones"].split(";")[0] for row in rows]


def _instant(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")
