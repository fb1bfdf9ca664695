"""The agency the load run works in (`benchmarks/load.py`): a few departments of certified
collectors over the demo's project groups (a tenth of them interns, whose personal fields are
withheld), a head per department, a supervisor per project group, auditors; the demo's debtors
imported through the import path; a session for everyone who works (an API token, and a page
cookie for those who use the console)."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, insert, select

from benchmarks.database import command_context
from benchmarks.staff import agreement_signatures, exam_passes, staff_rows
from govern.accounts.models import Account
from govern.clock import FixedClock
from govern.db import make_session_factory
from govern.debtors.models import Debtor
from govern.debtors.sealing import import_debtors
from govern.demo.debtors import PROJECT_GROUPS, demo_debtors_csv
from govern.directory.models import Identity
from govern.sessions.models import LoginSession
from govern.sessions.service import token_hash
from govern.training.models import AgreementSignature, ExamResult

#: The departments and the project groups their collectors work in.
DEPARTMENTS = {
    "collections-1": PROJECT_GROUPS[:2],
    "collections-2": PROJECT_GROUPS[2:3],
    "collections-3": PROJECT_GROUPS[3:],
}
DEPARTMENT_OF = {group: name for name, groups in DEPARTMENTS.items() for group in groups}
AUDITORS = 2
INTERN_EVERY = 10  # one collector in ten is an intern: no certification yet


@dataclass(frozen=True)
class Collector:
    account: str
    token: str  # API (Bearer)
    page_token: str  # the console's cookie
    group: str
    certified: bool


@dataclass(frozen=True)
class World:
    """Who works and on what: the collectors, the heads' and auditors' sessions, and each
    project group's debtors (id, the first phone number)."""

    collectors: list[Collector]
    heads: list[str]  # page tokens
    auditors: list[str]  # API tokens
    debtors: dict[str, list[tuple[str, str]]]

    @property
    def certified(self) -> list[Collector]:
        return [c for c in self.collectors if c.certified]


def people(collectors: int, now: datetime) -> tuple[list[dict], list[dict]]:
    """(identities, accounts): the collectors, then a head per department, a supervisor per
    project group and the auditors, each with an active account."""
    extra = len(DEPARTMENTS) + len(PROJECT_GROUPS) + AUDITORS
    persons, accounts = staff_rows(
        collectors + extra, now, first_number=90000, groups=PROJECT_GROUPS
    )
    for n, person in enumerate(persons[:collectors]):
        person["department"] = DEPARTMENT_OF[person["project_group"]]
        if n % INTERN_EVERY == INTERN_EVERY - 1:
            person["track"] = "intern"
    others = persons[collectors:]
    roles = (
        [("department_head", name, None) for name in DEPARTMENTS]
        + [("supervisor", DEPARTMENT_OF[g], g) for g in PROJECT_GROUPS]
        + [("auditor", "audit", None)] * AUDITORS
    )
    for person, (role, department, group) in zip(others, roles, strict=True):
        person.update(roles=[role], track="management", department=department)
        person["project_group"] = group
    return persons, accounts


def populate(engine: Engine, url: str, folder: Path, collectors: int, debtors: int) -> World:
    """Store the agency and its debtors; returns who works on what."""
    now = datetime.now(UTC)
    persons, accounts = people(collectors, now)
    certified = [a for a, p in zip(accounts, persons, strict=True) if p["track"] != "intern"]
    with engine.begin() as connection:
        connection.execute(insert(Identity), persons)
        connection.execute(insert(Account), accounts)
        connection.execute(insert(ExamResult), exam_passes(certified, now))
        connection.execute(insert(AgreementSignature), agreement_signatures(certified, now))
    ctx = command_context(engine, url, folder, FixedClock(now))
    with make_session_factory(engine)() as db:
        import_debtors(db, ctx, demo_debtors_csv(debtors, seed=17), "bench")
        ctx.trail.stop()
        by_group: dict[str, list[tuple[str, str]]] = {group: [] for group in PROJECT_GROUPS}
        for debtor in db.scalars(select(Debtor).order_by(Debtor.id)):
            phones = json.loads(ctx.vault.open(debtor.phones, f"{debtor.id}/phones"))
            by_group[debtor.project_group].append((debtor.id, phones[0]))
    return _sessions(engine, persons, accounts, collectors, by_group, now)


def _sessions(
    engine: Engine,
    persons: list[dict],
    accounts: list[dict],
    collectors: int,
    debtors: dict[str, list[tuple[str, str]]],
    now: datetime,
) -> World:
    rows: list[dict] = []

    def token(account: dict, channel: str) -> str:
        made = secrets.token_urlsafe(32)
        rows.append(
            {
                "token_hash": token_hash(made),
                "account_id": account["id"],
                "channel": channel,
                "client": "bench",
                "created_at": now,
                "expires_at": now + timedelta(hours=8),
            }
        )
        return made

    working = [
        Collector(
            a["id"], token(a, "api"), token(a, "page"), p["project_group"], p["track"] != "intern"
        )
        for p, a in zip(persons[:collectors], accounts[:collectors], strict=True)
    ]
    others = list(zip(persons[collectors:], accounts[collectors:], strict=True))
    heads = [token(a, "page") for p, a in others if p["roles"] == ["department_head"]]
    auditors = [token(a, "api") for p, a in others if p["roles"] == ["auditor"]]
    with engine.begin() as connection:
        connection.execute(insert(LoginSession), rows)
    return World(working, heads, auditors, debtors)
