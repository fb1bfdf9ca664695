"""Audit events and their canonical bytes: the exact bytes that are hashed, stored and exported.

Canonical form: UTF-8 JSON, keys sorted, no whitespace, times as RFC 3339 UTC with
microseconds. Details hold identifiers and field names, never personal values.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

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


def canonical(value: dict[str, Any]) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def encode(seq: int, at: datetime, record: Record) -> bytes:
    """The entry for `record` as event `seq`: the bytes its leaf hash is taken over."""
    _check_details(record.details)
    return canonical(
        {
            "seq": seq,
            "time": rfc3339(at),
            "action": record.action,
            "actor": record.actor,
            "object": record.object,
            "details": record.details,
            "request_id": record.request_id,
            "client": record.client,
        }
    )


@dataclass(frozen=True)
class Prepared:
    """A record encoded before its sequence number is known: the entry is
    `before + ,"seq":N, + after`. Keys are sorted, so the top-level `seq` is the last one."""

    record: Record
    at: datetime
    before: bytes
    after: bytes

    def entry(self, seq: int) -> bytes:
        return b'%s,"seq":%d,%s' % (self.before, seq, self.after)


def prepare(record: Record, at: datetime) -> Prepared:
    """Do the costly part of encoding now, outside the trail's lock (and its one thread)."""
    whole = encode(0, at, record)
    cut = whole.rfind(b',"seq":0,')
    return Prepared(record, at, whole[:cut], whole[cut + len(b',"seq":0,') :])


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
