"""What the auditor's pages share: their blueprint (`/audit`), the time inputs in the agency's
time, the auditors' time limit, a list shown a page at a time, a CSV download."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from flask import Blueprint
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms.validators import Optional

from govern.console import in_govern_years, page_caller, paged
from govern.debtors.models import FIELDS as DEBTOR_FIELDS
from govern.investigations import questions
from govern.investigations.limits import audited_time_limit
from govern.web import context, db, services

bp = Blueprint("investigations_pages", __name__, url_prefix="/audit")

#: The API's limits on ids and field names (investigations/views.py).
ID_CHARS = 128
#: An account id as Govern issues them (a suspect typed on a page).
ACCOUNT_ID = r"^GV-[0-9A-Z]{4}-[0-9A-Z]{4}$"
FIELD_NAME = r"^[a-z_]{1,64}$"
LOCAL_INPUT = "%Y-%m-%dT%H:%M"
OPTIONAL_TIME = [Optional(), in_govern_years]


#: What a verification can find (audit/verify.py), in words; its details stay as found.
PROBLEM_KINDS = {
    "changed": _l("changed"),
    "missing": _l("missing"),
    "inserted": _l("inserted"),
    "reordered": _l("reordered"),
    "truncated": _l("truncated"),
    "bad signature": _l("bad signature"),
    "checkpoint missing": _l("checkpoint missing"),
    "checkpoint changed": _l("checkpoint changed"),
    "index changed": _l("search columns changed"),
    "unchecked": _l("unchecked"),
}


@bp.context_processor
def debtor_fields() -> dict[str, Any]:
    """The debtor's field names, offered as the field inputs' suggestions; the kinds of
    problem a verification names."""
    return {"debtor_fields": DEBTOR_FIELDS, "problem_kinds": PROBLEM_KINDS}


@bp.app_template_filter("audit_time")
def audit_time(value: str | None) -> str:
    """An RFC 3339 instant in the agency's time, to the second."""
    if not value:
        return ""
    at = datetime.fromisoformat(value).astimezone(services().settings.timezone)
    return at.strftime("%Y-%m-%d %H:%M:%S")


def auditor() -> str:
    return page_caller().account_id


def status(form: FlaskForm) -> int:
    """A form's page: 200 when first shown, 400 when what was sent has problems (the page
    shows them)."""
    return 400 if form.errors else 200


@contextmanager
def limited(query: str, **filters: Any) -> Iterator[None]:
    """The auditors' time limit, audited as the API's queries are."""
    with audited_time_limit(db(), context(), auditor(), query, **filters):
        yield


def searched_window(form: Any, days: int = 90) -> questions.Window:
    zone = services().settings.timezone
    start, end = (
        value.replace(tzinfo=zone) if value else None for value in (form.start.data, form.end.data)
    )
    return questions.Window.of(start, end, services().clock, days)


def paged_list(rows: Sequence[Any]) -> dict[str, Any]:
    """The page asked for of a list held whole, as the results' template takes it."""
    shown = paged(rows)
    return {"found": shown.rows, "total": len(rows), "number": shown.number, "more": shown.more}
