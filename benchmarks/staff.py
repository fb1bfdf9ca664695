"""Staff for the benchmarks: identities and their active accounts, and what certifies them
(exam passes, the signed agreement), as rows to insert in bulk."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Engine, insert

from govern.accounts.models import Account
from govern.directory.models import Identity
from govern.sessions.models import LoginSession


def staff_rows(
    count: int,
    now: datetime,
    *,
    first_number: int,
    groups: tuple[str, ...] = ("bank-a",),
    departure: date | None = None,
) -> tuple[list[dict], list[dict]]:
    """(identities, accounts): `count` ordinary collectors spread over `groups`, each with an
    active account `GV-XXXX-XXXX`."""
    people = [
        {
            "employee_number": f"{first_number + n}",
            "username": f"bench.{first_number + n}",
            "name": f"测试{n}",
            "department": "collections",
            "project_group": groups[n % len(groups)],
            "title": None,
            "track": "ordinary",
            "hire_date": date(2024, 1, 1),
            "departure_date": departure,
            "roles": ["collector"],  # what the directory sync gives staff in no role group
            "synced_at": now,
            "gone_at": None,
        }
        for n in range(count)
    ]
    accounts = [
        {
            "id": f"GV-{n // 10_000:04d}-{n % 10_000:04d}",
            "employee_number": person["employee_number"],
            "state": "active",
            "issued_by": "bench",
            "issued_at": now,
            "revoked_at": None,
        }
        for n, person in enumerate(people)
    ]
    return people, accounts


#: The exams whose passes give every certification a debtor's personal fields require.
CERTIFIED_EXAMS = ("SYS-USE", "SKL-LAW", "SKL-CONFIDENTIALITY", "CMP-CONDUCT")


def exam_passes(accounts: list[dict], now: datetime) -> list[dict]:
    """A first-attempt pass of every certifying exam for each account."""
    return [
        {
            "account_id": a["id"],
            "course": course,
            "score": 90,
            "passed": True,
            "attempt": 1,
            "recorded_by": "bench",
            "recorded_at": now,
        }
        for a in accounts
        for course in CERTIFIED_EXAMS
    ]


def agreement_signatures(accounts: list[dict], now: datetime) -> list[dict]:
    """The current confidentiality agreement, signed by each account."""
    return [
        {
            "account_id": a["id"],
            "agreement": "confidentiality",
            "version": "2026-1",
            "signed_at": now,
        }
        for a in accounts
    ]


def add_departed_staff(engine: Engine, count: int, first_number: int, departure: date) -> list[str]:
    """`count` collectors whose departure is `departure`, their accounts still active and each
    signed in (one API session): a sweep's work. Returns their account ids, sorted."""
    now = datetime.now(UTC)
    people, accounts = staff_rows(count, now, first_number=first_number, departure=departure)
    sessions = [
        {
            "token_hash": f"{n:064x}",
            "account_id": account["id"],
            "channel": "api",
            "client": "127.0.0.1",
            "created_at": now,
            "expires_at": now + timedelta(hours=8),
        }
        for n, account in enumerate(accounts)
    ]
    with engine.begin() as connection:
        connection.execute(insert(Identity), people)
        connection.execute(insert(Account), accounts)
        connection.execute(insert(LoginSession), sessions)
    return sorted(account["id"] for account in accounts)
