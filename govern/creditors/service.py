"""Creditor use cases: record a creditor (its own data key), change its contract's end, the
contracts the door holds debtors to, and the end of a contract: its keys destroyed, its
debtors' data unreadable wherever a copy lies, a signed deletion certificate issued.

`end_due_contracts` is what the worker runs; `end_contract` ends one now.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from audit.entry import canonical
from govern.access.policy import access_policy
from govern.access.repository import bump_contracts
from govern.access.rules import Entrustment
from govern.contact.parties import rekey_numbers
from govern.contact.repository import blocks_of_client
from govern.context import Context
from govern.creditors import repository as repo
from govern.creditors.certificate import Destroyed, document, exported
from govern.creditors.models import Creditor, DeletionCertificate
from govern.creditors.rules import (
    check_not_passed,
    check_open,
    check_period,
    check_purposes,
    ends_at,
    starts_at,
)
from govern.debtors import repository as debtors
from govern.debtors.copies import copies_carrying
from govern.debtors.models import PERSONAL_FIELDS
from govern.debtors.sealing import reseal_client
from govern.debtors.service import Entrustments
from govern.debtors.vault import KeysDestroyed, add_key, destroy_keys
from govern.errors import BadRequest, Conflict, NotFound
from govern.ids import new_id
from govern.notes.repository import notes_of_client

#: Who ends a contract when its last day has passed (the worker).
CONTRACT_END = "system:contract-end"


@dataclass(frozen=True)
class CreditorDraft:
    """A new creditor as the general manager states it."""

    name: str
    project_groups: list[str]
    contract_start: date
    contract_end: date
    purposes: list[str]


def list_creditors(db: Session) -> Sequence[Creditor]:
    """Every creditor, by name."""
    return repo.creditors(db)


def show_creditor(db: Session, creditor_id: str) -> Creditor:
    """One creditor. Raises NotFound `creditor.unknown`."""
    found = repo.creditor(db, creditor_id)
    if found is None:
        raise NotFound("creditor.unknown", f"No creditor {creditor_id}.")
    return found


def create_creditor(db: Session, ctx: Context, actor: str, draft: CreditorDraft) -> Creditor:
    """Record a creditor with a data key of its own, audited `creditor.created`; its debtors
    already imported are then re-sealed under that key.

    Raises BadRequest `creditor.period_reversed` / `creditor.end_passed` /
    `creditor.purpose_unknown` / `creditor.project_group_unknown` /
    `creditor.no_project_group`, Conflict `creditor.exists`.
    """
    check_period(draft.contract_start, draft.contract_end)
    check_not_passed(draft.contract_end, _today(ctx))
    check_purposes(draft.purposes, access_policy(ctx.settings.policies_dir).purposes)
    if not draft.project_groups:
        raise BadRequest("creditor.no_project_group", "Name the creditor's project groups.")
    unknown = sorted(set(draft.project_groups) - debtors.known_project_groups(db))
    if unknown:
        raise BadRequest(
            "creditor.project_group_unknown", f"No project group {unknown[0]} in the directory."
        )
    if repo.by_name(db, draft.name) is not None:
        raise Conflict("creditor.exists", f"There is a creditor {draft.name} already.")
    key_id = add_key(ctx.settings.data_keys_file, client=draft.name)
    ctx.vault.reload()
    creditor = Creditor(
        id=new_id("CR"),
        name=draft.name,
        project_groups=sorted(set(draft.project_groups)),
        purposes=sorted(set(draft.purposes)),
        contract_start=draft.contract_start,
        contract_end=draft.contract_end,
        key_id=key_id,
        created_at=ctx.clock.now(),
        created_by=actor,
    )
    db.add(creditor)
    db.flush()
    bump_contracts(db)
    ctx.trail.record(db, "creditor.created", actor, creditor.id, **_facts(creditor))
    db.commit()
    reseal_client(db, ctx.vault, creditor.name, rekey_numbers)
    return creditor


def change_end(db: Session, ctx: Context, actor: str, creditor_id: str, end: date) -> Creditor:
    """Move the contract's last day (extended, or brought forward), audited
    `creditor.contract_changed`. Raises NotFound `creditor.unknown`, Conflict
    `creditor.ended`, BadRequest `creditor.period_reversed` / `creditor.end_passed`."""
    creditor = _known(db, creditor_id, lock=True)
    check_open(creditor.ended_at)
    check_period(creditor.contract_start, end)
    check_not_passed(end, _today(ctx))
    before, creditor.contract_end = creditor.contract_end, end
    bump_contracts(db)
    ctx.trail.record(
        db,
        "creditor.contract_changed",
        actor,
        creditor.id,
        contract_end={"from": before.isoformat(), "to": end.isoformat()},
    )
    db.commit()
    return creditor


#: Contracts kept per process at most (one per debtors' client; beyond it, all read again).
KEPT_CONTRACTS = 10_000


class Contracts:
    """The door's question, handed to the debtor reads at start-up (`Entrustments`): the
    contracts of these clients, in one query (`zone`: the company's, where a contract's last
    day ends). Asked at a version of the contracts (`access.repository.versions`, read
    before), it keeps each client's contract, or that it has none, with that version and
    reads it again only once the version moved: every creditor created, changed or ended
    bumps it in its own transaction (`bump_contracts`), so another instance's change is read
    at the next request. Whether a kept contract has run out is decided at each request."""

    def __init__(self, zone: ZoneInfo) -> None:
        self.zone = zone
        self._kept: dict[str, tuple[int, Entrustment | None]] = {}

    def __call__(
        self, db: Session, clients: Sequence[str], version: int | None
    ) -> Mapping[str, Entrustment]:
        if version is None:
            return self._read(db, clients)
        kept = {c: self._kept.get(c) for c in clients}
        unread = [c for c, k in kept.items() if k is None or k[0] != version]
        read = self._read(db, unread) if unread else {}
        self._keep({c: (version, read.get(c)) for c in unread})
        held = {c: k[1] for c, k in kept.items() if k is not None and c not in unread}
        return {**{c: e for c, e in held.items() if e is not None}, **read}

    def _read(self, db: Session, clients: Sequence[str]) -> dict[str, Entrustment]:
        return {
            c.name: Entrustment(
                c.id,
                ends_at(c.contract_end, self.zone),
                frozenset(c.purposes),
                c.ended_at is not None,
                starts_at(c.contract_start, self.zone),
            )
            for c in repo.of_clients(db, clients)
        }

    def _keep(self, contracts: dict[str, tuple[int, Entrustment | None]]) -> None:
        if len(self._kept) + len(contracts) > KEPT_CONTRACTS:
            self._kept.clear()
        self._kept.update(contracts)


def entrustments_in(zone: ZoneInfo) -> Entrustments:
    """The door's question for the debtor reads of one process (`Contracts`)."""
    return Contracts(zone)


