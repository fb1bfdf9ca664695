"""Benchmark the console's pages (issue 15, Speed): every page's server time, p50 and p95, for
a department of 200 staff and a collector's caseload of 200 debtors, on PostgreSQL.

`./scripts/bench pages [--staff N] [--debtors N] [--runs N]`. Prints its figures; record them
in docs/benchmarks.md with the command. The target is 300 ms at p95 a page: a page over it is
printed "over target" (figures, not a gate).

The pages are found in the application itself (every GET route of a blueprint whose name ends
in `_pages`, and the home page), so a page added later is measured too. A route's URL
arguments come from ARGUMENTS; a route it cannot fill stops the benchmark, naming the route.
Each page is asked `--runs` times, through Flask's test client (no network, no gunicorn), by
the roles that use it: those ROLES_OF[endpoint] names, else the first of ROLES that the page
answers 200. Sessions are page sessions (the cookie) of accounts made for the run.
"""

from __future__ import annotations

import argparse
import json
import secrets
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, insert, select
from sqlalchemy.orm import Session
from werkzeug.routing import Rule

from benchmarks.access import percentile
from benchmarks.contact import GROUP, NOW, environment
from benchmarks.database import (
    add_postgres_option,
    command_context,
    keys_folder,
    settle,
    throwaway_database,
)
from benchmarks.staff import agreement_signatures, exam_passes, staff_rows
from govern.accounts.models import Account
from govern.accounts.repository import staff_of
from govern.actor import Actor
from govern.app import create_app
from govern.clock import FixedClock
from govern.config import load_settings
from govern.console import SESSION_COOKIE
from govern.context import Context
from govern.creditors.service import CreditorDraft, create_creditor, end_contract
from govern.db import make_engine, make_session_factory
from govern.debtors.models import Debtor
from govern.debtors.sealing import import_debtors
from govern.demo.debtors import PROJECT_GROUPS, demo_debtors_csv
from govern.deprovision.runs import start_sweep
from govern.directory.models import Identity
from govern.investigations.questions import Window
from govern.investigations.runs import start_triage, start_verification
from govern.investigations.service import Scope, new_leak_investigation
from govern.reviews.service import CampaignDraft, start_campaign
from govern.runs import Run
from govern.sessions.models import LoginSession
from govern.sessions.service import token_hash
from govern.training.attendance import participants, record_attendance, request_leave
from govern.training.models import AgreementSignature, ExamResult
from govern.training.plans import PlanDraft, approve_plan, draft_plan, list_sessions
from govern.training.rules import ABSENT, PRESENT
from tests.support.statements import statements_sent

HTTPS = "https://localhost"
#: Server time a page should stay under at p95 (issue 15).
TARGET_MS = 300.0
#: The people who use the console, by the Govern role their account has ("collector": none).
ROLES = (
    "collector",
    "department_head",
    "it",
    "auditor",
    "office",
    "general_manager",
    "hr",
    "policy_admin",
    "supervisor",
    "complaint_desk",
)
#: Who uses a page (each is measured), where it is not simply the first of ROLES it answers.
ROLES_OF: dict[str, tuple[str, ...]] = {
    "pages.home": ("collector",),
    "accounts_pages.index": ("department_head", "general_manager"),
    "accounts_pages.awaiting": ("department_head",),
    "accounts_pages.confirm_issue": ("department_head",),
    "accounts_pages.show": ("department_head",),
    "access_pages.policy": ("policy_admin", "auditor"),
    "access_pages.explain": ("policy_admin",),
    "training_pages.plan_list": ("office",),
    "training_pages.record_form": ("office", "department_head"),
    "training_pages.attendance_report": ("department_head", "office"),
    "complaint_pages.cases": ("complaint_desk", "supervisor"),
}


@dataclass(frozen=True)
class Floor:
    """What the pages are asked about: each role's account and page session token (and the
    collector's API token), an account of the department (a collector's), the collector's caseload,
    someone awaiting an account, the ids `prepare` adds (a leak investigation, a training
    session, a departure run)."""

    accounts: dict[str, str]
    tokens: dict[str, str]
    api_token: str
    account_id: str
    caseload: list[str]
    awaiting: str
    investigation_id: str = ""
    session_id: str = ""
    run_id: str = ""
    verification_id: str = ""
    campaign_id: str = ""
    creditor_id: str = ""  # a running contract
    ended_creditor_id: str = ""  # one ended, its certificate issued

    @property
    def debtor_id(self) -> str:
        return self.caseload[0]


