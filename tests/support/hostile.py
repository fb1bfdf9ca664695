"""Hostile requests, generated from the OpenAPI document: every operation × every class.

An operation's otherwise valid request is built from its documented parameters and body
(realistic values by name where the world has them, else from each schema); each class then
spoils it in its own way, one field at a time where a class aims at typed fields. A route added
later is in the document, so it is covered without anyone listing it here.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from functools import cache
from typing import Any
from urllib.parse import quote

from flask import Flask
from hypothesis import find, settings
from hypothesis import strategies as st

NUL = "A\x00B"
SURROGATE = "A\ud800B"
LONG_DIGITS = "9" * 25  # beyond every integer column
PAST_32_BITS = str(2**31)  # beyond an Integer column in PostgreSQL, within Python's and SQLite's
HUGE_DIGITS = "9" * 5000  # beyond what Python reads as an integer (4,300 digits)
DEEP = "[" * 50_000 + "]" * 50_000
DATES = {
    "year_1": {"date": "0001-01-01", "date-time": "0001-01-01T00:00:00+00:00"},
    "year_9999": {"date": "9999-12-31", "date-time": "9999-12-31T23:59:59+00:00"},
}
PLACEHOLDER = "__hostile_number__"
MACHINE_SECURITY = {"telephony": []}  # the telephone system's signature (POST /api/v1/calls)
NOT_FINITE = ("NaN", "Infinity", "-Infinity")  # JSON has none; Python's reader takes them
#: How a JSON body may be encoded, as Python's reader (behind Flask's get_json) detects it.
ENCODINGS = {
    "utf8_bom": lambda text: "\ufeff".encode() + text.encode(),
    "utf16": lambda text: text.encode("utf-16"),  # with its byte order mark
    "utf16_be": lambda text: text.encode("utf-16-be"),  # without one
    "utf32": lambda text: text.encode("utf-32"),
}


@dataclass(frozen=True)
class Parameter:
    name: str
    location: str  # path or query
    schema: dict[str, Any]
    required: bool


@dataclass(frozen=True)
class Operation:
    method: str
    path: str  # the document's template, with {name}
    parameters: tuple[Parameter, ...]
    body: dict[str, Any] | None  # the request body's schema, $refs resolved
    machine: bool = False  # signed by the telephone system instead of a session

    @property
    def id(self) -> str:
        return f"{self.method}:{self.path}"

    def of(self, location: str) -> list[Parameter]:
        return [p for p in self.parameters if p.location == location]


@dataclass(frozen=True)
class Request:
    """One request to send: a spoiled variant of an operation's valid request."""

    method: str
    path: str
    query: dict[str, str] | str  # a str: the query string as sent, %-encoding and all
    body: str | bytes | None = None  # raw text or bytes: numbers Python cannot write, any UTF
    content_type: str = "application/json"  # "": no Content-Type
    spoiled: str = ""  # what was spoiled, for the failure message


@dataclass(frozen=True)
class HostileClass:
    name: str
    build: Callable[[Operation, dict[str, Any]], list[Request]]
    codes: frozenset[str]  # the error codes that may answer it


def operations(document: dict[str, Any]) -> list[Operation]:
    """Every operation of an OpenAPI document."""
    found = []
    for path, item in document["paths"].items():
        shared = item.get("parameters", [])  # the path's own parameters, e.g. {account_id}
        for method, operation in item.items():
            if method == "parameters":
                continue
            parameters = tuple(
                Parameter(p["name"], p["in"], resolve(document, p["schema"]), p.get("required"))
                for p in [*shared, *operation.get("parameters", [])]
                if p["in"] in ("path", "query")
            )
            content = operation.get("requestBody", {}).get("content", {})
            body = content.get("application/json", {}).get("schema")
            found.append(
                Operation(
                    method.upper(),
                    path,
                    parameters,
                    resolve(document, body) if body else None,
                    machine=MACHINE_SECURITY in operation.get("security", []),
                )
            )
    return found


def resolve(document: dict[str, Any], schema: Any) -> Any:
    """`schema` with every $ref replaced by what it names."""
    if isinstance(schema, dict):
        if "$ref" in schema:
            name = schema["$ref"].rsplit("/", 1)[-1]
            return resolve(document, document["components"]["schemas"][name])
        return {key: resolve(document, value) for key, value in schema.items()}
    if isinstance(schema, list):
        return [resolve(document, item) for item in schema]
    return schema