def end_due_contracts(db: Session, ctx: Context, now: datetime) -> list[DeletionCertificate]:
    """End every contract whose last day has passed by `now`, and every end a crash cut short
    (its keys destroyed in the file, the creditor not marked ended: an early end too) — the
    worker's job; running it again ends nothing more: each its own `end_contract`. Returns the
    certificates issued."""
    today = now.astimezone(ctx.settings.timezone).date()
    ctx.vault.reload()
    cut_short = repo.of_clients(db, sorted(set(ctx.vault.destroyed.values())))
    issued = []
    for due in sorted({*repo.due(db, today), *(c.id for c in cut_short if c.ended_at is None)}):
        try:
            issued.append(end_contract(db, ctx, CONTRACT_END, due))
        except Conflict:  # another instance's run ended it first
            db.rollback()
    return issued


def end_contract(
    db: Session, ctx: Context, actor: str, creditor_id: str, confirmed: str | None = None
) -> DeletionCertificate:
    """End the creditor's contract now: its keys destroyed in the keys file (rewritten whole
    and synced), its debtors' lookup digests deleted, `creditor.contract_ended` recorded and
    signed into the trail, then the deletion certificate issued and signed with the audit key.
    The debtor rows stay, sealed under keys no one holds; the trail keeps every event.

    Finishes an end a crash cut short. `confirmed`: the creditor's name as a person typed it
    (None for the worker). Raises NotFound `creditor.unknown`, BadRequest
    `creditor.name_mismatch`, Conflict `creditor.ended` when its certificate was issued.
    """
    creditor = _known(db, creditor_id)
    if confirmed is not None and confirmed != creditor.name:
        raise BadRequest("creditor.name_mismatch", "Type the creditor's name to end it.")
    if creditor.ended_at is None:
        _finish_reseal(db, ctx, creditor.name)
    db.rollback()  # what was read before the lock is read again under it
    creditor = _known(db, creditor_id, lock=True)
    if creditor.ended_at is None:
        _destroy(db, ctx, actor, creditor)
    else:
        _check_no_certificate(db, creditor)
        db.rollback()
    ctx.trail.checkpoint_now()  # the end's event signed, outside any transaction
    creditor = _known(db, creditor_id, lock=True)  # again: one certificate, whoever races
    _check_no_certificate(db, creditor)
    return _issue(db, ctx, actor, creditor, _destroyed(db, ctx, creditor))