#: URL arguments a page route may take, filled from the floor.
ARGUMENTS: dict[str, Callable[[Floor], str]] = {
    "account_id": lambda floor: floor.account_id,
    "debtor_id": lambda floor: floor.debtor_id,
    "investigation_id": lambda floor: floor.investigation_id,
    "session_id": lambda floor: floor.session_id,
    "run_id": lambda floor: floor.run_id,
    "verification_id": lambda floor: floor.verification_id,
    "campaign_id": lambda floor: floor.campaign_id,
    "creditor_id": lambda floor: floor.creditor_id,
}
#: Where one page takes another object than ARGUMENTS gives for the same name.
ARGUMENTS_OF: dict[str, dict[str, Callable[[Floor], str]]] = {
    "creditors_pages.certificate": {"creditor_id": lambda floor: floor.ended_creditor_id},
}
#: Query strings a page needs to show what it is for.
QUERIES: dict[str, Callable[[Floor], dict[str, str]]] = {
    "accounts_pages.confirm_issue": lambda floor: {"employee_number": floor.awaiting},
    # the auditors' searches, as an auditor submits them (the empty form is not the work)
    "investigations_pages.events": lambda floor: {"actor": floor.accounts["collector"]},
    "investigations_pages.who_saw": lambda floor: {
        "debtor": floor.debtor_id,
        "field": "phones",
        "level": "any",
    },
    "investigations_pages.seen": lambda floor: {"account": floor.accounts["collector"]},
    "investigations_pages.unusual": lambda floor: {"page": "1"},
    "investigations_pages.chart": lambda floor: {"account": floor.accounts["collector"]},
}


