"""The leak report of an investigation (PIPL Art. 57, issue 18): from the trail, whose data
(debtor ids) and which categories of fields were shown to whom and when — every kind of read
that shows a debtor (`exposure.VIEWS`), what it showed in full apart from what it showed
masked only —, each event with an inclusion proof in the newest signed checkpoint; the accounts
involved and their state now; a timeline from the investigation's opening with the 4-hour
reporting clock.

Built from the trail's index columns and the accounts' rows: it holds ids, field names and
times, never a personal value. Producing it, and each export, is itself audited durably
(`audit.leak_reported`) before it leaves.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from datetime import datetime, tzinfo
from typing import Any

from sqlalchemy.orm import Session

from audit.entry import decode, levels, micros
from govern.accounts.repository import has_left
from govern.context import Context
from govern.errors import Unprocessable
from govern.investigations import exposure, repository, rules
from govern.investigations.categories import Category, categories, category_of
from govern.investigations.models import Investigation
from govern.investigations.questions import instant
from govern.investigations.service import check_suspect, investigation

#: What a report is produced as: the JSON itself, its PDF, the affected debtors' CSV, the page.
EXPORTS = ("json", "pdf", "csv", "page")
CSV_COLUMNS = (
    "debtor",
    "client",
    "categories",
    "fields",
    "accounts",
    "masked_categories",
    "masked",
    "masked_accounts",
    "first",
    "last",
)
#: What the proofs do not prove, said in every report.
COMPLETENESS = (
    "Each proof shows its event is in the signed trail as reported; no proof shows that the "
    "trail holds no other exposure. That the searchable columns a report is found by match "
    "the entries is what `govern audit verify` (with its index check) checks."
)
#: The most events one report holds, each proven: past it, the report is refused (422
#: `report.too_many_events`) and the auditor narrows the window, the debtors or the fields,
#: so that a report is produced within the auditors' time limit.
MAX_EVENTS = 2000


def leak_report(
    db: Session, ctx: Context, auditor: str, investigation_id: str, grade: str | None, export: str
) -> dict[str, Any]:
    """The report of `investigation_id` as it stands now, under the investigation's stored
    grade; a `grade` given (one of `rules.GRADES`) that differs is stored first, by the
    auditor, as an audited change; produced as `export` (one of EXPORTS); audited durably
    before it is returned.

    Raises NotFound `investigation.unknown`, Forbidden `investigation.same_person` (the
    auditor is its suspect), Unprocessable `report.too_many_events`,
    AuditNotWritten."""
    found = investigation(db, investigation_id)
    check_suspect(db, auditor, found.suspect)
    _graded(db, ctx, auditor, found, grade)
    # Then it only reads (its audit event goes its own way): on SQLite it must not hold the
    # one writer's lock while the proofs are read, or the trail could not commit beside it.
    db.commit()
    db.connection(execution_options={"read_only": True})
    found = investigation(db, investigation_id)
    grade = found.grade
    report = _facts(db, ctx, found, grade)
    db.commit()  # the reads end here; the report is audited durably after
    ctx.trail.record_now(
        db,
        "audit.leak_reported",
        auditor,
        found.id,
        export=export,
        grade=grade,
        debtors=len(report["debtors"]),
        accounts=len(report["accounts"]),
        events=len(report["exposures"]),
        signed_size=(report["checkpoint"] or {}).get("tree_size"),
    )
    return report


def _graded(
    db: Session, ctx: Context, auditor: str, found: Investigation, grade: str | None
) -> None:
    """A grade given that differs from the stored one is stored, with who and when, as an
    audited change (`audit.investigation_graded`) in the caller's transaction."""
    if grade is None or grade == found.grade:
        return
    ctx.trail.record(
        db, "audit.investigation_graded", auditor, found.id, grade=grade, was=found.grade
    )
    found.grade, found.graded_by, found.graded_at = grade, auditor, ctx.clock.now()


def _facts(db: Session, ctx: Context, found: Investigation, grade: str | None) -> dict[str, Any]:
    placed = category_of(ctx.settings.policies_dir)
    exposed = _exposures(db, found, placed)
    checkpoint, proofs = ctx.trail.prove_inclusions(db.connection(), (e["seq"] for e in exposed))
    for event in exposed:
        event["proof"] = proofs.get(event["seq"])
        if event["proof"] is not None:
            _proven(event, set(found.fields), placed)
    own = [e["seq"] for e in exposed if e.pop("investigation", None) == found.id]
    exposed = [e for e in exposed if e["seq"] not in set(own)]
    now = ctx.clock.now()
    return {
        "investigation": _scope(found),
        "graded": _graded_facts(found),
        "produced_at": now.isoformat(),
        "clock": rules.reporting_clock(found.opened_at, now, grade),
        "categories": _categories(ctx, exposed),
        "debtors": _debtors(db, exposed, placed),
        "accounts": _accounts(db, ctx, exposed, found.suspect, now),
        "exposures": exposed,
        "checkpoint": json.loads(checkpoint.to_json()) if checkpoint else None,
        "public_key": ctx.trail.public_key(),
        "not_anchored": [e["seq"] for e in exposed if e["proof"] is None],
        "investigation_reads": own,
        "index_differs": [e["seq"] for e in exposed if e.get("index_differs")],
        "completeness": COMPLETENESS,
        "timeline": _timeline(db, found),
    }


