"""For the benchmarks only: the debtor read without governance. The caller is signed in the
same way (authentication is not governance), but there is no decision and no audit: every
personal field is opened and sent. The baseline the governed read is measured against."""

from __future__ import annotations

from typing import Any

from flask import Blueprint

from govern.debtors import repository
from govern.debtors.models import PERSONAL_FIELDS
from govern.sessions.service import authenticate
from govern.web import bearer_token, context, db, services

bench = Blueprint("bench", __name__, url_prefix="/bench")


@bench.get("/up")
def up() -> str:
    return "ok"


@bench.get("/raw/<string:debtor_id>")
def raw(debtor_id: str) -> dict[str, Any]:
    s = services()  # the same signed-in caller: authentication is not governance
    authenticate(db(), context(), bearer_token(), "api")
    debtor = repository.debtor(db(), debtor_id)
    assert debtor is not None
    vault = s.vault
    fields = {
        name: vault.open(getattr(debtor, name), f"{debtor.id}/{name}") for name in PERSONAL_FIELDS
    }
    return {"id": debtor.id, "fields": fields, "amount_owed": str(debtor.amount_owed)}
