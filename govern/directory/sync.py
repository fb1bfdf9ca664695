"""Directory sync: compare the directory with Govern's identities, then apply or hold.

`plan_sync` is a pure comparison; `sync_directory` is the use case that reads, guards, writes
and reports. Identities are keyed by employee number, so a changed uid or name is an update.
"""

from __future__ import annotations

import secrets
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from audit.tally import QUIET, Tally
from govern import signals
from govern.context import Context
from govern.directory.departure import Departures
from govern.directory.guard import GuardVerdict, check_removals
from govern.directory.models import SYNC_LOCK, SYNCED_FIELDS, Identity, IdentityChange
from govern.directory.person import DirectoryDataError, DirectoryPerson, username_key
from govern.directory.separation import record_conflicts, separate_people, tell
from govern.directory.source import Directory
from govern.errors import Conflict

Outcome = Literal["applied", "held", "dry-run"]
Values = dict[str, object]


@dataclass(frozen=True)
class SyncPlan:
    added: list[DirectoryPerson] = field(default_factory=list)
    changed: list[tuple[DirectoryPerson, dict[str, tuple[object, object]]]] = field(
        default_factory=list
    )
    gone: list[str] = field(default_factory=list)
    population: int = 0


@dataclass(frozen=True)
class SyncReport:
    run: str
    outcome: Outcome
    added: list[str]
    changed: dict[str, list[str]]
    gone: list[str]
    departed: list[str]
    guard: GuardVerdict
    #: Employee number → why their track is unknown (`absent`, `unmapped`, `ambiguous`): every
    #: present person whose entry does not say, on every run until the entry is mended.
    track_unknown: dict[str, str] = field(default_factory=dict)
    #: Employee number → the roles the directory gives that separation of duties withholds.
    withheld: dict[str, list[str]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def plan_sync(present: Mapping[str, Values], people: Sequence[DirectoryPerson]) -> SyncPlan:
    """What a sync would do. `present` maps employee number → stored values (with `gone`).

    Raises DirectoryDataError when an employee number or username appears twice.
    """
    _refuse_duplicates("employee_number", (person.employee_number for person in people))
    _refuse_duplicates("username", (username_key(person.username) for person in people))
    plan = SyncPlan(population=sum(1 for values in present.values() if not values["gone"]))
    seen = set()
    for person in people:
        seen.add(person.employee_number)
        stored = present.get(person.employee_number)
        if stored is None:
            plan.added.append(person)
        elif differences := _differences(stored, person):
            plan.changed.append((person, differences))
    plan.gone.extend(
        number for number, values in present.items() if number not in seen and not values["gone"]
    )
    return plan


@signals.tells_outcome("sync")
def sync_directory(
    db: Session,
    directory: Directory,
    ctx: Context,
    *,
    dry_run: bool = False,
    confirm: bool = False,
    tally: Tally = QUIET,
) -> SyncReport:
    """Read the directory and bring identities up to date, unless the guard holds the run
    (`tally` hears each person added, changed or gone as it is applied). A role that would make
    a pair separation of duties forbids is withheld (`separation.py`), the conflict recorded.

    Raises Conflict `directory.sync_running` while another instance syncs (PostgreSQL).
    """
    _one_sync_at_a_time(db)
    stored = {identity.employee_number: identity for identity in db.scalars(select(Identity))}
    people, separated = separate_people(db, ctx, stored, directory.people())
    plan = plan_sync({n: stored_values(i) for n, i in stored.items()}, people)
    clock, settings = ctx.clock, ctx.settings
    departed = newly_departed(plan, clock.now(), settings.departures)
    verdict = check_removals(
        len(plan.gone) + len(departed),
        plan.population,
        settings.guard_percent,
        settings.guard_count,
    )
    run = secrets.token_hex(6)
    outcome: Outcome = (
        "dry-run" if dry_run else "held" if verdict.held and not confirm else "applied"
    )
    report = _report(run, outcome, plan, departed, verdict, people)
    report.withheld.update({n: s.withheld for n, s in separated.items() if s.withheld})
    if outcome == "applied":
        _apply(db, plan, stored, run, clock.now(), tally)
        noticed = record_conflicts(db, ctx, run, separated, clock.now())
        ctx.trail.record(db, "directory.synced", None, run, **_ids_only(report))
        db.commit()
        tell(noticed)
    return report


def _ids_only(report: SyncReport) -> dict[str, object]:
    """What the audit trail keeps of a sync: employee numbers and attribute names."""
    return {
        "added": report.added,
        "changed": report.changed,
        "gone": report.gone,
        "departed": report.departed,
        "track_unknown": sorted(report.track_unknown),
        "withheld": report.withheld,
    }


def _one_sync_at_a_time(db: Session) -> None:
    # Every worker may run the periodic sync; on PostgreSQL a transaction-scoped advisory lock
    # lets one through. SQLite's single writer (BEGIN IMMEDIATE) already serialises them.
    if db.get_bind().dialect.name != "postgresql":
        return
    if not db.execute(select(func.pg_try_advisory_xact_lock(SYNC_LOCK))).scalar():
        raise Conflict("directory.sync_running", "Another directory sync is running; try later.")


def stored_values(identity: Identity) -> Values:
    values: Values = {name: getattr(identity, name) for name in SYNCED_FIELDS}
    values["roles"] = tuple(sorted(identity.roles))
    values["gone"] = identity.gone_at is not None
    return values


def _differences(stored: Values, person: DirectoryPerson) -> dict[str, tuple[object, object]]:
    incoming = asdict(person)
    incoming["roles"] = tuple(person.roles)
    differences = {
        name: (stored[name], incoming[name])
        for name in SYNCED_FIELDS
        if stored[name] != incoming[name]
    }
    if stored["gone"]:
        differences["present"] = (False, True)
    return differences


def _apply(
    db: Session,
    plan: SyncPlan,
    stored: dict[str, Identity],
    run: str,
    now: datetime,
    tally: Tally,
) -> None:
    def record(number: str, attribute: str, old: object, new: object) -> None:
        db.add(
            IdentityChange(
                sync_run=run,
                employee_number=number,
                attribute=attribute,
                old_value=_text(old),
                new_value=_text(new),
                changed_at=now,
            )
        )

    tally.count(len(plan.added) + len(plan.changed) + len(plan.gone))
    for person in plan.added:
        db.add(Identity(**_columns(person), synced_at=now, gone_at=None))
        db.flush()
        record(person.employee_number, "identity", None, "added")
        tally.advance(1)
    for person, differences in plan.changed:
        identity = stored[person.employee_number]
        for name, value in _columns(person).items():
            setattr(identity, name, value)
        identity.synced_at, identity.gone_at = now, None
        for attribute, (old, new) in differences.items():
            record(person.employee_number, attribute, old, new)
        tally.advance(1)
    for number in plan.gone:
        stored[number].gone_at = now
        record(number, "identity", "present", "gone")
        tally.advance(1)


def _columns(person: DirectoryPerson) -> dict[str, object]:
    columns = asdict(person)
    columns["roles"] = list(person.roles)
    del columns["track_unknown"]
    return columns


def newly_departed(plan: SyncPlan, now: datetime, departures: Departures) -> list[str]:
    """Who this run would send past their departure instant: removals, as far as the guard
    is concerned (a wrongly mapped date attribute must not look like everyone leaving)."""

    def departed(day: object) -> bool:
        return departures.passed(day, now)  # type: ignore[arg-type]

    return [
        person.employee_number
        for person, diff in plan.changed
        if "departure_date" in diff
        and departed(diff["departure_date"][1])
        and not departed(diff["departure_date"][0])
    ]


def _report(
    run: str,
    outcome: Outcome,
    plan: SyncPlan,
    departed: list[str],
    verdict: GuardVerdict,
    people: Sequence[DirectoryPerson],
) -> SyncReport:
    return SyncReport(
        run=run,
        outcome=outcome,
        added=[person.employee_number for person in plan.added],
        changed={person.employee_number: sorted(diff) for person, diff in plan.changed},
        gone=list(plan.gone),
        departed=departed,
        guard=verdict,
        track_unknown={p.employee_number: p.track_unknown for p in people if p.track_unknown},
    )


def _refuse_duplicates(what: str, values: Iterable[str]) -> None:
    repeated = sorted(value for value, count in Counter(values).items() if count > 1)
    if repeated:
        raise DirectoryDataError(
            f"directory.duplicate_{what}",
            f"The directory has more than one entry with {what} {', '.join(repeated)}; "
            "nothing was synced",
        )


def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return ",".join(map(str, value))
    return str(value)
