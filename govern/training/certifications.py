"""The confidentiality agreement (R-TRN-8) and certification status: the one function the
access decisions call, `training_status`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy.orm import Session

from govern.actor import Staff
from govern.context import Context
from govern.directory.models import Identity
from govern.errors import Conflict
from govern.training import repository as repo
from govern.training.catalogue import load_catalogue
from govern.training.models import AgreementSignature
from govern.training.people import account_of, visible_account
from govern.training.repository import TrainingRecord
from govern.training.rules import CertificationStatus, certification_status, in_training


@dataclass(frozen=True)
class TrainingStatus:
    account_id: str
    track: str | None
    in_training: bool
    certifications: list[CertificationStatus]

    def holds(self, name: str) -> bool:
        return any(c.name == name and c.holds for c in self.certifications)


def training_status(db: Session, ctx: Context, account_id: str) -> TrainingStatus:
    """Per certification: holds, since, until, missing; and whether the account is in training.

    Read fresh from the database on every call. Raises NotFound `account.unknown`.
    """
    _, person = account_of(db, account_id)
    return _status(ctx, account_id, person, repo.training_record(db, account_id))


def training_statuses(
    db: Session, ctx: Context, account_ids: list[str]
) -> dict[str, TrainingStatus]:
    """`training_status` of many accounts in two queries (a list page's rows); an account id
    that does not exist is left out."""
    people = repo.accounts_with_identities(db, account_ids)
    records = repo.training_records(db, list(people))
    return {
        account_id: _status(ctx, account_id, person, records[account_id])
        for account_id, (_, person) in people.items()
    }


def holding(db: Session, ctx: Context, account_id: str) -> frozenset[str]:
    """The certifications that hold for `account_id` now, read fresh (one query)."""
    return held(ctx, repo.training_record(db, account_id))


def held(ctx: Context, record: TrainingRecord) -> frozenset[str]:
    """The certifications `record` makes hold now (a lapse is decided at every call)."""
    return frozenset(s.name for s in _statuses(ctx, record) if s.holds)


#: Records kept per process at most (one per viewer; beyond it, all are read again).
KEPT_RECORDS = 10_000


class TrainingRecords:
    """The training records of a process's viewers, each kept with the number of entries it
    held when read (`repository.record_entries`): a record only grows, so while the number
    read with a request's other checks is the same, the kept record is the stored one, and
    any new result or signature, from whichever instance, is read at the next request.
    Shared by the process's threads (each record is replaced whole)."""

    def __init__(self) -> None:
        self._kept: dict[str, tuple[int, TrainingRecord]] = {}

    def record(self, db: Session, account_id: str, entries: int) -> TrainingRecord:
        """The account's record, read again only when it no longer holds `entries` entries
        (read before this call, so a record read now holds at least those)."""
        kept = self._kept.get(account_id)
        if kept is not None and kept[0] == entries:
            return kept[1]
        record = repo.training_record(db, account_id)
        if len(self._kept) >= KEPT_RECORDS:
            self._kept.clear()
        self._kept[account_id] = (entries, record)
        return record


def _status(
    ctx: Context, account_id: str, person: Identity, record: TrainingRecord
) -> TrainingStatus:
    book = load_catalogue(ctx.settings.policies_dir)
    statuses = _statuses(ctx, record)
    holding = {s.name for s in statuses if s.holds}
    # An unknown track leaves training as an intern does: it never gets more than an intern.
    track = book.tracks.get(person.track or "") or book.tracks.get("intern")
    required = track.leaves_training_with if track else ()
    return TrainingStatus(
        account_id, person.track, in_training(person.track, required, holding), statuses
    )


def _statuses(ctx: Context, record: TrainingRecord) -> list[CertificationStatus]:
    settings = ctx.settings
    book = load_catalogue(settings.policies_dir)
    return [
        certification_status(
            certification,
            record.results,
            record.signed.get(certification.agreement or "", {}),
            book.agreements.get(certification.agreement or ""),
            ctx.clock.now(),
            settings.recertify_days,
        )
        for certification in book.certifications.values()
    ]


def certifications_of(db: Session, ctx: Context, viewer: Staff, account_id: str) -> TrainingStatus:
    """`training_status` for someone the viewer may see (`visible_account`; who sees everyone's
    is `company_wide.training` in policies/roles.toml).

    Raises NotFound `account.unknown`, Forbidden `training.not_visible`.
    """
    visible_account(db, viewer, account_id, ctx.roles.training_readers)
    return training_status(db, ctx, account_id)


def sign_agreement(
    db: Session,
    ctx: Context,
    account_id: str,
    name: str,
    version: str,
) -> tuple[AgreementSignature, bool]:
    """Sign the current version of agreement `name`. Returns (signature, newly signed).

    Raises NotFound `agreement.unknown`, Conflict `agreement.outdated` when `version` is
    not the current one (the signer read an older text).
    """
    agreement = load_catalogue(ctx.settings.policies_dir).agreement(name)
    if version != agreement.current:
        raise Conflict(
            "agreement.outdated",
            f"Version {version} is not the current one ({agreement.current}); read it again.",
        )
    for signature in repo.signatures(db, account_id, name):
        if signature.version == version:
            return signature, False
    signature = AgreementSignature(
        account_id=account_id, agreement=name, version=version, signed_at=ctx.clock.now()
    )
    if not repo.added_once(db, signature):  # signed a moment ago, in another request
        return sign_agreement(db, ctx, account_id, name, version)
    ctx.trail.record(
        db, "agreement.signed", account_id, account_id, agreement=name, version=version
    )
    db.commit()
    return signature, True


def signed_current(db: Session, policies_dir: Path, account_id: str, name: str) -> datetime | None:
    """When `account_id` signed the current version of `name`, if they did.

    Raises NotFound `agreement.unknown`.
    """
    current = load_catalogue(policies_dir).agreement(name).current
    return _signed(db, account_id, name).get(current)


def _signed(db: Session, account_id: str, name: str) -> dict[str, datetime]:
    return {s.version: s.signed_at for s in repo.signatures(db, account_id, name)}
