"""Govern's door to the audit trail (`audit/`): every event goes through `Trail`, and so does
every check of it (verify, prove, export), the `govern audit` commands' included.

`record` (and `record_all`, a batch of changes' events in one append) appends inside the
caller's transaction, so a state change and its event commit or roll back together.
`record_now` is for reads and refusals: it returns only once the event is durable (group
commit), and raises AuditNotWritten (503 `audit.unavailable`) if it cannot be written, so
nothing is revealed without its record. Events carry identifiers and field names,
never personal values.

The door never commits: the use case that calls it owns its transaction. `record_now` is the
one other way an event becomes durable, through the group committer's own connection; its
caller first ends its own transaction (commits a read it keeps, rolls back a refusal).
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Iterable
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from audit import store
from audit.checkpointing import CheckpointFile, complete_copy, write_checkpoint
from audit.committer import AuditUnavailable, GroupCommitter
from audit.entry import Record
from audit.proofs import consistency_proof, export_bundle, inclusion_proof, inclusion_proofs
from audit.report import Report
from audit.retention import archived_bundle, first_stored
from audit.signing import (
    Checkpoint,
    Signer,
    load_private_key,
    load_public_key,
    public_pem,
    verify_document,
)
from audit.tally import QUIET, Tally
from audit.verify import signed_checkpoints, verify_trail
from govern import signals
from govern.clock import Clock
from govern.errors import BadRequest, ConfigError, GovernError, NotFound

__all__ = ["AuditUnavailable", "RequestContext", "Trail", "request_context"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RequestContext:
    request_id: str | None = None
    client: str | None = None


#: Set per request by the web layer (and per command by `govern.cli`).
request_context: ContextVar[RequestContext] = ContextVar(
    "request_context",
    default=RequestContext(),  # noqa: B039 (frozen, so never mutated)
)


def new_request_id() -> str:
    return secrets.token_hex(8)


class AuditNotWritten(GovernError):
    status = 503


class OpenTransaction(RuntimeError):
    """A durable append asked while the caller's transaction is still open (a bug)."""