def openapi_document(register: Callable[[Flask], None]) -> dict[str, Any]:
    """The document of an app with Govern's routes but no services (for collecting tests)."""
    app = Flask("govern")
    app.config.update(
        SECRET_KEY="collecting tests",
        API_TITLE="Govern",
        API_VERSION="v1",
        OPENAPI_VERSION="3.1.0",
        OPENAPI_URL_PREFIX="/api/v1",
        OPENAPI_JSON_PATH="openapi.json",
    )
    register(app)
    return app.test_client().get("/api/v1/openapi.json").get_json()


# ---- a valid request ---------------------------------------------------------------------------


def sample(schema: dict[str, Any], name: str, known: dict[str, Any]) -> Any:
    """A value `schema` accepts: the world's own for a known name, else one made from it."""
    if name in known:
        return known[name]
    if "enum" in schema:
        return schema["enum"][0]
    kind = _type(schema)
    if kind == "object":
        return {key: sample(value, key, known) for key, value in _properties(schema).items()}
    if kind == "array":
        return [sample(schema.get("items", {}), name, known)] * max(schema.get("minItems", 1), 1)
    if kind in ("integer", "number"):
        return min(max(1, schema.get("minimum", 1)), schema.get("maximum", 1))
    if kind == "boolean":
        return True
    return _text(schema)


def _text(schema: dict[str, Any]) -> str:
    fmt = schema.get("format")
    if fmt == "date":
        return "2026-12-01"
    if fmt == "date-time":
        return "2026-12-01T09:00:00+08:00"
    if "pattern" in schema:
        return _matching(schema["pattern"])
    return "x" * max(schema.get("minLength", 1), 1)


@cache
def _matching(pattern: str) -> str:
    """The simplest text matching `pattern` (hypothesis shrinks to it; no randomness left)."""
    strategy = st.from_regex(pattern, fullmatch=True)
    return find(strategy, lambda _: True, settings=settings(database=None))


def _type(schema: dict[str, Any]) -> str:
    kind = schema.get("type", "string")
    if isinstance(kind, list):
        kind = next(k for k in kind if k != "null")
    return kind


def _properties(schema: dict[str, Any]) -> dict[str, Any]:
    return {
        key: value
        for key, value in schema.get("properties", {}).items()
        if not value.get("readOnly")
    }


def valid_request(operation: Operation, known: dict[str, Any]) -> Request:
    path = operation.path
    for parameter in operation.of("path"):
        value = sample(parameter.schema, parameter.name, known)
        path = path.replace(f"{{{parameter.name}}}", quote(str(value), safe=""))
    query = {
        p.name: str(sample(p.schema, p.name, known)) for p in operation.of("query") if p.required
    }
    body = json.dumps(sample(operation.body, "", known)) if operation.body else None
    return Request(operation.method, path, query, body)


# ---- the classes -------------------------------------------------------------------------------


def _with_path(
    operation: Operation, known: dict[str, Any], value: str, which: Callable[[Parameter], bool]
) -> list[Request]:
    spoiled = [p for p in operation.of("path") if which(p)]
    if not spoiled:
        return []
    changed = {**known, **{p.name: value for p in spoiled}}
    request = valid_request(operation, changed)
    return [replace(request, spoiled="path " + ", ".join(p.name for p in spoiled))]


def _with_query(operation: Operation, known: dict[str, Any], parameter: str, value: str) -> Request:
    request = valid_request(operation, known)
    return replace(request, query={**request.query, parameter: value}, spoiled=f"query {parameter}")


def _body_of(operation: Operation, known: dict[str, Any]) -> Any:
    return sample(operation.body, "", known) if operation.body else {}


