"""Puts the agency into a known state through the same service functions the API uses."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from govern.accounts import repository as repo
from govern.accounts.models import Account
from govern.accounts.service import bootstrap_general_manager, issue_account, revoke_account
from govern.actor import Actor
from govern.directory.sync import sync_directory
from tests.support.staff import BY_USERNAME


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def audit_events(client: FlaskClient, token: str, action: str) -> list[dict]:
    """The trail's events of one kind, as an auditor asks for them (any time)."""
    response = client.get(
        "/api/v1/audit/events",
        headers=bearer(token),
        query_string={
            "action": action,
            "from": "2025-01-01T00:00:00Z",
            "to": "2030-01-01T00:00:00Z",  # the fixed clock's "now" would exclude itself
        },
    )
    assert response.status_code == 200, response.get_json()
    return response.get_json()["events"]


class Agency:
    """Puts the agency in a known state through the same service functions the API uses."""

    def __init__(self, app: Flask, client: FlaskClient) -> None:
        self.app, self.client = app, client
        self.services = app.extensions["govern"]

    def bootstrap(self) -> str:
        with self.services.sessions() as db:
            return bootstrap_general_manager(
                db,
                self.services.context(),
                "1001",
                "operator:test",
            ).id

    def issue(self, username: str, by: str) -> str:
        """Issue `username`'s account as `by` would; returns the account id."""
        s = self.services
        with s.sessions() as db:
            issuer = repo.identity(db, BY_USERNAME[by].number)
            issuer_account = repo.live_account(db, issuer.employee_number)
            account, _ = issue_account(
                db,
                s.context(),
                Actor(repo.staff_of(issuer), issuer_account.id),
                BY_USERNAME[username].number,
            )
            return account.id

    def with_accounts(self, *usernames: str) -> dict[str, str]:
        """The general manager, the heads, then each of `usernames` get accounts."""
        ids = {"gm": self.bootstrap()}
        for head in ("head.a", "head.b"):
            ids[head] = self.issue(head, "gm")
        for username in usernames:
            person = BY_USERNAME[username]
            issuer = {"dept-a": "head.a", "dept-b": "head.b"}.get(person.department, "gm")
            ids[username] = self.issue(username, issuer)
        return ids

    def login(self, username: str, password: str | None = None) -> str:
        """A Bearer token for `username` (their real password unless told otherwise)."""
        response = self.client.post(
            "/api/v1/sessions",
            json={"username": username, "password": password or BY_USERNAME[username].password},
        )
        assert response.status_code == 201, response.get_json()
        return response.get_json()["token"]

    def sync(self, confirm: bool = False) -> None:
        """Sync the directory as the periodic job would (`confirm`: past the safety guard)."""
        s = self.services
        with s.sessions() as db:
            sync_directory(db, s.directory, s.context(), confirm=confirm)

    def revoke(self, account_id: str, reason: str = "left the company") -> None:
        s = self.services
        with s.sessions() as db:
            revoke_account(db, s.clock, s.trail, account_id, "operator:test", reason)

    def account(self, account_id: str) -> Account:
        with self.services.sessions() as db:
            return db.get(Account, account_id)
