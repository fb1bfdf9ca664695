"""Bounds every request schema shares, so that no value a service cannot compute with, store
or compare gets past parsing: days and instants within Govern's years, whole numbers that a
database column holds. A value outside them is a 422 `request.invalid` naming the field.

Govern's years are 2000-2099: every date it is asked about (a departure, a plan, a range of
sessions, attendance or departures, an audit window) lies in them, while year 1 or 9999 is a
typing error that would overflow the arithmetic done with it (a departure instant in its
timezone, "90 days before"). Free text is judged once trimmed (`Text`). A number sent as text
(every number of a query) is ASCII digits: Python would read 10 written in full-width or
Arabic-Indic digits, with spaces around it or as `1_0`, as 10, and a value that reads as
another is no value Govern takes.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from marshmallow import ValidationError, fields

from govern.justification import trim

EARLIEST = date(2000, 1, 1)
LATEST = date(2099, 12, 31)
LARGEST = 2**63 - 1  # the widest integer column (BIGINT); SQLite's INTEGER too
SMALLEST = -(2**63)
#: The largest row id an `Integer` primary key holds (PostgreSQL's INTEGER is 32 bits): a
#: larger id asked for is no row, and PostgreSQL would refuse even to compare it.
LARGEST_ROW_ID = 2**31 - 1

OUTSIDE_YEARS = f"Must lie between {EARLIEST} and {LATEST}."
OUTSIDE_NUMBERS = f"Must lie between {SMALLEST} and {LARGEST}."
NOT_DIGITS = "Write the number in the digits 0-9."
PLAIN_NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")


def plain_digits(value: Any) -> None:
    """Raises ValidationError if `value` is text other than ASCII digits (a sign and a decimal
    point allowed): a JSON number passes as it is."""
    if isinstance(value, str) and not PLAIN_NUMBER.fullmatch(value):
        raise ValidationError(NOT_DIGITS)


def within_years(day: date) -> None:
    """Raises ValidationError unless `day` lies in Govern's years."""
    if not EARLIEST <= day <= LATEST:
        raise ValidationError(OUTSIDE_YEARS)


class Day(fields.Date):
    """A calendar day (YYYY-MM-DD) in Govern's years."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> date:
        day = super()._deserialize(value, attr, data, **kwargs)
        within_years(day)
        return day


class Instant(fields.AwareDateTime):
    """A moment with its UTC offset, on a day in Govern's years."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> datetime:
        moment = super()._deserialize(value, attr, data, **kwargs)
        within_years(moment.date())
        return moment


class Text(fields.String):
    """Free text a person types (a title, a note, a reason): trimmed of the whitespace and
    invisible characters around it before its `validate` judges it, so spaces are no title."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        return trim(super()._deserialize(value, attr, data, **kwargs))


class WholeNumber(fields.Integer):
    """A whole number a database column holds (its own `validate` may narrow it further),
    written in ASCII digits when sent as text."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int:
        plain_digits(value)
        number = super()._deserialize(value, attr, data, **kwargs)
        if not SMALLEST <= number <= LARGEST:
            raise ValidationError(OUTSIDE_NUMBERS)
        return number


class Quantity(fields.Float):
    """A number that may have a fraction (hours), written in ASCII digits when sent as text."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> float:
        plain_digits(value)
        return super()._deserialize(value, attr, data, **kwargs)
