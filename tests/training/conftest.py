"""A training desk: the agency with accounts for the people training involves, and an API
client that acts as any of them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from govern.clock import FixedClock
from govern.config import Settings
from tests.support.agency import Agency, audit_events, bearer
from tests.support.clock import SHANGHAI

PEOPLE = ("col.a1", "col.a2", "col.b1", "intern.a", "trainer", "office", "hr", "auditor", "it")


@dataclass
class Desk:
    agency: Agency
    clock: FixedClock
    ids: dict[str, str]

    @property
    def client(self) -> FlaskClient:
        return self.agency.client

    def call(self, method: str, path: str, who: str, **kwargs: Any) -> tuple[int, Any]:
        """Call the API as `who` (signed in afresh, so moving the clock is safe)."""
        response = self.client.open(
            path, method=method, headers=bearer(self.agency.login(who)), **kwargs
        )
        body = response.get_json(silent=True)
        return response.status_code, body if body is not None else response.get_data(as_text=True)

    def at(self, text: str) -> None:
        """Move the clock to `text`, company time (`2026-12-04 12:00`)."""
        self.clock.set(datetime.fromisoformat(text).replace(tzinfo=SHANGHAI))

    def approved_plan(self, starts: str = "2026-01-01", ends: str = "2026-12-31") -> str:
        status, plan = self.call(
            "POST",
            "/api/v1/training/plans",
            "office",
            json={
                "title": "2026 staff training",
                "term": "long",
                "tracks": ["intern", "ordinary", "management"],
                "starts": starts,
                "ends": ends,
            },
        )
        assert status == 201, plan
        status, plan = self.call("POST", f"/api/v1/training/plans/{plan['id']}/approval", "gm")
        assert status == 200, plan
        return plan["id"]

    def sessions(self, start: str, end: str, who: str = "col.a1", **query: str) -> list[dict]:
        status, body = self.call(
            "GET",
            "/api/v1/training/sessions",
            who,
            query_string={"from": start, "to": end, **query},
        )
        assert status == 200, body
        return body["sessions"]

    def result(self, course: str, who: str, score: Any, by: str = "trainer") -> tuple[int, Any]:
        return self.call(
            "POST",
            f"/api/v1/exams/{course}/results",
            by,
            json={"account_id": self.ids[who], "score": score},
        )

    def certifications(self, who: str, viewer: str | None = None) -> dict[str, Any]:
        status, body = self.call(
            "GET", f"/api/v1/accounts/{self.ids[who]}/certifications", viewer or who
        )
        assert status == 200, body
        return body

    def events(self, action: str) -> list[dict]:
        return audit_events(self.agency.client, self.agency.login("auditor"), action)


@pytest.fixture
def desk(agency: Agency, clock: FixedClock) -> Desk:
    return Desk(agency, clock, agency.with_accounts(*PEOPLE))


@pytest.fixture
def desk_with(desk: Desk, another_app: Callable[[Settings], Flask]) -> Callable[..., Desk]:
    """The same agency served by another instance whose settings differ as told."""

    def make(**changes: Any) -> Desk:
        settings = replace(desk.agency.services.settings, **changes)
        app = another_app(settings)
        return Desk(Agency(app, app.test_client()), desk.clock, desk.ids)

    return make
