"""More hostile requests (issue 17), built like those of `hostile.py` from the OpenAPI document:
bodies over the size limit, bodies in formats and charsets other than JSON in UTF-8, bytes that
are not UTF-8 in the path, the query and the body, and look-alike Unicode in every value the
document constrains (an id, a code, a number, a date). Each class spoils one place at a time;
every request must be refused with a 4xx in Govern's error shape and change nothing.

Look-alikes are refused, never normalized, wherever a value names something: 1005 in
full-width digits, with a Cyrillic O for its 0, or with a zero-width joiner inside is no
employee number, so it can never be taken for another person's (docs/security.md,
"Hostile input").
"""

from __future__ import annotations

import json
from dataclasses import replace
from functools import cache
from typing import Any
from urllib.parse import quote, urlencode

from tests.support.hostile import (
    HostileClass,
    Operation,
    Request,
    _body_of,
    _leaves,
    _schema_at,
    _set,
    _type,
    sample,
    texts_spoiled,
    valid_request,
)

#: Flask's MAX_CONTENT_LENGTH as govern/app.py sets it (the test holds the app to it).
MAX_BODY = 8 * 1024 * 1024
MARK = "__hostile_bytes__"
RLO = "A\u202eB"  # RIGHT-TO-LEFT OVERRIDE: "A" then "B" shown backwards
#: The wrong ways to send a body, each with a body in that format.
FORMATS = {
    "application/x-www-form-urlencoded": b"employee_number=1005",
    "multipart/form-data; boundary=x": (
        b'--x\r\nContent-Disposition: form-data; name="employee_number"\r\n\r\n1005\r\n--x--\r\n'
    ),
    "application/xml": b"<issue><employee_number>1005</employee_number></issue>",
    "application/json; charset=latin-1": '{"note": "caf\u00e9"}'.encode("latin-1"),
    "": b'{"note": "x"}',  # no Content-Type at all
}
NOT_UTF8 = {"latin1": b"caf\xe9", "overlong": b"\xc0\xae\xc0\xae"}  # é in Latin-1; "." overlong
#: Letters and digits with a Cyrillic or Greek twin that looks the same.
HOMOGLYPHS = str.maketrans(
    "aceopxyABCEHKMOPTX03",
    "асеорхуАВСЕНКМОРТХОЗ",  # noqa: RUF001 (Cyrillic on purpose)
)


def oversized_body(operation: Operation, known: dict[str, Any]) -> list[Request]:
    """A JSON body one byte over the limit, to an operation that takes a body."""
    if operation.body is None:
        return []
    return [replace(valid_request(operation, known), body=_oversized(), spoiled="body of 8 MB+1")]


@cache
def _oversized() -> bytes:
    head, tail = b'{"note": "', b'"}'
    return head + b"x" * (MAX_BODY + 1 - len(head) - len(tail)) + tail


def wrong_formats(operation: Operation, known: dict[str, Any]) -> list[Request]:
    """The body as a form, multipart, XML, without a Content-Type, and as JSON in Latin-1."""
    valid = valid_request(operation, known)
    return [
        replace(valid, body=body, content_type=kind, spoiled=f"body as {kind or 'no type'}")
        for kind, body in FORMATS.items()
    ]


def not_utf8(operation: Operation, known: dict[str, Any]) -> list[Request]:
    """Latin-1 and overlong UTF-8 bytes in each path parameter, in a query parameter, and in
    each string of the body, in turn."""
    found = []
    for name, raw in NOT_UTF8.items():
        encoded = "".join(f"%{byte:02X}" for byte in raw)
        found += _in_path(operation, known, encoded, name)
        valid = valid_request(operation, known)
        query = urlencode(valid.query) + "&" * bool(valid.query) + f"q={encoded}"
        found.append(replace(valid, query=query, spoiled=f"query q {name}"))
        found += _in_body_strings(operation, known, raw, name)
    return found


def _in_path(operation: Operation, known: dict[str, Any], raw: str, name: str) -> list[Request]:
    """The path with each of its parameters in turn written as `raw` (already %-encoded)."""
    found = []
    for parameter in operation.of("path"):
        request = valid_request(operation, {**known, parameter.name: MARK})
        path = request.path.replace(quote(MARK, safe=""), raw)
        found.append(replace(request, path=path, spoiled=f"path {parameter.name} {name}"))
    return found