class Trail:
    def __init__(
        self,
        engine: Engine,
        clock: Clock,
        signer: Signer,
        copy: CheckpointFile,
        every: int,
        seconds: float,
        gather_seconds: float = 0.0,
    ) -> None:
        self.engine, self.clock, self.signer, self.copy = engine, clock, signer, copy
        self._every, self._seconds = every, seconds
        self._pending, self._last_try = 0, time.monotonic()
        #: Whether this process signs checkpoints; a served process leaves them to the worker.
        self._signs_checkpoints = True
        self._committer = GroupCommitter(
            engine,
            clock.now,
            after_commit=self._after_commit,
            committed=_committed,
            gather_seconds=gather_seconds,
        )
        self.lock_seconds = 10.0

    @property
    def lock_seconds(self) -> float:
        """How long an append waits for the trail's lock and table (PostgreSQL) before it is
        refused with 503: a state change's, and the committer's for reads (on the connections
        it makes from then on)."""
        return self._lock_seconds

    @lock_seconds.setter
    def lock_seconds(self, seconds: float) -> None:
        self._lock_seconds = self._committer.lock_seconds = seconds

    def record(
        self, db: Session, action: str, actor: str | None, object: str | None = None, **details: Any
    ) -> None:
        """Append in the caller's transaction (a state change and its event are one).

        Raises AuditNotWritten (503) when the trail cannot take the event, or not within
        `lock_seconds` (a limit on the trail's lock and table only: what the caller does after
        the append waits for its own locks as it would without it), after rolling the caller's
        transaction back: a change whose event is not written is never committed, even by a
        caller that catches the refusal and carries on.
        """
        self.record_all(db, [(action, actor, object, details)])

    def record_all(
        self, db: Session, events: list[tuple[str, str | None, str | None, dict[str, Any]]]
    ) -> None:
        """`record` for several events of one change (a sweep's batch of revocations): one
        append in the caller's transaction, by COPY on PostgreSQL. Raises AuditNotWritten
        (503) as `record` does, after rolling the caller's transaction back."""
        if not events:
            return
        connection = db.connection()
        records = [_record(*event) for event in events]
        try:
            store.append(connection, records, self.clock.now(), self.lock_seconds)
        except (SQLAlchemyError, connection.dialect.loaded_dbapi.Error) as error:
            db.rollback()
            log.error("audit event %s not written: %s", events[0][0], type(error).__name__)
            raise _not_written() from None
        signals.audit_appended.send("transaction", events=len(records))

    def record_now(
        self,
        db: Session,
        action: str,
        actor: str | None,
        object: str | None = None,
        **details: Any,
    ) -> int:
        """Append and wait until durable. Raises AuditNotWritten (503) when it cannot be.

        The caller has ended its transaction first (committed what it keeps, or rolled a
        refusal back): on SQLite an open transaction holds the one write lock the committer
        needs. Raises OpenTransaction when it has not.
        """
        return self.record_all_now(db, [(action, actor, object, details)])[0]

    def record_all_now(
        self, db: Session, events: list[tuple[str, str | None, str | None, dict[str, Any]]]
    ) -> list[int]:
        """`record_now` for several events (a page of debtors shown at once): one wait until
        all are durable. Raises AuditNotWritten (503) when any is not."""
        if db.in_transaction():
            raise OpenTransaction("end the use case's transaction before a durable append")
        began = time.perf_counter()
        try:
            numbers = self._committer.append_many([_record(*event) for event in events])
        except AuditUnavailable:
            raise _not_written() from None
        signals.audit_waited.send(seconds=time.perf_counter() - began)
        signals.audit_appended.send("durable", events=len(numbers))
        return numbers

    def _after_commit(self, committed: int) -> None:
        """After each group commit (and each idle second): ask the database whether a
        checkpoint is due only when this process has seen enough events or time pass."""
        if not self._signs_checkpoints:
            return
        self._pending += committed
        if self._pending >= self._every or time.monotonic() - self._last_try >= self._seconds:
            self._pending, self._last_try = 0, time.monotonic()
            self.checkpoint_if_due()

    def checkpoint_if_due(self) -> Checkpoint | None:
        return write_checkpoint(
            self.engine,
            self.signer,
            self.copy,
            self.clock.now(),
            every=self._every,
            seconds=self._seconds,
        )

    def checkpoint_now(self) -> Checkpoint | None:
        """Sign the tree as it stands (None when nothing is new since the last checkpoint)."""
        return write_checkpoint(self.engine, self.signer, self.copy, self.clock.now(), force=True)

    def start(self) -> None:
        """At start-up: repair the file copy, anchor what a crash left unanchored, then run
        the committer (which also writes checkpoints at their cadence)."""
        complete_copy(self.engine, self.signer, self.copy)
        self.checkpoint_now()
        self._committer.start()

    def serve_requests(self) -> None:
        """In a served process whose background jobs run in `govern worker`: the committer
        (started by the first durable append) makes this process's reads durable and signs
        no checkpoint; the worker's does."""
        self._signs_checkpoints = False

    def stop(self) -> None:
        """Make durable every event already handed to the committer, then stop it."""
        self._committer.stop()

    def committer_state(self) -> str:
        """The group committer's: "running", "not started" or "stopped" (readiness asks)."""
        return self._committer.state()

    def verify(
        self,
        first: int = 1,
        last: int | None = None,
        check_index: bool = True,
        workers: int = 1,
        tally: Tally = QUIET,
    ) -> Report:
        """Events `first`..`last` (all by default) checked against the signed checkpoints,
        and (unless `check_index` is off) the searchable columns against the entries;
        `tally` hears how far it is. Raises BadRequest `verify.range` for a range the trail
        does not hold (a check of nothing must not read as "intact")."""
        with self.reading() as connection:
            size = store.size(connection)
            if last is not None and last < first:
                raise BadRequest(
                    "verify.range", f"The range {first}..{last} ends before it starts."
                )
            if first > max(size, 1) or (last is not None and last > size):
                raise BadRequest(
                    "verify.range",
                    f"The trail holds events 1..{size}; {first}..{last or size} is not in it.",
                )
            if (first, last) != (1, None):  # else: the whole trail, from what is kept
                _check_kept(connection, first)
            report = verify_trail(
                connection,
                self.signer.public_key,
                self.copy.read(),
                first,
                last,
                check_index=check_index,
                workers=workers,
                tally=tally,
            )
        signals.audit_verified.send(intact=report.ok, at=self.clock.now().timestamp())
        return report

    def signed_state(self) -> tuple[datetime | None, int]:
        """When the newest stored checkpoint was signed (None before the first), and how
        many events no checkpoint signs yet."""
        with self.reading() as connection:
            newest, size = store.newest_checkpoint(connection), store.size(connection)
        if newest is None:
            return None, size
        return datetime.fromisoformat(newest[0]), size - newest[1]

    def sign_document(self, data: bytes) -> dict[str, str]:
        """A detached signature of a document Govern issues (a review's report, a deletion
        certificate: its canonical JSON, or a CSV's exact bytes), with the audit key (the one
        way, `audit.signing.Signer.sign_document`): `{algorithm, key_id, value}` (value in
        hex)."""
        return self.signer.sign_document(data).to_dict()

    def verify_document(self, data: bytes, signature: dict[str, Any]) -> bool:
        """Whether `signature` (as `sign_document` gives it) is this trail's key's signature
        of exactly `data`; a malformed one, or one of another algorithm, is not."""
        if signature.get("algorithm") != "Ed25519":
            return False
        try:
            value = bytes.fromhex(str(signature.get("value", "")))
        except ValueError:
            return False
        if signature.get("key_id") != self.signer.key_id:
            return False
        return verify_document(data, value, self.signer.public_key)

    def prove_inclusion(self, seq: int, size: int | None = None) -> dict[str, Any]:
        """An inclusion proof of event `seq` in the signed checkpoint of `size` (the newest
        by default). Raises NotFound `checkpoint.unknown` when none covers the event."""
        with self.reading() as connection:
            _check_kept(connection, seq)
            target = self._checkpoint(connection, size, at_least=seq)
            return inclusion_proof(connection, seq, target, self._public_pem())

    def prove_inclusions(
        self, connection: Connection, seqs: Iterable[int]
    ) -> tuple[Checkpoint | None, dict[int, Any]]:
        """The newest signed checkpoint (None before the first) and an inclusion proof in it
        of each of `seqs` it covers, without the checkpoint and key (`inclusion_proofs`);
        those after it are left out (not yet anchored). Read on the caller's `connection`,
        so that the caller's time limit and snapshot hold for the proofs too."""
        signed = self.signed_checkpoints(connection)
        if not signed:
            return None, {}
        newest = signed[-1]
        covered = [seq for seq in seqs if seq <= newest.tree_size]
        return newest, inclusion_proofs(connection, covered, newest)

    def public_key(self) -> str:
        """The public half of the signing key (PEM): what checks a checkpoint's signature."""
        return self._public_pem().decode()

    def prove_consistency(self, old: int, new: int) -> dict[str, Any]:
        """A proof that the signed checkpoint of size `new` extends that of size `old`.
        Raises NotFound `checkpoint.unknown`, BadRequest `proof.order`."""
        with self.reading() as connection:
            older, newer = self._checkpoint(connection, old), self._checkpoint(connection, new)
            if older.tree_size > newer.tree_size:
                raise BadRequest("proof.order", "OLD must not be larger than NEW.")
            return consistency_proof(connection, older, newer, self._public_pem())

    def export(self, first: int, last: int, folder: Path, tally: Tally = QUIET) -> dict[str, Any]:
        """Events `first`..`last` written to `folder` as a bundle that
        scripts/verify_bundle.py checks offline (`tally` hears how far); its manifest.
        Raises NotFound `export.range` beyond the trail's last event."""
        with self.reading() as connection:
            _check_kept(connection, first)
            if last > store.size(connection):
                raise NotFound(
                    "export.range", f"The trail has only {store.size(connection)} events."
                )
            checkpoints = self.signed_checkpoints(connection)
            return export_bundle(
                connection, checkpoints, first, last, self._public_pem(), folder, tally
            )

    def newest_checkpoint(self) -> Checkpoint | None:
        """The newest signed checkpoint (its `tree_size`: the trail's signed size), or None."""
        with self.reading() as connection:
            checkpoints = self.signed_checkpoints(connection)
        return checkpoints[-1] if checkpoints else None

    def public_key_pem(self) -> bytes:
        """The audit key's public half (PEM), to check what the trail signs."""
        return self._public_pem()

    def reading(self) -> Connection:
        """A read-only connection of its own (a check never writes, nor holds a write)."""
        return self.engine.connect().execution_options(read_only=True)

    def signed_checkpoints(self, connection: Connection) -> list[Checkpoint]:
        """The checkpoints, in the database or the file copy, that this trail's key signed;
        oldest first."""
        return signed_checkpoints(connection, self.copy.read(), self.signer.public_key)

    def _public_pem(self) -> bytes:
        return public_pem(self.signer.public_key)

    def _checkpoint(
        self, connection: Connection, size: int | None, at_least: int = 1
    ) -> Checkpoint:
        """The trusted checkpoint of `size`, or the newest; it must cover event `at_least`."""
        checkpoints = self.signed_checkpoints(connection)
        chosen = [c for c in checkpoints if size is None or c.tree_size == size]
        if not chosen or chosen[-1].tree_size < at_least:
            raise NotFound(
                "checkpoint.unknown",
                "No signed checkpoint covers that; run `govern audit checkpoint` first.",
            )
        return chosen[-1]


