"""`govern debtors import FILE`: debtor cases from a CSV file, checked row by row, stored all
or nothing. Error messages name the line and the column, never the value (it is personal).

Columns (UTF-8, a header row): case_no, client, name, phones, id_number, address, employer,
family, emergency_contacts, amount_owed, days_overdue, project_group, and optionally
time_zone (the debtor's IANA zone, e.g. America/New_York, for a contact profile that judges
hours in the debtor's local time). Several phones are separated by `;`; contacts are
`name|relation|phone` separated by `;` (a family member's phone may be left out).
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import Any
from zoneinfo import available_timezones

from marshmallow import Schema, ValidationError, fields, validate, validates

COLUMNS = (
    "case_no",
    "client",
    "name",
    "phones",
    "id_number",
    "address",
    "employer",
    "family",
    "emergency_contacts",
    "amount_owed",
    "days_overdue",
    "project_group",
)
#: Columns a file may leave out.
OPTIONAL_COLUMNS = ("time_zone",)
PHONE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_READ = COLUMNS + OPTIONAL_COLUMNS


@dataclass(frozen=True)
class RowError:
    line: int
    column: str
    message: str


class ImportRefused(Exception):
    """The file has bad rows; nothing of it was stored."""

    def __init__(self, errors: list[RowError]) -> None:
        super().__init__(f"{len(errors)} problems")
        self.errors = errors


def valid_id_number(number: str) -> bool:
    """A resident identity number (GB 11643-1999): 17 digits and its check character."""
    return bool(re.fullmatch(r"\d{17}[\dX]", number)) and check_character(number[:17]) == number[17]


def valid_zone(name: str) -> bool:
    """Whether `name` is a time zone of the IANA database (zoneinfo's: a folder of it such
    as `America` is not one)."""
    return name in _zones()


@cache
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def check_character(seventeen: str) -> str:
    """The check character (GB 11643-1999) that completes 17 digits into an identity number."""
    total = sum(int(d) * w for d, w in zip(seventeen, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


class _Contacts(fields.Field):
    def __init__(self, phone_required: bool, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.phone_required = phone_required

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> list:
        contacts = []
        for part in filter(None, (p.strip() for p in str(value).split(";"))):
            pieces = part.split("|")
            if len(pieces) > 3:
                raise ValidationError("each contact is name|relation|phone")
            name, relation, phone = [*pieces, "", ""][:3]
            if not name.strip() or not relation.strip():
                raise ValidationError("each contact needs name|relation|phone")
            if (phone or self.phone_required) and not PHONE.match(phone.strip()):
                raise ValidationError("a contact's phone is not a phone number")
            contact = {"name": name.strip(), "relation": relation.strip()}
            contacts.append(contact | ({"phone": phone.strip()} if phone.strip() else {}))
        return contacts


class _Phones(fields.Field):
    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> list:
        phones = [p.strip() for p in str(value).split(";") if p.strip()]
        if not phones or not all(PHONE.match(p) for p in phones):
            raise ValidationError("not a list of phone numbers (separate several with ;)")
        return phones


class DebtorRow(Schema):
    case_no = fields.String(required=True, validate=validate.Regexp(r"^[A-Za-z0-9._/-]{1,64}$"))
    client = fields.String(required=True, validate=validate.Length(min=1, max=128))
    name = fields.String(required=True, validate=validate.Length(min=1, max=64))
    phones = _Phones(required=True)
    id_number = fields.String(required=True)
    address = fields.String(required=True, validate=validate.Length(min=1, max=256))
    employer = fields.String(load_default="", validate=validate.Length(max=128))
    family = _Contacts(phone_required=False, load_default=list)
    emergency_contacts = _Contacts(phone_required=True, load_default=list)
    amount_owed = fields.Decimal(
        required=True, places=2, validate=validate.Range(min=0, max=Decimal("999999999999.99"))
    )
    days_overdue = fields.Integer(required=True, validate=validate.Range(min=0, max=36500))
    project_group = fields.String(required=True, validate=validate.Length(min=1, max=128))
    time_zone = fields.String(load_default=None, validate=validate.Length(max=64))

    @validates("time_zone")
    def _time_zone(self, value: str | None, **_: Any) -> None:
        if value is not None and not valid_zone(value):
            raise ValidationError("not an IANA time zone (e.g. Asia/Shanghai)")

    @validates("id_number")
    def _id_number(self, value: str, **_: Any) -> None:
        if not valid_id_number(value.upper()):
            raise ValidationError("not a valid identity number (18 characters, check digit)")


def read_rows(text: str, known_groups: set[str], known_cases: set[str]) -> list[dict[str, Any]]:
    """Every row of the CSV text, validated. Raises ImportRefused listing every problem."""
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise ImportRefused([RowError(1, column, "column missing") for column in missing])
    rows, errors, seen = [], [], set()
    for raw in reader:
        number = reader.line_num  # the file's line, blank lines and multi-line values counted
        values = {k: v.strip() for k, v in raw.items() if k in _READ and v and v.strip()}
        try:
            row = DebtorRow().load(values)
        except ValidationError as error:
            errors += [RowError(number, c, _first(m)) for c, m in sorted(error.messages.items())]
            continue
        errors += _cross_checks(number, row, known_groups, known_cases | seen)
        seen.add(row["case_no"])
        rows.append(row)
    if errors:
        raise ImportRefused(errors)
    if not rows:
        raise ImportRefused([RowError(1, "", "no rows")])
    return rows


def personal_values(row: dict[str, Any]) -> dict[str, str]:
    """The personal fields of a row as the text to seal (JSON for lists)."""
    return {
        "name": row["name"],
        "phones": json.dumps(row["phones"], ensure_ascii=False),
        "id_number": row["id_number"].upper(),
        "address": row["address"],
        "family": json.dumps(row["family"], ensure_ascii=False),
        "employer": row["employer"],
        "emergency_contacts": json.dumps(row["emergency_contacts"], ensure_ascii=False),
    }


def _cross_checks(
    line: int, row: dict[str, Any], known_groups: set[str], taken: set[str]
) -> list[RowError]:
    errors = []
    if row["project_group"] not in known_groups:
        errors.append(RowError(line, "project_group", "no such project group in the directory"))
    if row["case_no"] in taken:
        errors.append(RowError(line, "case_no", "this case is already imported or repeated"))
    return errors


def _first(messages: Any) -> str:
    if isinstance(messages, list):
        return str(messages[0])
    if isinstance(messages, dict):
        return _first(next(iter(messages.values())))
    return str(messages)