def _finish_reseal(db: Session, ctx: Context, client: str) -> None:
    """Move the creditor's debtors still under another key (a re-seal its recording began and
    did not finish) under its own, so that its end destroys them too; nothing to do once its
    keys are gone (an end a crash cut short)."""
    try:
        reseal_client(db, ctx.vault, client, rekey_numbers)
    except KeysDestroyed:
        db.rollback()


def _check_no_certificate(db: Session, creditor: Creditor) -> None:
    if repo.certificate(db, creditor.id) is not None:
        raise Conflict("creditor.ended", "The contract has ended; its certificate is issued.")


def _destroy(db: Session, ctx: Context, actor: str, creditor: Creditor) -> None:
    """Count by key (its debtors under one of its keys; any left under another are counted
    apart), destroy the keys (first: once gone, a failure after leaves nothing readable),
    forget the lookup digests, mark the creditor ended, and record what went in
    `creditor.contract_ended`: one transaction after the file."""
    ctx.vault.reload()
    keys = {**ctx.vault.owners, **ctx.vault.destroyed}  # destroyed: an end a crash cut short
    owned = sorted(k for k, owner in keys.items() if owner == creditor.name)
    count, digests, elsewhere = debtors.of_client(db, creditor.name, owned)
    key_ids = destroy_keys(ctx.settings.data_keys_file, creditor.name)
    ctx.vault.reload()
    debtors.forget_digests(db, creditor.name)
    creditor.ended_at, creditor.ended_by = ctx.clock.now(), actor
    bump_contracts(db)
    destroyed = Destroyed(
        count,
        count * len(PERSONAL_FIELDS),
        digests,
        key_ids,
        *notes_of_client(db, creditor.name, key_ids),
        debtors_under_other_keys=elsewhere,
        blocks_kept=blocks_of_client(db, creditor.name),
    )
    ctx.trail.record(
        db, "creditor.contract_ended", actor, creditor.id, **_destroyed_details(destroyed)
    )
    db.commit()


def _destroyed(db: Session, ctx: Context, creditor: Creditor) -> Destroyed:
    """What the end destroyed, as its `creditor.contract_ended` event states it (the one
    count, whichever run issues the certificate: this one, or the one finishing an end a
    crash cut short), its keys destroyed again should the file have lost the change."""
    details = repo.ended_details(db, creditor.id)
    key_ids = destroy_keys(ctx.settings.data_keys_file, creditor.name)
    ctx.vault.reload()
    return Destroyed(
        details["debtors"],
        details["fields"],
        details["lookup_digests"],
        key_ids,
        details["notes"],
        details["notes_under_other_keys"],
        details.get("debtors_under_other_keys", 0),
        details.get("blocks_kept", 0),
    )