def _graded_facts(found: Investigation) -> dict[str, Any]:
    """The stored grade, its names in Chinese and English, who gave it and when."""
    label, label_en = rules.GRADE_NAMES[found.grade]
    return {
        "grade": found.grade,
        "label": label,
        "label_en": label_en,
        "by": found.graded_by,
        "at": _time(found.graded_at),
    }


def _scope(found: Investigation) -> dict[str, Any]:
    kinds = [k for k, held in (("debtors", found.debtor_ids), ("suspect", found.suspect)) if held]
    return {
        "id": found.id,
        "kind": "+".join(kinds),
        "opened_by": found.opened_by,
        "opened_at": found.opened_at.isoformat(),
        "debtor_ids": found.debtor_ids,
        "suspect": found.suspect,
        "fields": found.fields,
        "from": found.window_start.isoformat(),
        "to": found.window_end.isoformat(),
        "case_reference": found.case_reference,
        "closed_at": found.closed_at.isoformat() if found.closed_at else None,
    }


def _exposures(db: Session, found: Investigation, placed: dict[str, str]) -> list[dict[str, Any]]:
    """Every event of the trail that showed one of the investigation's fields (any, when it
    names none), in full or masked, within its window, oldest first."""
    start, end = micros(found.window_start), micros(found.window_end)
    rows = repository.exposures(
        db.connection(), found.debtor_ids, found.suspect, start, end, MAX_EVENTS + 1
    )
    if len(rows) > MAX_EVENTS:
        raise Unprocessable(
            "report.too_many_events",
            f"More than {MAX_EVENTS} events showed the investigation's fields: open an "
            "investigation of a shorter window, fewer debtors or fields.",
        )
    wanted, exposed = set(found.fields), []
    for seq, actor, debtor, at_us, fields, action, entry in rows:
        details = _details(decode(entry)) if entry else {"fields": levels(fields)}
        event = {"seq": seq, "at": instant(at_us), "account": actor, "debtor": debtor}
        event.update(_seen(action, details, wanted, placed))
        if event["fields"] or event["masked"]:
            exposed.append(event)
    return exposed


def _seen(
    action: str, details: dict[str, Any], wanted: set[str], placed: dict[str, str]
) -> dict[str, Any]:
    """What an event showed: the fields in full and those masked (of `wanted`, all when
    empty), the categories of each, and its kind of view (`exposure.VIEWS`)."""
    full, masked = exposure.split(exposure.shown(action, details), wanted)
    return {
        "fields": full,
        "categories": rules.categories_of(full, placed),
        "masked": masked,
        "masked_categories": rules.categories_of(masked, placed),
        "view": exposure.VIEWS.get(action),
    }


def _details(entry: dict[str, Any]) -> dict[str, Any]:
    return entry.get("details") or {}


def _proven(event: dict[str, Any], wanted: set[str], placed: dict[str, str]) -> None:
    """The exposure's facts as its proven entry holds them: the index columns it was found
    by are not in the signed hash. `index_differs` when the two disagree (the index was
    changed, or the entry: either way a finding)."""
    entry = decode(event["proof"]["entry"].encode())
    details = _details(entry)
    facts = {
        "at": instant(micros(datetime.fromisoformat(entry["time"]))),
        "account": entry["actor"],
        "debtor": entry["object"],
        **_seen(entry["action"], details, wanted, placed),
    }
    event["index_differs"] = any(event[name] != value for name, value in facts.items())
    event.update(
        facts,
        reach=details.get("reach"),
        break_glass=details.get("break_glass"),
        investigation=details.get("investigation"),
    )