def _leaves(value: Any, trail: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], Any]]:
    """(where, value) of every leaf of a JSON value."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _leaves(item, (*trail, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _leaves(item, (*trail, index))
    else:
        yield trail, value


def _set(value: Any, where: tuple[Any, ...], new: Any) -> Any:
    copy = json.loads(json.dumps(value))
    if not where:
        return new
    target = copy
    for step in where[:-1]:
        target = target[step]
    target[where[-1]] = new
    return copy


def _json_with(value: Any, number: str) -> str:
    """JSON text of `value` with the placeholder written as the raw number `number`."""
    return json.dumps(value).replace(f'"{PLACEHOLDER}"', number)


def _schema_at(schema: dict[str, Any] | None, where: tuple[Any, ...]) -> dict[str, Any]:
    for step in where:
        if schema is None:
            return {}
        schema = schema.get("items") if isinstance(step, int) else _properties(schema).get(step)
    return schema or {}


def texts_spoiled(text: str) -> Callable[[Operation, dict[str, Any]], list[Request]]:
    """Each string of the body in turn (or a new field, if it has none) holds `text`."""

    def build(operation: Operation, known: dict[str, Any]) -> list[Request]:
        base, valid = _body_of(operation, known), valid_request(operation, known)
        strings = [where for where, value in _leaves(base) if isinstance(value, str)]
        bodies = [(_set(base, where, text), "body " + _name(where)) for where in strings]
        bodies = bodies or [({**base, "note": text}, "body note")]
        bodies.append(({**base, text: "x"}, "body key"))
        return [replace(valid, body=json.dumps(b), spoiled=s) for b, s in bodies]

    return build


def encoded(
    build: Callable[[Operation, dict[str, Any]], list[Request]], encoding: str
) -> Callable[[Operation, dict[str, Any]], list[Request]]:
    """The requests of `build`, their JSON bodies sent in `encoding` instead of plain UTF-8."""

    def rebuild(operation: Operation, known: dict[str, Any]) -> list[Request]:
        return [
            replace(r, body=ENCODINGS[encoding](r.body), spoiled=f"{r.spoiled} in {encoding}")
            for r in build(operation, known)
        ]

    return rebuild


def surrogate_bytes_in_body(operation: Operation, known: dict[str, Any]) -> list[Request]:
    """Each string of the body in turn holds a lone surrogate written as raw bytes (ED A0 80):
    not UTF-8, yet Python's JSON reader decodes it."""
    return [
        replace(
            r,
            body=json.dumps(json.loads(r.body), ensure_ascii=False).encode(
                "utf-8", "surrogatepass"
            ),
        )
        for r in texts_spoiled(SURROGATE)(operation, known)
    ]


def not_finite_numbers(operation: Operation, known: dict[str, Any]) -> list[Request]:
    """Each number of the body in turn, and a number added to any body, is NaN or ±Infinity."""
    base, valid = _body_of(operation, known), valid_request(operation, known)
    numbers = [
        where
        for where, _ in _leaves(base)
        if _type(_schema_at(operation.body, where)) in ("integer", "number")
    ]
    spoiled = [(_set(base, where, PLACEHOLDER), _name(where)) for where in numbers]
    spoiled.append(({**base, "count": PLACEHOLDER}, "count"))
    return [
        replace(valid, body=_json_with(body, constant), spoiled=f"body {name} {constant}")
        for body, name in spoiled
        for constant in NOT_FINITE
    ]


def duplicate_key(operation: Operation, known: dict[str, Any]) -> list[Request]:
    """The body's first key (or a key added to any body) named a second time."""
    valid = valid_request(operation, known)
    body = _body_of(operation, known)
    body = body if isinstance(body, dict) and body else {"note": "x"}
    key = next(iter(body))
    text = json.dumps(body)[:-1] + f", {json.dumps(key)}: {json.dumps(body[key])}}}"
    return [replace(valid, body=text, spoiled=f"body key {key} twice")]


def nul_in_path(operation: Operation, known: dict[str, Any]) -> list[Request]:
    return _with_path(operation, known, NUL, lambda _: True)


def nul_in_query(operation: Operation, known: dict[str, Any]) -> list[Request]:
    names = [p.name for p in operation.of("query")] + ["q"]
    return [_with_query(operation, known, name, NUL) for name in names]


def deep_json(operation: Operation, known: dict[str, Any]) -> list[Request]:
    valid = valid_request(operation, known)
    return [replace(valid, body=DEEP, spoiled="body nested 50,000 deep")]


def text_plain(operation: Operation, known: dict[str, Any]) -> list[Request]:
    valid = valid_request(operation, known)
    body = valid.body or json.dumps({"note": "x"})
    return [replace(valid, body=body, content_type="text/plain", spoiled="body as text/plain")]


