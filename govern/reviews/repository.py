"""The access reviews' queries: campaigns, their items and reminders, progress by department,
and what a reviewer is shown of each account (how many debtors it viewed, from the trail)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, Select, String, and_, case, cast, false, func, or_, select
from sqlalchemy.orm import Session

from audit.entry import micros
from govern.accounts.models import Account
from govern.directory.models import Identity
from govern.investigations.repository import debtors_viewed
from govern.reviews.models import ReviewCampaign, ReviewItem, ReviewReminder
from govern.reviews.rules import SENIOR, Reviewing


def campaign(db: Session, campaign_id: str, locked: bool = False) -> ReviewCampaign | None:
    """One campaign; `locked`: its row locked for this transaction."""
    return db.get(ReviewCampaign, campaign_id, with_for_update=locked, populate_existing=locked)


#: The advisory lock key campaigns start under (PostgreSQL), any fixed number of our own.
_STARTING = 0x52455631  # "REV1"


def lock_campaigns(db: Session) -> None:
    """Take campaigns' start lock until the transaction ends, so that two starts at once are
    decided one after the other. PostgreSQL: a transaction advisory lock; SQLite serialises
    writers already."""
    if db.get_bind().dialect.name == "postgresql":
        db.execute(select(func.pg_advisory_xact_lock(_STARTING)))


def campaigns(db: Session) -> list[ReviewCampaign]:
    """Every campaign, the newest first."""
    query = select(ReviewCampaign).order_by(ReviewCampaign.started_at.desc(), ReviewCampaign.id)
    return list(db.scalars(query))


def first_of_series(db: Session, campaign: ReviewCampaign) -> ReviewCampaign:
    """The first campaign of the recurring series `campaign` belongs to (itself if first)."""
    while campaign.follows is not None:
        earlier = db.get(ReviewCampaign, campaign.follows)
        if earlier is None:
            break
        campaign = earlier
    return campaign


def due_campaigns(db: Session, now: datetime) -> list[str]:
    """The ids of open campaigns whose deadline has come."""
    query = select(ReviewCampaign.id).where(
        ReviewCampaign.closed_at.is_(None), ReviewCampaign.deadline <= now
    )
    return list(db.scalars(query.order_by(ReviewCampaign.deadline)))


def open_campaigns(db: Session) -> list[ReviewCampaign]:
    query = select(ReviewCampaign).where(ReviewCampaign.closed_at.is_(None))
    return list(db.scalars(query.order_by(ReviewCampaign.deadline)))


def item(db: Session, item_id: str, locked: bool = False) -> ReviewItem | None:
    """One item; `locked`: its row locked for this transaction, as it stands then."""
    return db.get(ReviewItem, item_id, with_for_update=locked, populate_existing=locked)


def account(db: Session, account_id: str, locked: bool = False) -> Account | None:
    """An item's account; `locked`: its row locked for this transaction, as it stands then."""
    return db.get(Account, account_id, with_for_update=locked, populate_existing=locked)


def items(db: Session, campaign_id: str) -> list[ReviewItem]:
    """A campaign's items, by department and account."""
    query = select(ReviewItem).where(ReviewItem.campaign_id == campaign_id)
    return list(db.scalars(query.order_by(ReviewItem.department, ReviewItem.account_id)))


def undecided(db: Session, campaign_id: str) -> list[str]:
    """The ids of a campaign's items nobody decided."""
    query = select(ReviewItem.id).where(
        ReviewItem.campaign_id == campaign_id, ReviewItem.decision.is_(None)
    )
    return list(db.scalars(query.order_by(ReviewItem.id)))


def _with_people() -> Select[tuple[ReviewItem, ReviewCampaign, Identity, Account]]:
    return (
        select(ReviewItem, ReviewCampaign, Identity, Account)
        .join(ReviewCampaign, ReviewCampaign.id == ReviewItem.campaign_id)
        .join(Identity, Identity.employee_number == ReviewItem.employee_number)
        .join(Account, Account.id == ReviewItem.account_id)
    )


def item_row(
    db: Session, item_id: str
) -> tuple[ReviewItem, ReviewCampaign, Identity, Account] | None:
    """One item with its campaign, person and account."""
    row = db.execute(_with_people().where(ReviewItem.id == item_id)).first()
    return None if row is None else tuple(row)  # type: ignore[return-value]


