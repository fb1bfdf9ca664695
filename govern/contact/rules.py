"""The contact guard's rules, as plain Python: may this party be called on this number now?

`judge` answers from a profile (policies/contact/profiles/, data) and a question the guard puts
together (the party's recent calls and live permits, blocks, the complaint stop, the clock).
A deny carries a stable reason code, the rule it rests on, and the earliest instant at which the
same question would be allowed (None when no time will do). No Flask, no SQL.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from itertools import pairwise
from zoneinfo import ZoneInfo

#: A party of a debtor: the debtor, or `contact:<n>`, the n-th (from 1) emergency contact.
DEBTOR = "debtor"
CONTACT = "contact:"
PARTY = re.compile(r"^(debtor|contact:[1-9][0-9]{0,2})$")

QUIET_HOURS = "contact.quiet_hours"
DAILY_CAP_CONNECTED = "contact.daily_cap_connected"
DAILY_CAP_UNANSWERED = "contact.daily_cap_unanswered"
DO_NOT_CALL = "contact.do_not_call"
COMPLAINT_STOP = "contact.complaint_stop"
METHOD_CAP = "contact.method_cap"
WEEKLY_CAP = "contact.weekly_cap"
AFTER_CONVERSATION = "contact.after_conversation"

#: The zones a profile may name: the company's (settings) or the debtor's (else company's).
ZONES = ("company", "debtor")


@dataclass(frozen=True)
class Attempt:
    """One call (or live permit) to or from the party, within the profile's lookback."""

    at: datetime  # aware UTC: when it started (a permit: when issued)
    outbound: bool
    connected: bool  # answered: a conversation took place
    number_digest: bytes  # the contact method


@dataclass(frozen=True)
class Question:
    """May `party` be called on `number_digest` at `now`?

    `number_history`, when given, is every attempt to `number_digest` within the lookback
    whoever the party or debtor (a shared family line is one contact method); the per-method
    cap counts it. None: the method cap counts the party's own attempts on that number.
    """

    now: datetime  # aware UTC, from the injected clock
    party: str  # "debtor" | "contact:<n>"
    number_digest: bytes  # the number about to be dialled
    history: tuple[Attempt, ...]  # this party's attempts within profile.lookback (all numbers)
    do_not_call: bool  # R-CON-4: a block exists for this party
    complaint_stop: bool  # R-CON-5: an open complaint case on the debtor
    may_pass_stop: bool  # the caller is a supervisor or the complaint desk
    debtor_zone: ZoneInfo | None  # the debtor's own zone, where known
    number_history: tuple[Attempt, ...] | None = None


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    reason: str | None  # a stable reason code, e.g. "contact.quiet_hours"
    earliest: datetime | None  # a deny: the earliest instant a call would be allowed
    rule: str | None  # the rule ID, e.g. "R-CON-1", or the profile's citation


ALLOW = Verdict(True, None, None, None)


@dataclass(frozen=True)
class Hours:
    """Calls only from `start` (inclusive) to `end` (exclusive), local time in `zone`."""

    start: time
    end: time
    zone: str  # one of ZONES
    rule: str


@dataclass(frozen=True)
class DailyCaps:
    """Outbound calls to one party per day: `connected` once one connected, else `unanswered`.
    Calls the party started never count."""

    connected: int
    unanswered: int
    rule: str


@dataclass(frozen=True)
class MethodCap:
    """Unanswered outbound attempts per day to one contact method (number)."""

    unanswered: int
    rule: str


@dataclass(frozen=True)
class WeeklyCap:
    """At most `calls` outbound calls to the party within `days` consecutive days."""

    calls: int
    days: int
    rule: str


@dataclass(frozen=True)
class AfterConversation:
    """No call within `days` days after a telephone conversation (its day is day 1)."""

    days: int
    inbound_counts: bool  # a conversation the party started counts too
    rule: str


@dataclass(frozen=True)
class Profile:
    """One jurisdiction's contact rules (a file in policies/contact/profiles/)."""

    name: str
    title: str
    day_zone: str  # the zone whose days the caps count in: one of ZONES
    hours: Hours
    daily_caps: DailyCaps | None = None
    method_cap: MethodCap | None = None
    weekly_cap: WeeklyCap | None = None
    after_conversation: AfterConversation | None = None

    @property
    def lookback(self) -> timedelta:
        """How far back the guard must read a party's attempts: the longest window, in days,
        plus a day for the local day's offset and a daylight-saving change."""
        windows = [1]
        windows += [self.weekly_cap.days] if self.weekly_cap else []
        windows += [self.after_conversation.days] if self.after_conversation else []
        return timedelta(days=max(windows) + 1)


