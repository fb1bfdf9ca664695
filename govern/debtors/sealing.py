"""Debtors stored sealed: a CSV import (every personal field under its creditor's key, every
phone and identity number digested under its creditor's lookup key), the re-seal of a
client's debtors once it is recorded as a creditor, and `govern keys rotate`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from audit.tally import QUIET, Tally
from govern.context import Context, Sealer
from govern.debtors import repository as repo
from govern.debtors.importer import personal_values, read_rows
from govern.debtors.models import PERSONAL_FIELDS, Debtor, DebtorLookup
from govern.debtors.service import (
    Entrustments,
    Rekeyed,
    lookup_form,
    no_entrustments,
    no_rekeyed,
)
from govern.debtors.vault import Vault
from govern.errors import Forbidden
from govern.ids import new_id


def import_debtors(
    db: Session,
    ctx: Context,
    text: str,
    operator: str,
    tally: Tally = QUIET,
    entrustments: Entrustments = no_entrustments,
) -> tuple[str, int]:
    """Store every row of a CSV file, or none (`tally` hears each row sealed). Returns
    (batch id, rows stored).

    Raises ImportRefused listing each bad row by line and column, and what
    `_check_importable` raises.
    """
    rows = read_rows(text, repo.known_project_groups(db), repo.case_numbers(db))
    _check_importable(db, ctx, sorted({row["client"] for row in rows}), entrustments)
    batch, now, vault = new_id("IM"), ctx.clock.now(), ctx.vault
    debtors, lookups = [], []
    tally.count(len(rows))
    for row in rows:
        debtor_id = new_id("DB")
        debtors.append(_sealed_row(vault, debtor_id, row, batch, now))  # a creditor's key
        lookups += debtor_lookups(vault, debtor_id, row["phones"], row["id_number"], row["client"])
        tally.advance(1)
    db.execute(insert(Debtor), debtors)
    db.execute(insert(DebtorLookup), lookups)
    ctx.trail.record(db, "debtors.imported", operator, batch, rows=len(rows))
    db.commit()
    return batch, len(rows)


def _check_importable(
    db: Session, ctx: Context, clients: list[str], entrustments: Entrustments
) -> None:
    """No debtor is imported for a creditor whose contract has ended (its data is to be
    destroyed, or was). Raises Forbidden `creditor.contract_ended` or KeysDestroyed
    `creditor.keys_destroyed` naming the first such client."""
    contracts, now = entrustments(db, clients, None), ctx.clock.now()
    for client in clients:
        contract = contracts.get(client)
        if contract is not None and contract.over(now):
            raise Forbidden(
                "creditor.contract_ended",
                f"The contract of {client} has ended: no debtor of it may be imported.",
            )
        ctx.vault.key_for(client)  # an end a crash cut short: its keys destroyed


def _sealed_row(vault: Sealer, debtor_id: str, row: dict[str, Any], batch: str, now: Any) -> dict:
    """The row, its personal fields sealed under its client's key (`vault.key_for`: raises
    Forbidden `creditor.keys_destroyed` for a creditor whose contract has ended)."""
    key_id = vault.key_for(row["client"])
    sealed = {
        name: vault.seal(text, f"{debtor_id}/{name}", key_id)
        for name, text in personal_values(row).items()
    }
    return {
        "id": debtor_id,
        "case_no": row["case_no"],
        "client": row["client"],
        "amount_owed": row["amount_owed"],
        "days_overdue": row["days_overdue"],
        "project_group": row["project_group"],
        "time_zone": row["time_zone"],
        "key_id": key_id,
        "lookup_key_id": vault.lookup_for(row["client"]),
        "imported_at": now,
        "import_batch": batch,
        **sealed,
    }


def debtor_lookups(
    vault: Sealer, debtor_id: str, phones: Sequence[str], id_number: str, client: str
) -> list[dict[str, Any]]:
    """The debtor's `DebtorLookup` rows: the digests of its phones and identity number, under
    its client's lookup key (`vault.lookup_for`: its creditor's, destroyed with it)."""
    lookup_id = vault.lookup_for(client)
    values = [("phone", p) for p in phones] + [("id_number", id_number)]
    return [
        {
            "kind": kind,
            "digest": vault.digest(kind, lookup_form(kind, value), lookup_id),
            "debtor_id": debtor_id,
        }
        for kind, value in values
    ]


def rotate_keys(
    db: Session,
    vault: Vault,
    batch: int = 500,
    progress: Callable[[int], None] | None = None,
    rekeyed: Rekeyed = no_rekeyed,
) -> int:
    """Re-seal every debtor not under its client's keys now (its creditor's, or the current
    key; its digests under its creditor's lookup key), a batch per transaction, while the
    service keeps serving (it reads every key in the file). Returns how many were re-sealed."""
    done = 0
    while rows := repo.sealed_under_other_keys(db, vault, batch):
        for debtor in rows:
            _reseal(db, vault, debtor, rekeyed)
        db.commit()
        done += len(rows)
        if progress is not None:
            progress(len(rows))
    return done


def reseal_client(
    db: Session, vault: Sealer, client: str, rekeyed: Rekeyed = no_rekeyed, batch: int = 500
) -> int:
    """Re-seal `client`'s debtors not under its keys now (a creditor's own keys, once
    recorded), a batch per transaction. Returns how many were re-sealed."""
    done = 0
    while rows := repo.of_client_off_key(
        db, client, vault.key_for(client), vault.lookup_for(client), batch
    ):
        for debtor in rows:
            _reseal(db, vault, debtor, rekeyed)
        db.commit()
        done += len(rows)
    return done


def _reseal(db: Session, vault: Sealer, debtor: Debtor, rekeyed: Rekeyed) -> None:
    """The debtor's fields under its client's key, and its digests under its lookup key."""
    key_id = vault.key_for(debtor.client)
    for name in PERSONAL_FIELDS:
        place = f"{debtor.id}/{name}"
        setattr(debtor, name, vault.seal(vault.open(getattr(debtor, name), place), place, key_id))
    debtor.key_id = key_id
    lookup_id = vault.lookup_for(debtor.client)
    if lookup_id != debtor.lookup_key_id:
        phones = json.loads(vault.open(debtor.phones, f"{debtor.id}/phones"))
        id_number = vault.open(debtor.id_number, f"{debtor.id}/id_number")
        rows = debtor_lookups(vault, debtor.id, phones, id_number, debtor.client)
        repo.replace_lookups(db, debtor.id, rows)
        rekeyed(db, vault, debtor, debtor.lookup_key_id, lookup_id)
        debtor.lookup_key_id = lookup_id
