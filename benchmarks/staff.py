"""Staff for the benchmarks: identities and their active accounts, as rows to insert in bulk."""

from __future__ import annotations

from datetime import date, datetime


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
            "roles": [],
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
