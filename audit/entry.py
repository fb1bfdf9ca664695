"""Audit events and their canonical bytes: the exact bytes that are hashed, stored and exported.

Canonical form: UTF-8 JSON, keys sorted, no whitespace, times as RFC 3339 UTC with
microseconds. Details hold identifiers and field names, never personal values. Also here: the
columns an event is searched by, derived from what the entry says (`field_columns`, `micros`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from audit.merkle import leaf_hash

SCALARS = (str, int, bool, type(None))


@dataclass(frozen=True)
class Record:
    """What a caller appends; the trail adds the sequence number and time."""

    action: str
    actor: str | None
    object: str | None = None
    details: dict[str, Any] = field(default_factory=dict)
    request_id: str | None = None
    client: str | None = None


def rfc3339(instant: datetime) -> str:
    if instant.tzinfo is None:
        raise ValueError("audit times must be timezone-aware")
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def canonical(value: dict[str, Any]) -> bytes:
    return _CANONICAL.encode(value).encode()


def encode(seq: int, at: datetime, record: Record) -> bytes:
    """The entry for `record` as event `seq`: the bytes its leaf hash is taken over."""
    _check_details(record.details)
    return canonical({**_described(record), "seq": seq, "time": rfc3339(at)})


def _described(record: Record) -> dict[str, Any]:
    """An entry's keys but its number and time."""
    return {
        "action": record.action,
        "actor": record.actor,
        "object": record.object,
        "details": record.details,
        "request_id": record.request_id,
        "client": record.client,
    }


#: An event row's columns, in the order `Prepared.row` gives them.
ROW = (
    "seq",
    "at_us",
    "actor",
    "action",
    "object",
    "entry",
    "leaf_hash",
    "fields",
    "viewer_group",
    "object_group",
)


@dataclass(frozen=True)
class Prepared:
    """A record encoded before its sequence number is known: the entry is
    `before + ,"seq":N, + after`, `after` holding the time: keys are sorted, and `seq` and
    `time` sort after every other key of an entry.
    The rest of its row is computed here too, in the caller's thread, so the one appending
    thread does only what needs the number."""

    before: bytes
    after: bytes
    head: tuple[Any, ...]  # at_us, actor, action, object
    tail: tuple[Any, ...]  # fields, viewer_group, object_group

    def entry(self, seq: int) -> bytes:
        return b'%s,"seq":%d,%s' % (self.before, seq, self.after)

    def row(self, seq: int) -> tuple[Any, ...]:
        """The event's row as number `seq`, in `ROW` order."""
        entry = self.entry(seq)
        return (seq, *self.head, entry, leaf_hash(entry), *self.tail)


def prepare(record: Record, at: datetime) -> Prepared:
    """Do the costly part of encoding now, outside the trail's lock (and its one thread)."""
    return prepare_all([record], at)[0]


def prepare_all(records: list[Record], at: datetime) -> list[Prepared]:
    """`prepare` for events that happened at the same instant (one request's), which share
    their time's encodings. `seq` and `time` sort after every other key of an entry, so the
    rest encodes as one object whose closing brace gives way to them (`encode` is the plain
    definition; a test holds the two equal)."""
    at_us, after = micros(at), b'"time":"%s"}' % rfc3339(at).encode()
    prepared = []
    for record in records:
        _check_details(record.details)
        before = canonical(_described(record))[:-1]
        head = (at_us, record.actor, record.action, record.object)
        prepared.append(Prepared(before, after, head, field_row(record.details)))
    return prepared


def field_row(details: dict) -> tuple[str | None, str | None, str | None]:
    """`field_columns` as a row holds them (`ROW` order)."""
    shown = field_columns(details)
    return shown["fields"], shown["viewer_group"], shown["object_group"]


def field_columns(details: dict) -> dict[str, str | None]:
    """The searchable columns of an event whose details carry `fields` (field → how it was
    shown): `fields` as `;name=level;name=level;` in name order, so one field's level is a
    substring (`;phones=full;`), and the viewer's and the object's project groups."""
    fields = details.get("fields")
    if not isinstance(fields, dict) or not fields:
        return {"fields": None, "viewer_group": None, "object_group": None}
    shown = "".join(f"{name}={level};" for name, level in sorted(fields.items()))
    return {
        "fields": ";" + shown,
        "viewer_group": details.get("viewer_group"),
        "object_group": details.get("object_group"),
    }


def levels(fields: str | None) -> dict[str, str]:
    """`field_columns`' `fields` read back: field → level."""
    pairs = (part.partition("=") for part in (fields or "").split(";") if part)
    return {name: level for name, _, level in pairs}


def micros(at: datetime) -> int:
    """Microseconds since the epoch, as `at_us` columns hold time."""
    delta = at.astimezone(UTC) - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def decode(entry: bytes) -> dict[str, Any]:
    return json.loads(entry.decode("utf-8"))


def _check_details(value: Any) -> None:
    """Details are plain JSON of ids and names; anything else is a programming error."""
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError("audit detail keys must be strings")
            _check_details(item)
    elif isinstance(value, list):
        for item in value:
            _check_details(item)
    elif not isinstance(value, SCALARS) or isinstance(value, float):
        raise TypeError(f"audit details take str, int, bool, lists and dicts, not {type(value)}")