def judge(profile: Profile, question: Question, company_zone: ZoneInfo) -> Verdict:
    """Allow or deny the call. Precedence of the reason: complaint stop (unless the caller may
    pass it), do-not-call, hours, caps. A deny for hours or caps carries `earliest`, the first
    instant at or after `now` at which `judge` on the same history allows."""
    if question.complaint_stop and not question.may_pass_stop:
        return Verdict(False, COMPLAINT_STOP, None, "R-CON-5")
    if question.do_not_call:
        return Verdict(False, DO_NOT_CALL, None, "R-CON-4")
    zones = _Zones(company_zone, question.debtor_zone or company_zone)
    dated = _Dated.of(question, zones.of(profile.day_zone))
    verdict = _timed(profile, dated, question.now, zones)
    if verdict.allowed:
        return verdict
    earliest = _earliest(profile, question, dated, zones)
    return Verdict(False, verdict.reason, earliest, verdict.rule)


def company_day(now: datetime, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The company day `now` is in: (its start, the next day's start), aware UTC."""
    day = now.astimezone(zone).date()
    starts = (datetime.combine(d, time(0), tzinfo=zone) for d in (day, day + timedelta(days=1)))
    start, end = (instant.astimezone(UTC) for instant in starts)
    return start, end


@dataclass(frozen=True)
class _Zones:
    company: ZoneInfo
    debtor: ZoneInfo

    def of(self, name: str) -> ZoneInfo:
        return self.debtor if name == "debtor" else self.company


@dataclass(frozen=True)
class _Dated:
    """The question's attempts with their dates in the profile's day zone, worked out once."""

    history: tuple[tuple[date, Attempt], ...]
    on_number: tuple[tuple[date, Attempt], ...]  # what the method cap counts

    @classmethod
    def of(cls, question: Question, zone: ZoneInfo) -> _Dated:
        shared = question.number_history
        on_number = question.history if shared is None else shared
        return cls(
            tuple((a.at.astimezone(zone).date(), a) for a in question.history),
            tuple(
                (a.at.astimezone(zone).date(), a)
                for a in on_number
                if a.number_digest == question.number_digest
            ),
        )


def _timed(profile: Profile, dated: _Dated, now: datetime, zones: _Zones) -> Verdict:
    """The rules that depend on the time, judged at `now` (hours first, then the caps)."""
    local = now.astimezone(zones.of(profile.hours.zone)).time()
    if not profile.hours.start <= local < profile.hours.end:
        return Verdict(False, QUIET_HOURS, None, profile.hours.rule)
    today = now.astimezone(zones.of(profile.day_zone)).date()
    for check in (_daily, _method, _weekly, _after_conversation):
        verdict = check(profile, dated, today)
        if not verdict.allowed:
            return verdict
    return ALLOW


def _daily(profile: Profile, dated: _Dated, today: date) -> Verdict:
    caps = profile.daily_caps
    if caps is None:
        return ALLOW
    calls = [a for day, a in dated.history if a.outbound and day == today]
    if any(a.connected for a in calls):
        if len(calls) >= caps.connected:
            return Verdict(False, DAILY_CAP_CONNECTED, None, caps.rule)
    elif len(calls) >= caps.unanswered:
        return Verdict(False, DAILY_CAP_UNANSWERED, None, caps.rule)
    return ALLOW


def _method(profile: Profile, dated: _Dated, today: date) -> Verdict:
    cap = profile.method_cap
    if cap is None:
        return ALLOW
    unanswered = sum(
        1 for day, a in dated.on_number if a.outbound and not a.connected and day == today
    )
    if unanswered >= cap.unanswered:
        return Verdict(False, METHOD_CAP, None, cap.rule)
    return ALLOW


def _weekly(profile: Profile, dated: _Dated, today: date) -> Verdict:
    cap = profile.weekly_cap
    if cap is None:
        return ALLOW
    # The window of `days` consecutive days ending today, the day the call would be placed.
    calls = sum(1 for day, a in dated.history if a.outbound and 0 <= (today - day).days < cap.days)
    if calls >= cap.calls:
        return Verdict(False, WEEKLY_CAP, None, cap.rule)
    return ALLOW


def _after_conversation(profile: Profile, dated: _Dated, today: date) -> Verdict:
    rule = profile.after_conversation
    if rule is None:
        return ALLOW
    # The conversation's day is day 1: days 1..`days` are closed, day `days` + 1 is open.
    if any(
        a.connected and (a.outbound or rule.inbound_counts) and 0 <= (today - day).days < rule.days
        for day, a in dated.history
    ):
        return Verdict(False, AFTER_CONVERSATION, None, rule.rule)
    return ALLOW


def _earliest(
    profile: Profile, question: Question, dated: _Dated, zones: _Zones
) -> datetime | None:
    """The first candidate instant at which the timed rules allow. The verdict of `_timed`
    changes only when a local date or a local time of day crosses a mark (midnight, the hours'
    start and end) in one of the zones, or when a zone's offset changes; `_candidates` yields
    all of those instants, so the first one that allows is the earliest instant that does.
    Candidates are made a day at a time, as most denies end within the day."""
    attempts = (*question.history, *(question.number_history or ()))
    latest = max([question.now, *(a.at for a in attempts)])
    horizon = latest + profile.lookback + timedelta(days=2)
    start = question.now.astimezone(UTC)
    while start < horizon:
        end = start + timedelta(days=1)
        for candidate in _candidates(profile, zones, start, end):
            if _timed(profile, dated, candidate, zones).allowed:
                return candidate
        start = end
    return None  # unreachable for a loaded profile: every window empties within the horizon


def _candidates(profile: Profile, zones: _Zones, start: datetime, end: datetime) -> list[datetime]:
    """`start`, then every instant in (start, end) at which the verdict may change, in order."""
    marks: dict[ZoneInfo, frozenset[time]] = {zones.of(profile.day_zone): frozenset({time(0)})}
    hours = zones.of(profile.hours.zone)
    marks[hours] = marks.get(hours, frozenset()) | {profile.hours.start, profile.hours.end}
    instants = {start}
    for zone, times in marks.items():
        for day in _days(start.astimezone(zone).date(), end.astimezone(zone).date()):
            instants.update(_local_marks(zone, day, times))
        for day in _days(start.date(), end.date()):
            instants.update(_offset_changes(zone, day))
    return sorted(i for i in instants if start <= i < end)


def _days(first: date, last: date) -> Iterator[date]:
    """From the day before `first` to the day after `last`."""
    day = first - timedelta(days=1)
    while day <= last + timedelta(days=1):
        yield day
        day += timedelta(days=1)


@lru_cache(maxsize=8192)
def _local_marks(zone: ZoneInfo, day: date, times: frozenset[time]) -> frozenset[datetime]:
    """The instants of local `day` when the clock reads one of `times` (both readings of a
    repeated hour; a reading in a skipped hour is a harmless extra)."""
    return frozenset(
        datetime.combine(day, mark, tzinfo=zone).replace(fold=fold).astimezone(UTC)
        for mark in times
        for fold in (0, 1)
    )


@lru_cache(maxsize=8192)
def _offset_changes(zone: ZoneInfo, day: date) -> frozenset[datetime]:
    """The instants of the UTC `day` at which `zone` changes its UTC offset, to the second.
    Zones change offset at most once in six hours, so sampling that often finds every change."""
    samples = [
        datetime.combine(day, time(0), tzinfo=UTC) + timedelta(hours=h) for h in range(0, 25, 6)
    ]
    return frozenset(
        _first_with_offset(zone, before, after)
        for before, after in pairwise(samples)
        if before.astimezone(zone).utcoffset() != after.astimezone(zone).utcoffset()
    )


def _first_with_offset(zone: ZoneInfo, before: datetime, after: datetime) -> datetime:
    """Bisect (before, after] to the first second with `after`'s offset."""
    offset = after.astimezone(zone).utcoffset()
    low, high = before, after
    while high - low > timedelta(seconds=1):
        middle = low + (high - low) / 2
        if middle.astimezone(zone).utcoffset() == offset:
            high = middle
        else:
            low = middle
    whole = high.replace(microsecond=0)
    return whole if whole.astimezone(zone).utcoffset() == offset and whole > low else high