def open_items(
    db: Session,
    campaign_id: str | None = None,
    undecided_only: bool = False,
    reviewing: Reviewing | None = None,
) -> list[tuple[ReviewItem, ReviewCampaign, Identity, Account]]:
    """The items of open campaigns (of `campaign_id` only, if given; `undecided_only`: not
    yet decided; `reviewing`: those a reviewer decides now, by their person as the directory
    has them now), with their campaign, person and account, by deadline, department and
    account."""
    query = _with_people().where(ReviewCampaign.closed_at.is_(None))
    if campaign_id is not None:
        query = query.where(ReviewItem.campaign_id == campaign_id)
    if undecided_only:
        query = query.where(ReviewItem.decision.is_(None))
    if reviewing is not None:
        query = query.where(_reviewed_by(reviewing))
    order = (ReviewCampaign.deadline, ReviewItem.department, ReviewItem.account_id)
    return [tuple(row) for row in db.execute(query.order_by(*order))]  # type: ignore[misc]


def _reviewed_by(reviewing: Reviewing) -> ColumnElement[bool]:
    """`rules.reviewer_of` and `rules.reviews` as one condition on the item's person."""
    senior = or_(false(), *(_holds(role) for role in sorted(SENIOR)))
    headed = Identity.department.in_(sorted(reviewing.headed))
    whose = []
    if reviewing.general:
        whose.append(or_(~headed, senior))
    if reviewing.department is not None:
        whose.append(and_(Identity.department == reviewing.department, headed, ~senior))
    return or_(false(), *whose)


def _holds(role: str) -> ColumnElement[bool]:
    """Whether the person holds `role` (a name in their JSON list of roles, quoted)."""
    return cast(Identity.roles, String).contains(f'"{role}"', autoescape=True)


def progress(db: Session, campaign_id: str) -> list[tuple[str, int, int]]:
    """(department, decided, undecided) of one campaign, by department."""
    return progress_by_campaign(db, [campaign_id]).get(campaign_id, [])


def progress_by_campaign(
    db: Session, campaign_ids: Sequence[str]
) -> dict[str, list[tuple[str, int, int]]]:
    """(department, decided, undecided) of each of these campaigns, by department, in one
    grouped query."""
    if not campaign_ids:
        return {}
    decided = func.sum(case((ReviewItem.decision.is_not(None), 1), else_=0))
    query = (
        select(ReviewItem.campaign_id, ReviewItem.department, decided, func.count())
        .where(ReviewItem.campaign_id.in_(list(campaign_ids)))
        .group_by(ReviewItem.campaign_id, ReviewItem.department)
        .order_by(ReviewItem.campaign_id, ReviewItem.department)
    )
    found: dict[str, list[tuple[str, int, int]]] = {}
    for campaign_id, department, done, total in db.execute(query):
        done = int(done or 0)
        found.setdefault(campaign_id, []).append((department, done, int(total) - done))
    return found


def reminders_sent(db: Session, campaign_id: str) -> set[tuple[str, str, int]]:
    """(department, reviewer, days) of the reminders a campaign has sent."""
    query = select(ReviewReminder.department, ReviewReminder.reviewer, ReviewReminder.days)
    return {
        tuple(row) for row in db.execute(query.where(ReviewReminder.campaign_id == campaign_id))
    }  # type: ignore[misc]


def reminders_for(db: Session, reviewer: str, department: str | None) -> list[ReviewReminder]:
    """The reminders of open campaigns sent to `reviewer` (of `department`), newest first."""
    query = (
        select(ReviewReminder)
        .join(ReviewCampaign, ReviewCampaign.id == ReviewReminder.campaign_id)
        .where(ReviewCampaign.closed_at.is_(None), ReviewReminder.reviewer == reviewer)
    )
    if department is not None:
        query = query.where(ReviewReminder.department == department)
    return list(db.scalars(query.order_by(ReviewReminder.sent_at.desc())))


def reminded_campaigns(db: Session, reviewer: str, department: str | None) -> set[str]:
    """The open campaigns that reminded `reviewer` (of `department`)."""
    query = (
        select(ReviewReminder.campaign_id)
        .join(ReviewCampaign, ReviewCampaign.id == ReviewReminder.campaign_id)
        .where(ReviewCampaign.closed_at.is_(None), ReviewReminder.reviewer == reviewer)
    )
    if department is not None:
        query = query.where(ReviewReminder.department == department)
    return set(db.scalars(query))


def views_since(
    db: Session, accounts: Sequence[str], start: datetime, end: datetime
) -> dict[str, int]:
    """How many distinct debtors each account viewed between `start` and `end`."""
    if not accounts:
        return {}
    return debtors_viewed(db.connection(), accounts, micros(start), micros(end))