def _issue(
    db: Session, ctx: Context, actor: str, creditor: Creditor, destroyed: Destroyed
) -> DeletionCertificate:
    """The certificate, with the trail's newest signed checkpoint (the end's event in it)."""
    checkpoint = ctx.trail.newest_checkpoint()
    issued_at = ctx.clock.now()
    header = {
        "id": new_id("DC"),
        "issued_at": issued_at.isoformat(),
        "ended_by": creditor.ended_by,
        "audit_key_id": ctx.trail.signer.key_id,
    }
    statement = document(
        header,
        _creditor_part(creditor),
        destroyed,
        None if checkpoint is None else json.loads(checkpoint.to_json()),
        copies_carrying(ctx.settings.data_keys_file, destroyed.key_ids),
    )
    statement_bytes = canonical(statement)
    signed = ctx.trail.sign_document(statement_bytes)
    certificate = DeletionCertificate(
        id=header["id"],
        creditor_id=creditor.id,
        issued_at=issued_at,
        document=statement_bytes.decode(),
        signature=signed["value"],
        key_id=signed["key_id"],
    )
    db.add(certificate)
    ctx.trail.record(
        db,
        "creditor.certificate_issued",
        actor,
        creditor.id,
        certificate=certificate.id,
        signed_size=statement["trail"]["signed_size"],
    )
    db.commit()
    return certificate


def certificate_of(db: Session, ctx: Context, creditor_id: str) -> dict[str, Any]:
    """The creditor's deletion certificate as handed out: its statement, signature, the
    signing key's id and public half (PEM) to check it with. Raises NotFound
    `creditor.unknown` / `creditor.no_certificate`."""
    creditor = _known(db, creditor_id)
    found = repo.certificate(db, creditor.id)
    if found is None:
        raise NotFound("creditor.no_certificate", "The contract has not ended: no certificate.")
    return {
        **exported(found.document, bytes.fromhex(found.signature), found.key_id),
        "public_key": ctx.trail.public_key_pem().decode(),
    }


def list_certificates(db: Session) -> Sequence[DeletionCertificate]:
    """Every deletion certificate, newest first."""
    return repo.certificates(db)


def _today(ctx: Context) -> date:
    """Today in the company's zone, where a contract's last day ends."""
    return ctx.clock.now().astimezone(ctx.settings.timezone).date()


def _known(db: Session, creditor_id: str, lock: bool = False) -> Creditor:
    found = repo.creditor(db, creditor_id, lock=lock)
    if found is None:
        raise NotFound("creditor.unknown", f"No creditor {creditor_id}.")
    return found


def _facts(creditor: Creditor) -> dict[str, Any]:
    return {
        "key_id": creditor.key_id,
        "project_groups": creditor.project_groups,
        "purposes": creditor.purposes,
        "contract_start": creditor.contract_start.isoformat(),
        "contract_end": creditor.contract_end.isoformat(),
    }


def _creditor_part(creditor: Creditor) -> dict[str, Any]:
    return {
        "id": creditor.id,
        "name": creditor.name,
        "project_groups": creditor.project_groups,
        "contract_start": creditor.contract_start.isoformat(),
        "contract_end": creditor.contract_end.isoformat(),
        "ended_at": creditor.ended_at.isoformat() if creditor.ended_at else None,
    }


def _destroyed_details(destroyed: Destroyed) -> dict[str, Any]:
    return {
        "debtors": destroyed.debtors,
        "fields": destroyed.fields,
        "lookup_digests": destroyed.lookup_digests,
        "notes": destroyed.notes,
        "notes_under_other_keys": destroyed.notes_under_other_keys,
        "key_ids": destroyed.key_ids,
        "debtors_under_other_keys": destroyed.debtors_under_other_keys,
        "blocks_kept": destroyed.blocks_kept,
    }