def numbers_spoiled(digits: str, anywhere: bool) -> Callable[[Operation, dict], list[Request]]:
    """Each integer of the path, the query and the body in turn is `digits` long; with
    `anywhere`, a number Python cannot read is also added to any body."""

    def build(operation: Operation, known: dict[str, Any]) -> list[Request]:
        found = _with_path(operation, known, digits, _is_number)
        found += [
            _with_query(operation, known, p.name, digits)
            for p in operation.of("query")
            if _is_number(p)
        ]
        base, valid = _body_of(operation, known), valid_request(operation, known)
        for where, _ in _leaves(base):
            if _type(_schema_at(operation.body, where)) in ("integer", "number"):
                body = _json_with(_set(base, where, PLACEHOLDER), digits)
                found.append(replace(valid, body=body, spoiled="body " + _name(where)))
        if anywhere:
            body = _json_with({**base, "count": PLACEHOLDER}, digits)
            found.append(replace(valid, body=body, spoiled="body count"))
        return found

    return build


def dates_spoiled(which: str) -> Callable[[Operation, dict[str, Any]], list[Request]]:
    """Each date and moment of the query and the body in turn is in year 1 or 9999."""
    values = DATES[which]

    def build(operation: Operation, known: dict[str, Any]) -> list[Request]:
        found = [
            _with_query(operation, known, p.name, values[p.schema["format"]])
            for p in operation.of("query")
            if p.schema.get("format") in values
        ]
        base, valid = _body_of(operation, known), valid_request(operation, known)
        for where, _ in _leaves(base):
            fmt = _schema_at(operation.body, where).get("format")
            if fmt in values:
                body = json.dumps(_set(base, where, values[fmt]))
                found.append(replace(valid, body=body, spoiled="body " + _name(where)))
        return found

    return build


def row_id_past_32_bits(operation: Operation, known: dict[str, Any]) -> list[Request]:
    """Each number of the path (a row id) in turn is 2**31: no Integer column holds it."""
    return _with_path(operation, known, PAST_32_BITS, _is_number)


def _is_number(parameter: Parameter) -> bool:
    return _type(parameter.schema) in ("integer", "number")


def _name(where: tuple[Any, ...]) -> str:
    return ".".join(str(step) for step in where) or "(whole body)"


INVALID_TEXT = frozenset({"request.invalid_text"})
CLASSES = [
    HostileClass("nul_in_path", nul_in_path, INVALID_TEXT),
    HostileClass("nul_in_query", nul_in_query, INVALID_TEXT),
    HostileClass("nul_in_body", texts_spoiled(NUL), INVALID_TEXT),
    HostileClass("surrogate_in_body", texts_spoiled(SURROGATE), INVALID_TEXT),
    HostileClass("surrogate_bytes_in_body", surrogate_bytes_in_body, INVALID_TEXT),
    *(
        HostileClass(f"nul_in_body_{encoding}", encoded(texts_spoiled(NUL), encoding), INVALID_TEXT)
        for encoding in ENCODINGS
    ),
    HostileClass("deep_json", deep_json, frozenset({"request.too_deep"})),
    HostileClass("duplicate_key", duplicate_key, frozenset({"request.duplicate_key"})),
    HostileClass("text_plain", text_plain, frozenset({"request.unsupported_media_type"})),
    HostileClass(
        "integer_25_digits",
        numbers_spoiled(LONG_DIGITS, anywhere=False),
        frozenset({"request.out_of_range", "request.invalid"}),
    ),
    # found by fuzzing: a leave id past 32 bits reached PostgreSQL, which refused it (500)
    HostileClass("row_id_past_32_bits", row_id_past_32_bits, frozenset()),
    HostileClass(
        "integer_5000_digits",
        numbers_spoiled(HUGE_DIGITS, anywhere=True),
        # in a path, no route matches a number Python cannot read: 404
        frozenset({"request.out_of_range", "request.invalid", "http.404"}),
    ),
    HostileClass("not_finite_number", not_finite_numbers, frozenset({"request.out_of_range"})),
    HostileClass("date_year_1", dates_spoiled("year_1"), frozenset({"request.invalid"})),
    HostileClass("date_year_9999", dates_spoiled("year_9999"), frozenset({"request.invalid"})),
]
