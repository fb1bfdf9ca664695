"""The demo: an embedded directory of fictitious staff and the accounts a new agency would have.

Seeding is idempotent: it syncs the LDIF directory, bootstraps the general manager, then issues
accounts as the heads would, leaving a few collectors without one so a head can issue them.
Then the office's plan for this year is approved and everyone but the interns passes the
certifying exams and signs the confidentiality agreement; the interns failed their first
attempts and must retake. IT has registered the agency's two recorded landlines
(`govern demo calls` reports calls over them, as the telephone system would).
"""

from __future__ import annotations

import contextlib
from datetime import date
from pathlib import Path

from sqlalchemy.orm import Session

from govern.accounts import repository as repo
from govern.accounts.models import ACTIVE
from govern.accounts.service import bootstrap_general_manager, issue_account
from govern.actor import Actor
from govern.contact.calls import list_lines, register_line
from govern.context import Context
from govern.debtors import repository as repo_debtors
from govern.debtors.sealing import import_debtors
from govern.demo.debtors import demo_debtors_csv
from govern.demo.telephone import LINES
from govern.directory.source import Directory
from govern.directory.sync import sync_directory
from govern.errors import Conflict
from govern.training.catalogue import TRACKS, load_catalogue
from govern.training.certifications import sign_agreement
from govern.training.exams import record_result
from govern.training.plans import PlanDraft, approve_plan, draft_plan, list_plans

DIRECTORY = Path(__file__).resolve().parent / "directory.ldif"
GENERAL_MANAGER = "10001"
#: Left without an account, so the demo's heads have someone to issue for.
WITHOUT_ACCOUNT = frozenset({"20007", "20009", "30007", "30010"})
#: Who issues whose account in the demo: the general manager for operations and the heads,
#: each head for their own department.
ISSUERS = {"operations": "10001", "collections-1": "20001", "collections-2": "30001"}
OFFICE, TRAINER = "10005", "10006"  # office.chen drafts the plan, trainer.yang records exams
IT = "10003"  # it.zhang registers the recorded lines


def seed(db: Session, directory: Directory, ctx: Context) -> int:
    """Sync and issue the demo accounts. Returns how many accounts were newly issued."""
    sync_directory(db, directory, ctx, confirm=True)
    with contextlib.suppress(Conflict):  # seeded before
        bootstrap_general_manager(db, ctx, GENERAL_MANAGER, "operator:demo")
    issued = 0
    for person in sorted(
        directory.people(), key=lambda p: ("department_head" not in p.roles, p.employee_number)
    ):
        if person.employee_number in WITHOUT_ACCOUNT | {GENERAL_MANAGER}:
            continue
        issued += _issue(
            db,
            ctx,
            person.employee_number,
            person.roles,
            ISSUERS[person.department],
        )
    _train(db, ctx)
    if not repo_debtors.case_numbers(db):
        import_debtors(db, ctx, demo_debtors_csv(), "operator:demo")
    _register_lines(db, ctx)
    return issued


def _register_lines(db: Session, ctx: Context) -> None:
    """The agency's recorded landlines, registered by IT (R-NTE-2)."""
    if list_lines(db):
        return
    it = Actor(repo.staff_of(repo.identity(db, IT)), _account_of(db, IT))  # type: ignore[arg-type]
    for number, location in LINES:
        register_line(db, ctx, it, number, location)


def _train(db: Session, ctx: Context) -> None:
    """This year's approved plan; everyone certified except the interns, still in training."""
    if list_plans(db):
        return
    office, trainer = _account_of(db, OFFICE), _account_of(db, TRAINER)
    year = ctx.clock.now().astimezone(ctx.settings.timezone).year
    draft = PlanDraft(
        f"{year} 年度培训计划", "long", list(TRACKS), date(year, 1, 1), date(year, 12, 31)
    )
    plan = draft_plan(db, ctx, office, draft)
    approve_plan(db, ctx, _account_of(db, GENERAL_MANAGER), plan.id)
    book = load_catalogue(ctx.settings.policies_dir)
    trainer_staff = repo.staff_of(repo.identity(db, TRAINER))  # type: ignore[arg-type]
    for account, person in repo.accounts_with_identity(db, None):
        if account.state != ACTIVE or person.employee_number == TRAINER:
            continue
        score = 60 if person.track == "intern" else 90
        for certification in book.certifications.values():
            for course in certification.exams:
                record_result(db, ctx, Actor(trainer_staff, trainer), course, account.id, score)
        if person.track != "intern":
            agreement = book.agreement("confidentiality")
            sign_agreement(db, ctx, account.id, agreement.name, agreement.current)


def _account_of(db: Session, employee_number: str) -> str:
    return repo.live_account(db, employee_number).id  # type: ignore[union-attr]


def _issue(
    db: Session,
    ctx: Context,
    number: str,
    roles: tuple[str, ...],
    issuer_number: str,
) -> int:
    if "department_head" in roles:
        issuer_number = GENERAL_MANAGER
    issuer = repo.staff_of(repo.identity(db, issuer_number))  # type: ignore[arg-type]
    live = repo.live_account(db, issuer_number)
    try:
        _, created = issue_account(db, ctx, Actor(issuer, live.id), number)  # type: ignore[union-attr]
    except Conflict:
        return 0  # departed staff keep no account
    return int(created)
