"""The collection floor (the `floor` fixture): accounts, certified staff (the intern not
yet), imported debtors, and an API client acting as any of them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from govern.accounts import repository as accounts
from govern.actor import Actor
from govern.clock import FixedClock
from govern.debtors.models import Debtor
from govern.debtors.sealing import import_debtors
from govern.training.catalogue import load_catalogue
from govern.training.certifications import sign_agreement
from govern.training.exams import record_result
from tests.support.agency import Agency, audit_events, bearer
from tests.support.debtors import CASES, as_csv
from tests.support.staff import BY_USERNAME

PEOPLE = (
    "col.a1",
    "col.a2",
    "col.b1",
    "intern.a",
    "sup.a1",
    "padmin",
    "auditor",
    "trainer",
    "hr",
    "it",
)


@dataclass
class Floor:
    agency: Agency
    clock: FixedClock
    ids: dict[str, str]
    debtors: dict[str, str]  # case number → debtor id

    def call(self, method: str, path: str, who: str, **kwargs: Any) -> tuple[int, Any]:
        response = self.agency.client.open(
            path, method=method, headers=bearer(self.agency.login(who)), **kwargs
        )
        return response.status_code, response.get_json()

    def view(self, who: str, case: str, **query: str) -> tuple[int, Any]:
        return self.call("GET", f"/api/v1/debtors/{self.debtors[case]}", who, query_string=query)

    def reveal(
        self, who: str, case: str, fields: list[str], purpose: str = "scheduled_call"
    ) -> tuple[int, Any]:
        return self.call(
            "POST",
            f"/api/v1/debtors/{self.debtors[case]}/reveal",
            who,
            json={"fields": fields, "purpose": purpose},
        )

    def investigation(self, cases: list[str], fields: list[str]) -> str:
        """An investigation the auditor asked for to open these fields, approved by the GM."""
        status, opened = self.call(
            "POST",
            "/api/v1/audit/investigations",
            "auditor",
            json={
                "debtor_ids": [self.debtors[case] for case in cases],
                "fields": fields,
                "open_fields": True,
                "case_reference": "CASE-1",
                "justification": "the client reported these debtors' data leaked",
            },
        )
        assert status == 201, opened
        path = f"/api/v1/audit/investigations/{opened['id']}/approve"
        assert self.call("POST", path, "gm")[0] == 200  # no body: the hours asked for
        return opened["id"]

    def certify(self, who: str) -> None:
        """Pass every certifying exam and sign the agreement, as the training desk records it."""
        s = self.agency.services
        with s.sessions() as db:
            trainer = accounts.staff_of(accounts.identity(db, BY_USERNAME["trainer"].number))
            book = load_catalogue(s.settings.policies_dir)
            for certification in book.certifications.values():
                for course in certification.exams:
                    record_result(
                        db,
                        s.context(),
                        Actor(trainer, self.ids["trainer"]),
                        course,
                        self.ids[who],
                        90,
                    )
            agreement = book.agreement("confidentiality")
            sign_agreement(db, s.context(), self.ids[who], agreement.name, agreement.current)

    def events(self, action: str) -> list[dict]:
        return audit_events(self.agency.client, self.agency.login("auditor"), action)


def import_cases(agency: Agency, rows: list[dict[str, str]]) -> dict[str, str]:
    s = agency.services
    with s.sessions() as db:
        import_debtors(db, s.context(), as_csv(rows), "operator:test")
        return {d.case_no: d.id for d in db.scalars(select(Debtor))}


def open_floor(agency: Agency, clock: FixedClock) -> Floor:
    ids = agency.with_accounts(*PEOPLE)
    floor = Floor(agency, clock, ids, import_cases(agency, [case.row() for case in CASES]))
    for who in ("col.a1", "col.a2", "col.b1", "sup.a1", "head.a", "auditor", "gm"):
        floor.certify(who)
    return floor