def _in_body_strings(
    operation: Operation, known: dict[str, Any], raw: bytes, name: str
) -> list[Request]:
    if operation.body is None:
        return []
    base, valid = _body_of(operation, known), valid_request(operation, known)
    strings = [where for where, value in _leaves(base) if isinstance(value, str)] or [("note",)]
    return [
        replace(
            valid,
            body=json.dumps(_set(base, where, MARK)).encode().replace(MARK.encode(), raw),
            spoiled=f"body {'.'.join(map(str, where))} {name}",
        )
        for where in strings
    ]


def direction_control(operation: Operation, known: dict[str, Any]) -> list[Request]:
    """A right-to-left override in each path parameter, in a query parameter, and in each
    string of the body (free text too: a note that reads otherwise than it is stored)."""
    encoded = quote(RLO, safe="")
    found = _in_path(operation, known, encoded, "RLO")
    valid = valid_request(operation, known)
    found.append(replace(valid, query={**valid.query, "q": RLO}, spoiled="query q RLO"))
    return found + (texts_spoiled(RLO)(operation, known) if operation.body else [])


def look_alikes(operation: Operation, known: dict[str, Any]) -> list[Request]:
    """Each value the document constrains (every path parameter; a query parameter or body
    field with a pattern, a list of values, a number or a date format), in turn, written in
    full-width characters, with a Cyrillic or Greek twin, or with a zero-width joiner."""
    found = []
    for spell, how in (
        (_full_width, "full-width"),
        (_homoglyph, "homoglyph"),
        (_zero_width, "zero-width joiner"),
    ):
        found += _path_look_alikes(operation, known, spell, how)
        found += _query_look_alikes(operation, known, spell, how)
        found += _body_look_alikes(operation, known, spell, how)
    return found


def _path_look_alikes(operation: Operation, known: dict, spell: Any, how: str) -> list[Request]:
    found = []
    for parameter in operation.of("path"):
        value = str(sample(parameter.schema, parameter.name, known))
        if spell(value) != value:
            request = valid_request(operation, {**known, parameter.name: spell(value)})
            found.append(replace(request, spoiled=f"path {parameter.name} {how}"))
    return found


def _query_look_alikes(operation: Operation, known: dict, spell: Any, how: str) -> list[Request]:
    found = []
    valid = valid_request(operation, known)
    for parameter in operation.of("query"):
        value = str(sample(parameter.schema, parameter.name, known))
        if _constrained(parameter.schema) and spell(value) != value:
            query = {**valid.query, parameter.name: spell(value)}
            found.append(replace(valid, query=query, spoiled=f"query {parameter.name} {how}"))
    return found


def _body_look_alikes(operation: Operation, known: dict, spell: Any, how: str) -> list[Request]:
    if operation.body is None:
        return []
    base, valid, found = _body_of(operation, known), valid_request(operation, known), []
    for where, value in _leaves(base):
        schema = _schema_at(operation.body, where)
        written = spell(str(value)) if not isinstance(value, bool) else str(value)
        if _constrained(schema) and written != str(value):
            body = json.dumps(_set(base, where, written))
            name = ".".join(map(str, where))
            found.append(replace(valid, body=body, spoiled=f"body {name} {how}"))
    return found


def _constrained(schema: dict[str, Any]) -> bool:
    """Whether the document says what the value may be: not free text."""
    return bool(
        {"pattern", "enum", "format"} & set(schema) or _type(schema) in ("integer", "number")
    )


def _full_width(text: str) -> str:
    """`text` with every ASCII letter, digit and sign in its full-width form (NFKC folds it
    back: an NFKC-equivalent of a valid value)."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def _homoglyph(text: str) -> str:
    """`text` with its first letter or digit that has a Cyrillic twin replaced by that twin."""
    for index, character in enumerate(text):
        twin = character.translate(HOMOGLYPHS)
        if twin != character:
            return text[:index] + twin + text[index + 1 :]
    return text


def _zero_width(text: str) -> str:
    return text[:1] + "\u200d" + text[1:] if text else text


ANY_REFUSAL: frozenset[str] = frozenset()  # a look-alike is refused by what names the value
CLASSES = [
    HostileClass("oversized_body", oversized_body, frozenset({"http.413"})),
    HostileClass(
        "wrong_content_type", wrong_formats, frozenset({"request.unsupported_media_type"})
    ),
    HostileClass("not_utf8", not_utf8, frozenset({"request.invalid_text", "request.malformed"})),
    HostileClass("direction_control", direction_control, frozenset({"request.invalid_text"})),
    HostileClass("look_alike", look_alikes, ANY_REFUSAL),
]