def populate(engine: Engine, url: str, folder: Path, staff: int, debtors: int) -> Floor:
    """A department ("collections") of `staff` certified collectors with accounts (a tenth of
    them leaving within a month) and a tenth as many without one yet, a person of each other
    role with an account, `debtors` debtors in the collectors' project group (as many again
    in each other group), an approved training plan for the year, page sessions."""
    people, accounts = staff_rows(staff, NOW, first_number=70000, groups=(GROUP,))
    for n, person in enumerate(people[2::10]):
        person["departure_date"] = (NOW + timedelta(days=1 + n % 30)).date()
    waiting, _ = staff_rows(max(1, staff // 10), NOW, first_number=79000, groups=(GROUP,))
    others, other_accounts = _one_of_each_role()
    everyone = accounts + other_accounts
    with engine.begin() as connection:
        connection.execute(insert(Identity), people + waiting + others)
        connection.execute(insert(Account), everyone)
        connection.execute(insert(ExamResult), exam_passes(everyone, NOW))
        connection.execute(insert(AgreementSignature), agreement_signatures(everyone, NOW))
    holders = {p["roles"][0]: a["id"] for p, a in zip(others, other_accounts, strict=True)}
    caseload = _debtors_and_plan(engine, url, folder, holders, debtors)
    holders["collector"] = accounts[0]["id"]
    return Floor(
        holders,
        _sessions(engine, holders, "page"),
        _sessions(engine, {"collector": holders["collector"]}, "api")["collector"],
        accounts[1]["id"],
        caseload,
        waiting[0]["employee_number"],
    )


def _one_of_each_role() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """A person with an account for every role but collector (project groups given, so that
    the debtors' import finds staff in each): identity rows and account rows."""
    roles = [role for role in ROLES if role != "collector"]
    others, accounts = staff_rows(len(roles), NOW, first_number=80000, groups=PROJECT_GROUPS)
    for n, (person, account, role) in enumerate(zip(others, accounts, roles, strict=True)):
        person.update(roles=[role], track="management", name=f"测试{role}")
        person["department"] = "collections" if role == "department_head" else "operations"
        if role == "supervisor":  # the collectors' supervisor: their project group
            person["project_group"] = GROUP
        account["id"] = f"GV-8000-{n:04d}"
    return others, accounts


def _debtors_and_plan(
    engine: Engine, url: str, folder: Path, holders: dict[str, str], debtors: int
) -> list[str]:
    """`debtors` debtors imported into each project group and the year's training plan
    drafted and approved. Returns the collectors' caseload (their group's debtor ids)."""
    ctx = command_context(engine, url, folder, FixedClock(NOW))
    with make_session_factory(engine)() as db:
        import_debtors(db, ctx, demo_debtors_csv(debtors * len(PROJECT_GROUPS), seed=15), "bench")
        year = PlanDraft("2026 staff training", "long", ["intern", "ordinary", "management"],
                         date(2026, 1, 1), date(2026, 12, 31))  # fmt: skip
        plan = draft_plan(db, ctx, holders["office"], year)
        approve_plan(db, ctx, holders["general_manager"], plan.id)
        ctx.trail.stop()
        ours = select(Debtor.id).where(Debtor.project_group == GROUP).order_by(Debtor.id)
        return list(db.scalars(ours))


def prepare(app: Flask, floor: Floor) -> Floor:
    """A morning's work before the pages are timed, through the service: the collector reads
    each debtor of the caseload (the trail the auditors' pages search), an auditor opens a
    leak investigation on a tenth of them; the office records attendance at the last
    training session (a seventh absent), a tenth of the department ask leave from the next;
    IT runs the departure sweep's dry run, an auditor verifies the trail and ranks the leak;
    the general manager starts an access review and records two creditors, ending one."""
    _read_caseload(app, floor)
    s = app.extensions["govern"]
    with s.sessions() as db:
        ctx = s.context()
        scope = Scope(floor.caseload[::10], (), Window.of(None, None, ctx.clock))
        investigation_id = new_leak_investigation(db, ctx, floor.accounts["auditor"], scope).id
        session_id = _training_morning(db, ctx, floor)
        run_id = start_sweep(app, db, floor.accounts["it"], dry_run=True)
        verification_id = start_verification(app, db, floor.accounts["auditor"])
        ranking_id = start_triage(app, db, floor.accounts["auditor"], investigation_id)
        campaign_id, creditor_id, ended_creditor_id = _governance(db, ctx, floor)
    for started in (run_id, verification_id, ranking_id):
        _finished(s, started)
    return replace(
        floor,
        investigation_id=investigation_id,
        session_id=session_id,
        run_id=run_id,
        verification_id=verification_id,
        campaign_id=campaign_id,
        creditor_id=creditor_id,
        ended_creditor_id=ended_creditor_id,
    )


def _read_caseload(app: Flask, floor: Floor) -> None:
    """The collector reads each debtor of the caseload through the API."""
    client = app.test_client()
    headers = {"Authorization": f"Bearer {floor.api_token}"}
    for debtor_id in floor.caseload:
        response = client.get(f"/api/v1/debtors/{debtor_id}", headers=headers)
        if response.status_code != 200:
            raise SystemExit(f"reading debtor {debtor_id}: {response.status_code}")


def _training_morning(db: Session, ctx: Context, floor: Floor) -> str:
    """Attendance at the last training session recorded (a seventh absent), a tenth of its
    participants asking leave from the next. Returns the last session's id."""
    today = NOW.astimezone(ctx.settings.timezone).date()
    sessions = list_sessions(db, ctx, today - timedelta(days=14), today + timedelta(days=14))
    last = [session for session in sessions if session.starts <= NOW][-1]
    following = next(session for session in sessions if session.starts > NOW)
    office = _actor(db, floor.accounts["office"])
    for n, person in enumerate(participants(db, ctx, office.staff, last)):
        status = ABSENT if n % 7 == 0 else PRESENT
        record_attendance(db, ctx, office, last, person.account_id, status)
    for person in participants(db, ctx, office.staff, following)[::10]:
        request_leave(db, ctx, person.account_id, following)
    return last.id


def _governance(db: Session, ctx: Context, floor: Floor) -> tuple[str, str, str]:
    """An access review of the department started, two creditors recorded and one of them
    ended (its certificate issued). Returns the campaign's, the running and the ended
    creditor's ids."""
    gm = _actor(db, floor.accounts["general_manager"])
    today = NOW.astimezone(ctx.settings.timezone).date()
    draft = CampaignDraft(["collections"], NOW + timedelta(days=14), "report")
    campaign_id = start_campaign(db, ctx, gm, draft).campaign.id
    running, ended = (
        create_creditor(db, ctx, gm.label, _creditor(name, today))
        for name in ("基准甲方", "基准旧甲方")
    )
    end_contract(db, ctx, gm.label, ended.id, ended.name)
    return campaign_id, running.id, ended.id


def _creditor(name: str, today: date) -> CreditorDraft:
    """A creditor of the collectors' project group, its contract running for a year more."""
    return CreditorDraft(
        name, [GROUP], today - timedelta(days=30), today + timedelta(days=365), ["scheduled_call"]
    )


def _finished(services: Any, run_id: str, seconds: float = 120) -> None:
    """Wait for a run to end (its page is the report then, not the progress)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with services.sessions() as db:
            if not db.get(Run, run_id).running:
                return
        time.sleep(0.1)
    raise SystemExit(f"the run {run_id} did not end in {seconds} s")


def _actor(db: Session, account_id: str) -> Actor:
    person = db.scalars(
        select(Identity).join(Account, Account.employee_number == Identity.employee_number)
        .where(Account.id == account_id)
    ).one()  # fmt: skip
    return Actor(staff_of(person), account_id, account_id, person.project_group)


def _sessions(engine: Engine, holders: dict[str, str], channel: str) -> dict[str, str]:
    """A session (its token) on `channel` ("page": the cookie) for each role's account."""
    tokens = {role: secrets.token_urlsafe(32) for role in holders}
    rows = [
        {
            "token_hash": token_hash(tokens[role]),
            "account_id": account_id,
            "channel": channel,
            "client": "bench",
            "created_at": NOW,
            "expires_at": NOW + timedelta(hours=8),
        }
        for role, account_id in holders.items()
    ]
    with engine.begin() as connection:
        connection.execute(insert(LoginSession), rows)
    return tokens


# ---- the pages --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    endpoint: str
    path: str
    query: dict[str, str]


def console_pages(app: Flask, floor: Floor) -> list[Page]:
    """Every GET page of the console, its URL filled. Raises SystemExit naming a route whose
    arguments ARGUMENTS cannot fill."""
    pages, unfilled = [], []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if not _is_page(rule):
            continue
        missing = sorted(set(rule.arguments) - set(ARGUMENTS))
        if missing:
            unfilled.append(f"{rule.endpoint} ({rule.rule}: {', '.join(missing)})")
            continue
        given = {**ARGUMENTS, **ARGUMENTS_OF.get(rule.endpoint, {})}
        values = {name: given[name](floor) for name in rule.arguments}
        path = rule.build(values, append_unknown=False)[1]  # type: ignore[index]
        query = QUERIES.get(rule.endpoint, lambda _: {})(floor)
        pages.append(Page(rule.endpoint, path, query))
    if unfilled:
        raise SystemExit(
            "pages whose URL arguments benchmarks/pages.py cannot fill (add them to ARGUMENTS): "
            + "; ".join(unfilled)
        )
    return pages


def _is_page(rule: Rule) -> bool:
    blueprint = rule.endpoint.rpartition(".")[0]
    return "GET" in (rule.methods or ()) and (
        blueprint.endswith("_pages") or rule.endpoint == "pages.home"
    )


def clients(app: Flask, floor: Floor) -> dict[str, FlaskClient]:
    """A test client signed in with each role's page session."""
    signed_in = {}
    for role, token in floor.tokens.items():
        client = app.test_client()
        client.set_cookie(SESSION_COOKIE, token, domain="localhost")
        signed_in[role] = client
    return signed_in


def _ask(client: FlaskClient, page: Page) -> int:
    response = client.get(page.path, query_string=page.query, base_url=HTTPS)
    response.get_data()
    return response.status_code


def users_of(page: Page, signed_in: dict[str, FlaskClient]) -> list[str]:
    """The roles ROLES_OF names for the page, else the first of ROLES it answers 200. Raises
    SystemExit when a named role, or every role, is answered otherwise."""
    named = ROLES_OF.get(page.endpoint, ())
    answers = {role: _ask(signed_in[role], page) for role in named or ROLES}
    if named and any(status != 200 for status in answers.values()):
        raise SystemExit(f"{page.endpoint} ({page.path}) answered its users {answers}")
    users = [role for role, status in answers.items() if status == 200]
    if not users:
        raise SystemExit(f"no role is answered 200 by {page.endpoint} ({page.path}): {answers}")
    return users if named else users[:1]


def measure_page(client: FlaskClient, page: Page, runs: int) -> list[float]:
    """Server time of `runs` requests (after two to warm the caches), in seconds."""
    for _ in range(2):
        _ask(client, page)
    samples = []
    for _ in range(runs):
        began = time.perf_counter()
        status = _ask(client, page)
        samples.append(time.perf_counter() - began)
        if status != 200:
            raise SystemExit(f"{page.endpoint} ({page.path}) answered {status}")
    return samples


def statements(engine: Engine, client: FlaskClient, page: Page) -> int:
    """SQL statements one request of the page sends (a figure the machine's load leaves
    alone). Flask's client serves the request in this thread; the trail's group commit,
    writing from its own, is left out."""
    with statements_sent(engine) as sent:
        _ask(client, page)
    return sent[0]


def measure(app: Flask, floor: Floor, runs: int) -> list[dict[str, Any]]:
    signed_in, rows = clients(app, floor), []
    for page in console_pages(app, floor):
        for role in users_of(page, signed_in):
            samples = measure_page(signed_in[role], page, runs)
            sent = statements(app.extensions["govern"].engine, signed_in[role], page)
            rows.append(
                {
                    "page": page.endpoint,
                    "path": page.path,
                    "role": role,
                    "runs": runs,
                    "p50_ms": round(statistics.median(samples) * 1000, 1),
                    "p95_ms": round(percentile(samples, 0.95) * 1000, 1),
                    "statements": sent,
                }
            )
    return rows


def report(results: dict[str, Any], rows: list[dict[str, Any]]) -> None:
    """The figures: the data sizes, a line a page, the worst p95, as text then JSON."""
    for key, value in results.items():
        print(f"{key:22} {value}")
    print(f"\n{'page':34} {'role':16} {'p50 ms':>8} {'p95 ms':>8} {'SQL':>4}")
    for row in rows:
        over = "  over target" if row["p95_ms"] > TARGET_MS else ""
        figures = f"{row['p50_ms']:8} {row['p95_ms']:8} {row['statements']:4}"
        print(f"{row['page']:34} {row['role']:16} {figures}{over}")
    worst = max(rows, key=lambda row: row["p95_ms"])
    print(f"\nworst p95: {worst['p95_ms']} ms ({worst['page']}, {worst['role']})")
    print(f"target: {TARGET_MS:.0f} ms at p95; pages over it: "
          f"{sum(row['p95_ms'] > TARGET_MS for row in rows)}")  # fmt: skip
    print(json.dumps({**results, "pages": rows}, sort_keys=True, ensure_ascii=False))


def main() -> None:
    parser = argparse.ArgumentParser(description="Benchmark the console's pages.")
    parser.add_argument("--staff", type=int, default=200, help="the department's, with accounts")
    parser.add_argument("--debtors", type=int, default=200, help="the collector's caseload")
    parser.add_argument("--runs", type=int, default=30, help="requests a page, after 2 warm-up")
    add_postgres_option(parser)
    args = parser.parse_args()
    with keys_folder() as folder, throwaway_database(args.postgres) as url:
        engine = make_engine(url)
        began = time.perf_counter()
        floor = populate(engine, url, folder, args.staff, args.debtors)
        settle(engine, args.postgres)
        engine.dispose()
        results = {
            "staff": args.staff,
            "caseload": args.debtors,
            "debtors": args.debtors * len(PROJECT_GROUPS),
            "runs_a_page": args.runs,
            "populate_s": round(time.perf_counter() - began, 1),
        }
        app = create_app(load_settings(environment(url, folder)), clock=FixedClock(NOW))
        try:
            began = time.perf_counter()
            floor = prepare(app, floor)
            results["prepare_s"] = round(time.perf_counter() - began, 1)
            rows = measure(app, floor, args.runs)
        finally:
            app.extensions["govern"].trail.stop()
            app.extensions["govern"].engine.dispose()
    report(results, rows)


if __name__ == "__main__":
    main()