def open_trail(
    engine: Engine,
    clock: Clock,
    key_file: Path,
    checkpoint_dir: Path,
    every: int,
    seconds: float,
    gather_seconds: float = 0.0,
) -> Trail:
    """The trail, or ConfigError when its signing key cannot be read."""
    try:
        signer = Signer(load_private_key(key_file))
    except (OSError, ValueError, TypeError) as error:
        raise _unreadable_key(key_file, error) from None
    copy = CheckpointFile(checkpoint_dir)
    return Trail(engine, clock, signer, copy, every, seconds, gather_seconds)


def _committed(events: int, seconds: float) -> None:
    """The group committer's word after each durable commit, passed on to whoever watches."""
    signals.audit_committed.send(events=events, seconds=seconds)


def public_half(key_file: Path) -> bytes:
    """The public key (PEM) of the signing key in `key_file`, the one thing a check of the
    trail needs of it. Raises ConfigError `config.audit_key` when it cannot be read."""
    try:
        return public_pem(load_private_key(key_file).public_key())
    except (OSError, ValueError, TypeError) as error:
        raise _unreadable_key(key_file, error) from None


def _unreadable_key(key_file: Path, error: Exception) -> ConfigError:
    return ConfigError(
        "config.audit_key",
        f"Cannot read the audit signing key {key_file} ({type(error).__name__}); set "
        "GOVERN_AUDIT_KEY_FILE to an Ed25519 private key (`govern audit keygen PATH`)",
    )


