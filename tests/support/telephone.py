"""The telephone system, as the tests play it: call detail records signed with the telephony
key, posted to `POST /api/v1/calls` (govern/contact/telephony.py)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from govern.contact.telephony import signed_headers

PATH = "/api/v1/calls"


def record(
    system_call_id: str,
    line: str,
    number: str,
    start: datetime,
    *,
    direction: str = "outbound",
    answered: bool = True,
) -> dict[str, Any]:
    """A call detail record: a call started at `start`, lasting two minutes."""
    return {
        "system_call_id": system_call_id,
        "line": line,
        "number": number,
        "direction": direction,
        "started_at": start.isoformat(),
        "answered_at": (start + timedelta(seconds=10)).isoformat() if answered else None,
        "ended_at": (start + timedelta(minutes=2)).isoformat(),
        "recording_id": f"REC-{system_call_id}" if answered else None,
    }


class Telephone:
    """Posts records as the agency's telephone system would, signed at the app's "now"."""

    def __init__(self, app: Flask, client: FlaskClient) -> None:
        self.services = app.extensions["govern"]
        self.client = client

    def headers(self, body: bytes, at: datetime | None = None, path: str = PATH) -> dict:
        moment = at or self.services.clock.now()
        return signed_headers(self.services.telephony_key, "POST", path, body, moment)

    def report(self, sent: dict[str, Any], **headers: str) -> tuple[int, Any]:
        body = json.dumps(sent).encode()
        response = self.client.post(
            PATH,
            data=body,
            headers={"Content-Type": "application/json", **self.headers(body), **headers},
        )
        return response.status_code, response.get_json()
