"""Access review use cases: start a campaign (one item per account in scope, snapshot now), show
a reviewer their items, decide one (certify, or revoke or suspend through the accounts' use
cases), remind before the deadline, close at the deadline. Each owns its transaction. The
report of every decision is `report.py`'s."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from govern.accounts import repository as accounts
from govern.accounts.models import REVOKED, Account
from govern.accounts.rules import DEPARTMENT_HEAD, GENERAL_MANAGER
from govern.accounts.service import (
    REASON_MIN_CHARS,
    impose_suspension,
    revoke_account,
    suspend_account,
)
from govern.actor import Actor, Staff
from govern.context import Context
from govern.directory.models import Identity
from govern.errors import BadRequest, Conflict, NotFound
from govern.ids import new_id
from govern.justification import justification
from govern.reviews import repository as repo
from govern.reviews import rules
from govern.reviews.models import ReviewCampaign, ReviewItem, ReviewReminder
from govern.training.certifications import TrainingStatus, training_statuses

#: Who the trail names for what the worker does at a deadline.
ACTOR = "review"
#: The suspension kind a review imposes (policies/suspensions.toml).
SUSPENSION_KIND = "review"
#: How far back a reviewer is shown the debtors an account viewed.
VIEWS_DAYS = 90


@dataclass(frozen=True)
class CampaignDraft:
    """What a campaign is started with: its departments (None: the whole agency), deadline,
    what happens then to undecided items, and its period if it recurs."""

    departments: list[str] | None
    deadline: datetime
    at_deadline: str
    every_months: int | None = None


@dataclass(frozen=True)
class Progress:
    department: str
    decided: int
    undecided: int


@dataclass(frozen=True)
class CampaignView:
    campaign: ReviewCampaign
    progress: list[Progress]

    @property
    def decided(self) -> int:
        return sum(p.decided for p in self.progress)

    @property
    def undecided(self) -> int:
        return sum(p.undecided for p in self.progress)


@dataclass(frozen=True)
class ItemView:
    """An item as its reviewer sees it: the account, its person, roles, project group,
    certifications, last use and how many debtors it viewed in the last VIEWS_DAYS days."""

    item: ReviewItem
    campaign: ReviewCampaign
    person: Identity
    account: Account
    training: TrainingStatus | None
    debtors_viewed: int


def start_campaign(db: Session, ctx: Context, starter: Actor, draft: CampaignDraft) -> CampaignView:
    """Start a campaign: one item per live account in scope (but the general manager's), each
    for the reviewer who answers for it now (`rules.reviewer_of`).

    Raises BadRequest `review.deadline_past`, `review.deadline_too_far`,
    `review.period_invalid`, `review.at_deadline_unknown`, `review.department_unknown`;
    Conflict `review.overlapping` (an open campaign reviews one of the departments).
    """
    rules.check_draft(draft.deadline, ctx.clock.now(), draft.every_months, draft.at_deadline)
    repo.lock_campaigns(db)  # two starting at once: the second sees the first
    open_scopes = [c.departments for c in repo.open_campaigns(db)]
    rules.check_no_overlap(rules.scope_of(draft.departments), open_scopes)
    campaign = _campaign(db, ctx, starter.label, draft, None)
    db.commit()
    return campaign_view(db, campaign.id)


def _campaign(
    db: Session, ctx: Context, starter: str, draft: CampaignDraft, follows: str | None
) -> ReviewCampaign:
    """Insert a campaign and its items, and record it; the caller commits."""
    scope = rules.scope_of(draft.departments)
    people = _in_scope(db, ctx, scope)
    campaign = ReviewCampaign(
        id=new_id("RV"),
        started_by=starter,
        started_at=ctx.clock.now(),
        departments=scope,
        deadline=draft.deadline,
        at_deadline=draft.at_deadline,
        every_months=draft.every_months,
        follows=follows,
    )
    db.add(campaign)
    db.flush()
    headed = accounts.departments_with_active_head(db, ctx.clock.now(), ctx.settings.departures)
    for account, person in people:
        db.add(_item(campaign.id, account, person, person.department in headed))
    ctx.trail.record(
        db, "review.started", starter, campaign.id, items=len(people), departments=scope or ["*"]
    )
    return campaign


def _in_scope(db: Session, ctx: Context, scope: list[str] | None) -> list[tuple[Account, Identity]]:
    """The live accounts of present people in `scope` a campaign reviews.

    Raises BadRequest `review.department_unknown`.
    """
    now, departures = ctx.clock.now(), ctx.settings.departures
    found = [
        (account, person)
        for account, person in accounts.accounts_with_identity(db, None)
        if account.state != REVOKED
        and accounts.is_present(person, now, departures)
        and rules.reviewed(accounts.staff_of(person))
    ]
    if scope is None:
        return found
    unknown = set(scope) - {person.department for _, person in found}
    if unknown:
        raise BadRequest(
            "review.department_unknown",
            f"No account to review in department {', '.join(sorted(unknown))}.",
        )
    return [(a, p) for a, p in found if p.department in scope]


def _item(campaign_id: str, account: Account, person: Identity, headed: bool) -> ReviewItem:
    return ReviewItem(
        id=new_id("RI"),
        campaign_id=campaign_id,
        account_id=account.id,
        employee_number=person.employee_number,
        department=person.department,
        reviewer=rules.reviewer_of(accounts.staff_of(person), headed),
    )


def campaign_view(db: Session, campaign_id: str) -> CampaignView:
    """A campaign and its progress by department. Raises NotFound `review.campaign_unknown`."""
    campaign = _campaign_of(db, campaign_id)
    progress = [Progress(*row) for row in repo.progress(db, campaign.id)]
    return CampaignView(campaign, progress)


def list_campaigns(db: Session) -> list[CampaignView]:
    """Every campaign with its progress, the newest first (one grouped query for all)."""
    found = repo.campaigns(db)
    progress = repo.progress_by_campaign(db, [c.id for c in found])
    return [CampaignView(c, [Progress(*row) for row in progress.get(c.id, [])]) for c in found]


def items_for(db: Session, ctx: Context, reviewer: Staff) -> list[ItemView]:
    """The items of open campaigns `reviewer` decides now: a head their department's, the
    general manager those of heads and of departments without an active head (a head who
    left hands theirs to the general manager; a person who moved is their new head's)."""
    return _views(db, ctx, repo.open_items(db, reviewing=_reviewing(db, ctx, reviewer)))


def _reviewing(db: Session, ctx: Context, reviewer: Staff) -> rules.Reviewing:
    """Whose items `reviewer` decides now, for the query to select them."""
    return rules.reviewing(reviewer, _headed(db, ctx))


def _headed(db: Session, ctx: Context) -> set[str]:
    """The departments with an active head now."""
    return accounts.departments_with_active_head(db, ctx.clock.now(), ctx.settings.departures)


def _answering(person: Identity, headed: set[str]) -> tuple[str, str]:
    """Who reviews `person`'s account now, and for which department: (reviewer, department),
    their department as the directory has it now. The item keeps who reviewed it at the
    start, for the report."""
    staff = accounts.staff_of(person)
    return rules.reviewer_of(staff, person.department in headed), person.department


def _scopes(staff: Staff) -> list[tuple[str, str | None]]:
    """The (reviewer, department) `staff` reviews as: a head their department's, the
    general manager any (None)."""
    found: list[tuple[str, str | None]] = []
    if DEPARTMENT_HEAD in staff.roles:
        found.append((DEPARTMENT_HEAD, staff.department))
    if GENERAL_MANAGER in staff.roles:
        found.append((GENERAL_MANAGER, None))
    return found


def _views(
    db: Session, ctx: Context, rows: list[tuple[ReviewItem, ReviewCampaign, Identity, Account]]
) -> list[ItemView]:
    """Items with their certifications and the debtors each account viewed (one grouped
    query over the trail for all of them)."""
    account_ids = sorted({item.account_id for item, *_ in rows})
    now = ctx.clock.now()
    since, until = now - timedelta(days=VIEWS_DAYS), now + timedelta(microseconds=1)
    viewed = repo.views_since(db, account_ids, since, until)  # up to now, inclusive
    training = training_statuses(db, ctx, account_ids)
    return [
        ItemView(item, c, p, a, training.get(a.id), viewed.get(a.id, 0)) for item, c, p, a in rows
    ]


def item_view(db: Session, ctx: Context, item_id: str) -> ItemView:
    """One item as its reviewer sees it (after deciding it). Raises NotFound
    `review.item_unknown`."""
    row = repo.item_row(db, item_id)
    if row is None:
        raise NotFound("review.item_unknown", f"No review item {item_id}.")
    return _views(db, ctx, [row])[0]


def reminders_for(db: Session, reviewer: Staff) -> list[ReviewReminder]:
    """The reminders of open campaigns sent to `reviewer`, newest first."""
    found = [r for scope in _scopes(reviewer) for r in repo.reminders_for(db, *scope)]
    return sorted(found, key=lambda r: r.sent_at, reverse=True)


@dataclass(frozen=True)
class Waiting:
    """A campaign that reminded a reviewer and still waits for them: what their console's
    home page says."""

    campaign_id: str
    deadline: datetime
    undecided: int


def waiting_for(db: Session, ctx: Context, reviewer: Staff) -> list[Waiting]:
    """The open campaigns that reminded `reviewer` and in which items still wait for them,
    the nearest deadline first."""
    reminded = {c for scope in _scopes(reviewer) for c in repo.reminded_campaigns(db, *scope)}
    if not reminded:
        return []
    rows = repo.open_items(db, undecided_only=True, reviewing=_reviewing(db, ctx, reviewer))
    counts = Counter(c.id for _, c, _, _ in rows if c.id in reminded)
    deadlines = {c.id: c.deadline for _, c, _, _ in rows}
    return sorted(
        (Waiting(c, deadlines[c], n) for c, n in counts.items()),
        key=lambda w: (w.deadline, w.campaign_id),
    )


def decide(
    db: Session, ctx: Context, reviewer: Actor, item_id: str, decision: str, reason: str
) -> ReviewItem:
    """Certify an item, or revoke or suspend its account (the accounts' use cases, kind
    `review`), with a reason (required but to certify); recorded as `review.decided`.

    Raises NotFound `review.item_unknown`, BadRequest `review.decision_unknown`, Forbidden
    `self.approval` / `review.not_reviewer` (and the suspension's refusals), Conflict
    `review.decided` / `review.closed`, Unprocessable `justification.too_short`.
    """
    kept = rules.check_decision(decision)
    item, campaign = _decidable(db, ctx, reviewer.staff, item_id)
    if decision != rules.CERTIFY or reason.strip():
        reason = justification(reason, REASON_MIN_CHARS, "reason").strip()
    _decided(item, kept, reason.strip() or None, reviewer.label, ctx.clock.now())
    digest = reason_digest(ctx, item.reason)
    ctx.trail.record(
        db, "review.decided", reviewer.label, campaign.id, **_about(item), reason_digest=digest
    )
    if decision == rules.REVOKE:
        revoke_account(db, ctx.clock, ctx.trail, item.account_id, reviewer.label, reason)
    elif decision == rules.SUSPEND:
        impose_suspension(db, ctx, reviewer, item.account_id, SUSPENSION_KIND, reason)
    db.commit()  # the account's use case commits only when the account changed
    return item


def _decidable(
    db: Session, ctx: Context, reviewer: Staff, item_id: str
) -> tuple[ReviewItem, ReviewCampaign]:
    """An item (locked) that `reviewer` may decide now, and its campaign."""
    item, row = repo.item(db, item_id, locked=True), repo.item_row(db, item_id)
    if item is None or row is None:
        raise NotFound("review.item_unknown", f"No review item {item_id}.")
    campaign, person = row[1], row[2]
    rules.check_reviewer(reviewer, *_answering(person, _headed(db, ctx)), item.employee_number)
    rules.check_open(
        item.decision, campaign.closed_at is not None, campaign.deadline, ctx.clock.now()
    )
    return item, campaign


def cancel_campaign(
    db: Session, ctx: Context, canceller: Actor, campaign_id: str, reason: str
) -> CampaignView:
    """Cancel an open campaign, with a reason: it closes now, its undecided items stay
    undecided (nobody is suspended for them) and, if it recurs, no successor starts (the
    series ends). Recorded as `review.cancelled`.

    Raises NotFound `review.campaign_unknown`, Conflict `review.closed`, Unprocessable
    `justification.too_short`.
    """
    reason = justification(reason, REASON_MIN_CHARS, "reason").strip()
    campaign = repo.campaign(db, campaign_id, locked=True)
    if campaign is None:
        raise NotFound("review.campaign_unknown", f"No review campaign {campaign_id}.")
    if campaign.closed_at is not None:
        raise Conflict("review.closed", "This campaign has ended.")
    campaign.closed_at, campaign.cancelled_by = ctx.clock.now(), canceller.label
    campaign.cancel_reason = reason
    undecided = len(repo.undecided(db, campaign.id))
    ctx.trail.record(db, "review.cancelled", canceller.label, campaign.id, undecided=undecided)
    db.commit()
    return campaign_view(db, campaign.id)


def _decided(item: ReviewItem, decision: str, reason: str | None, by: str, at: datetime) -> None:
    item.decision, item.reason, item.decided_by, item.decided_at = decision, reason, by, at


def _about(item: ReviewItem) -> dict[str, str]:
    """An item's event details: ids, its department and the decision, never the reason's
    text."""
    return {
        "item": item.id,
        "account": item.account_id,
        "department": item.department,
        "decision": item.decision or "",
    }


def reason_digest(ctx: Context, reason: str | None) -> str:
    """The keyed digest (HMAC-SHA-256 under the vault's lookup key, hex) of a decision's
    reason, as the trail keeps it: the report shows whether the reason on the item is still
    the one decided with, and the trail holds no words a person typed. "" for none."""
    return ctx.vault.digest("review-reason", reason).hex() if reason else ""


def send_reminders(db: Session, ctx: Context, now: datetime) -> int:
    """Remind the reviewers with undecided items of each open campaign REMINDER_DAYS before
    its deadline: a reminder row they see on their review page and a `review.reminded`
    event, once per reviewer and day. Returns how many were sent.

    Two processes at once remind once: each campaign's row is locked (in deadline order)
    before its reminders sent are read, so the second waits for the first and sees them."""
    sent = 0
    for open_campaign in repo.open_campaigns(db):
        campaign = repo.campaign(db, open_campaign.id, locked=True)
        if campaign is not None and campaign.closed_at is None:
            sent += _remind(db, ctx, campaign, now)
    db.commit()
    return sent


def _remind(db: Session, ctx: Context, campaign: ReviewCampaign, now: datetime) -> int:
    """A campaign's reminders due at `now`; the caller holds its row's lock and commits."""
    done = repo.reminders_sent(db, campaign.id)
    headed = _headed(db, ctx)
    waiting = Counter(
        _answering(person, headed)[::-1]
        for _, _, person, _ in repo.open_items(db, campaign.id, undecided_only=True)
    )
    sent = 0
    for (department, reviewer), undecided in sorted(waiting.items()):
        already = {days for d, r, days in done if (d, r) == (department, reviewer)}
        for days in rules.reminders_due(campaign.deadline, now, already):
            db.add(ReviewReminder(
                campaign_id=campaign.id, department=department, reviewer=reviewer,
                days=days, undecided=undecided, sent_at=now,
            ))  # fmt: skip
            ctx.trail.record(
                db, "review.reminded", ACTOR, campaign.id,
                department=department, reviewer=reviewer, days=days, undecided=undecided,
            )  # fmt: skip
            sent += 1
    return sent


def close_due_campaigns(db: Session, ctx: Context, now: datetime) -> list[str]:
    """Close every open campaign whose deadline has come: each undecided item follows the
    campaign's setting (its account suspended, kind `review`, or the item reported as lapsed),
    one item a transaction; then the campaign closes and, if it recurs, the next one starts.
    Idempotent: a second run finds nothing to do. Returns the ids closed."""
    closed = []
    for campaign_id in repo.due_campaigns(db, now):
        db.rollback()  # each campaign's items in transactions of their own
        for item_id in repo.undecided(db, campaign_id):
            _lapse(db, ctx, campaign_id, item_id, now)
        if _close(db, ctx, campaign_id, now):
            closed.append(campaign_id)
    return closed


def _lapse(db: Session, ctx: Context, campaign_id: str, item_id: str, now: datetime) -> None:
    """One undecided item at its campaign's deadline, in a transaction of its own: kept as
    what happened to its account (`rules.lapsed_as`), which is suspended only if active."""
    item, campaign = repo.item(db, item_id, locked=True), _campaign_of(db, campaign_id)
    account = repo.account(db, item.account_id, locked=True) if item is not None else None
    if item is None or item.decision is not None or account is None:
        db.rollback()
        return
    kept = rules.lapsed_as(campaign.at_deadline, account.state, account.suspension_kind)
    _decided(item, kept, None, ACTOR, now)
    ctx.trail.record(db, "review.lapsed", ACTOR, campaign.id, **_about(item))
    if kept == rules.AT_DEADLINE[rules.SUSPEND]:
        reason = f"access review {campaign.id}: not decided by the deadline"
        suspend_account(db, ctx, item.account_id, ACTOR, reason, SUSPENSION_KIND)
    db.commit()


def _close(db: Session, ctx: Context, campaign_id: str, now: datetime) -> bool:
    """Close a campaign whose items are all decided; start its successor if it recurs."""
    campaign = repo.campaign(db, campaign_id, locked=True)
    if campaign is None or campaign.closed_at is not None:
        db.rollback()
        return False
    campaign.closed_at = now
    decided = sum(p[1] for p in repo.progress(db, campaign.id))
    ctx.trail.record(db, "review.closed", ACTOR, campaign.id, decided=decided)
    if campaign.every_months:
        _follow(db, ctx, campaign, now)
    db.commit()
    return True


def _follow(db: Session, ctx: Context, campaign: ReviewCampaign, now: datetime) -> None:
    """Start the next campaign of a recurring one, its deadline one period on (a later period,
    if the worker was down for longer), over the departments that still have accounts to
    review; if none has, the series ends, recorded as `review.series_ended`."""
    zone, months = ctx.settings.timezone, campaign.every_months or 1
    day = repo.first_of_series(db, campaign).deadline.astimezone(zone).day
    deadline = rules.next_deadline(campaign.deadline, months, zone, day)
    while deadline <= now:
        deadline = rules.next_deadline(deadline, months, zone, day)
    scope = _still_staffed(db, ctx, campaign.departments)
    if scope == []:
        ctx.trail.record(
            db, "review.series_ended", ACTOR, campaign.id, departments=campaign.departments
        )
        return
    draft = CampaignDraft(scope, deadline, campaign.at_deadline, campaign.every_months)
    _campaign(db, ctx, ACTOR, draft, campaign.id)


def _still_staffed(db: Session, ctx: Context, departments: list[str] | None) -> list[str] | None:
    """Those of `departments` with an account to review now (None: the whole agency)."""
    if departments is None:
        return None
    staffed = {person.department for _, person in _in_scope(db, ctx, None)}
    return [d for d in departments if d in staffed]


def _campaign_of(db: Session, campaign_id: str) -> ReviewCampaign:
    campaign = repo.campaign(db, campaign_id)
    if campaign is None:
        raise NotFound("review.campaign_unknown", f"No review campaign {campaign_id}.")
    return campaign