def _categories(ctx: Context, exposed: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each category of fields shown, in full or masked only, in the categories' order."""
    found = (_category(c, exposed) for c in categories(ctx.settings.policies_dir))
    return [category for category in found if category]


def _category(category: Category, exposed: Sequence[dict[str, Any]]) -> dict[str, Any] | None:
    """The category's names; the fields of it shown in full and to how many debtors; those
    shown masked only, and how many debtors had fields of it shown masked only. None when
    nothing of it was shown."""
    full = [e for e in exposed if category.name in e["categories"]]
    masked = [e for e in exposed if category.name in e["masked_categories"]]
    if not (full or masked):
        return None
    fields = {f for e in full for f in e["fields"] if f in category.fields}
    debtors = {e["debtor"] for e in full}
    return {
        "category": category.name,
        "label": category.label,
        "label_en": category.label_en,
        "fields": sorted(fields),
        "debtors": len(debtors),
        "masked": sorted({f for e in masked for f in e["masked"] if f in category.fields} - fields),
        "masked_debtors": len({e["debtor"] for e in masked} - debtors),
    }


def _debtors(
    db: Session, exposed: Sequence[dict[str, Any]], placed: dict[str, str]
) -> list[dict[str, Any]]:
    """Each debtor whose fields were shown, in id order: the creditor it is entrusted by,
    what was shown in full and masked only, to whom, first and last time."""
    grouped: dict[str, list[dict[str, Any]]] = {}
    for event in exposed:
        grouped.setdefault(event["debtor"], []).append(event)
    owners = repository.clients(db.connection(), sorted(grouped))
    return [
        {
            "debtor": debtor,
            "client": owners.get(debtor),
            **_shown_of(hit, placed),
            "first": _reach(hit)["first"],
            "last": _reach(hit)["last"],
        }
        for debtor, hit in sorted(grouped.items())
    ]


def _shown_of(hit: Sequence[dict[str, Any]], placed: dict[str, str]) -> dict[str, Any]:
    """What `hit` (one debtor's events) showed in full, and to whom; what it showed masked
    only (never in full, to anyone), and to whom only masked (masked exposure is graded
    apart)."""
    fields = {f for e in hit for f in e["fields"]}
    accounts = {e["account"] for e in hit if e["fields"]}
    masked = {f for e in hit for f in e["masked"]} - fields
    return {
        "categories": rules.categories_of(fields, placed),
        "fields": sorted(fields),
        "accounts": sorted(accounts),
        "masked_categories": rules.categories_of(masked, placed),
        "masked": sorted(masked),
        "masked_accounts": sorted({e["account"] for e in hit} - accounts),
    }


def _accounts(
    db: Session,
    ctx: Context,
    exposed: Sequence[dict[str, Any]],
    suspect: str | None,
    now: datetime,
) -> list[dict[str, Any]]:
    """Each account that was shown the fields (and the suspect): its state now, how many
    debtors it was shown fields of in full and how many only masked, how many events, first
    and last time."""
    grouped: dict[str, list[dict[str, Any]]] = {suspect: []} if suspect else {}
    for event in exposed:
        grouped.setdefault(event["account"], []).append(event)
    held = {a.id: (a, p) for a, p in repository.accounts_and_people(db, sorted(grouped))}
    return [
        {
            "account": account_id,
            **_account(held.get(account_id), now, ctx),
            "suspect": account_id == suspect,
            **_reach(hit),
        }
        for account_id, hit in sorted(grouped.items())
    ]


def _account(held: tuple[Any, Any] | None, now: datetime, ctx: Context) -> dict[str, Any]:
    account, person = held or (None, None)
    departed = person is not None and has_left(person, now, ctx.settings.departures)
    gone = person is not None and person.gone_at is not None
    return {
        "employee_number": account.employee_number if account else None,
        "state": rules.account_state(account.state if account else None),
        "person": rules.person_state(person is not None, gone, departed),
    }


def _reach(hit: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """How many debtors `hit` showed fields of in full, how many only masked, how many events,
    its first and last time."""
    times = sorted(e["at"] for e in hit)
    full = {e["debtor"] for e in hit if e["fields"]}
    return {
        "debtors": len(full),
        "masked_debtors": len({e["debtor"] for e in hit} - full),
        "events": len(hit),
        "first": times[0] if times else None,
        "last": times[-1] if times else None,
    }


def _time(at: datetime | None) -> str | None:
    return at.isoformat() if at else None


def _timeline(db: Session, found: Investigation) -> list[dict[str, Any]]:
    """From the investigation's opening: what the trail holds about it (its opening,
    decisions, reports), and the reporting deadline, in time order."""
    opened = micros(found.opened_at)
    events = [
        {"at": instant(at_us), "what": action, "actor": actor, "seq": seq}
        for seq, at_us, actor, action in repository.about(db.connection(), found.id)
        if at_us >= opened
    ]
    deadline = found.opened_at + rules.REPORT_WITHIN
    events.append({"at": deadline.isoformat(), "what": "reporting.deadline", "actor": None})
    return sorted(events, key=lambda e: datetime.fromisoformat(e["at"]))


def affected_csv(report: dict[str, Any], zone: tzinfo) -> str:
    """The affected debtors for notification, a row each: ids, the creditor, the categories
    and fields revealed in full, to how many accounts, those shown masked only, to how many
    accounts, first and last time; no personal value (a notice's address is read through the
    access door, audited, as any other reveal)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)  # times in `zone` (the company's), with the offset
    for row in report["debtors"]:
        writer.writerow(
            [
                row["debtor"],
                row["client"] or "",
                ";".join(row["categories"]),
                ";".join(row["fields"]),
                len(row["accounts"]),
                ";".join(row["masked_categories"]),
                ";".join(row["masked"]),
                len(row["masked_accounts"]),
                _in_zone(row["first"], zone),
                _in_zone(row["last"], zone),
            ]
        )
    return out.getvalue()


def _in_zone(instant: str, zone: tzinfo) -> str:
    return datetime.fromisoformat(instant).astimezone(zone).isoformat()