def newest_signed(connection: Connection, public: bytes, copies: Path) -> Checkpoint | None:
    """The newest checkpoint signed by `public` (PEM), in the database or in the copy folder
    `copies`: the trail's signed size; None when nothing is signed yet. Reads in the caller's
    transaction (a backup's snapshot)."""
    checkpoints = signed_checkpoints(
        connection, CheckpointFile(copies).read(), load_public_key(public)
    )
    return checkpoints[-1] if checkpoints else None


def check_trail(
    engine: Engine,
    public: bytes,
    copies: Path,
    also: Iterable[Checkpoint] = (),
    tally: Tally = QUIET,
) -> Report:
    """The whole trail in `engine`'s database checked against the checkpoints in it, in the
    copy folder `copies` and `also` (kept elsewhere, e.g. in a backup's manifest), with the
    public key `public` (PEM) alone: what a backup set or a restored database is checked
    with, no signing key needed; `tally` hears how far it is."""
    copied = [*CheckpointFile(copies).read(), *also]
    with engine.connect().execution_options(read_only=True) as connection:
        return verify_trail(connection, load_public_key(public), copied, tally=tally)


def _check_kept(connection: Connection, first: int) -> None:
    """Raise NotFound `audit.archived` when event `first` was archived and removed: its
    evidence is the archive bundle, named."""
    start = first_stored(connection)
    if first >= start:
        return
    bundle = archived_bundle(connection, start - 1) or "its archive bundle"
    raise NotFound(
        "audit.archived",
        f"Events 1..{start - 1} were archived ({bundle}) and removed from the database; "
        f"it holds events from {start} on. Check those in the bundle "
        "(scripts/verify_bundle.py).",
    )


def _not_written() -> AuditNotWritten:
    return AuditNotWritten(
        "audit.unavailable", "The audit trail cannot be written; nothing was done."
    )


def _record(action: str, actor: str | None, object: str | None, details: dict[str, Any]) -> Record:
    context = request_context.get()
    return Record(action, actor, object, details, context.request_id, context.client)
