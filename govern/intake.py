"""The entrance every request passes after routing and before any view: what no view, database
or directory should ever be handed is refused here, with a stable code.

- text no database can hold the same way: a NUL character (PostgreSQL refuses it, SQLite
  would keep it) or a lone UTF-16 surrogate, in the path, the query, a page's form or a JSON
  body, keys included; a control that overrides the direction text is shown in (U+202A-U+202E,
  U+2066-U+2069), which makes a note or a name read otherwise than it is stored; a path or a
  query whose percent-encoded bytes are not UTF-8 (Latin-1, overlong forms): 400
  `request.invalid_text`;
- JSON nested deeper than `MAX_DEPTH`, found by a flat scan before any parser recurses:
  400 `request.too_deep`;
- a number no column holds: an integer in the path or a JSON body outside 64 bits (Python
  refuses to read one of thousands of digits), a JSON number too large to be finite, or the
  `NaN`, `Infinity` and `-Infinity` Python's reader accepts: 400 `request.out_of_range`;
- a JSON object naming one key twice, which readers resolve differently (Python keeps the
  last, others the first): 400 `request.duplicate_key`;
- a body sent to the API in any format but JSON, or as JSON in a declared charset other than
  UTF-8 (`application/json; charset=latin-1`: its bytes would be read as another text than the
  client meant): 415 `request.unsupported_media_type`.

Each is a GovernError, rendered by the one error mapping in `govern.web`. Nothing has been
read into a session, the database or the directory yet, so a refused request changes nothing.
A JSON body is read as its most lenient reader would (any UTF of JSON, a byte order mark,
encoded surrogates), so what passes here holds nothing unsafe for any reader. Malformed JSON is
left to the route's parser, which answers it once the caller is known.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Iterator
from itertools import accumulate
from typing import Any
from urllib.parse import unquote_to_bytes

from flask import Flask, request

from govern.bounds import LARGEST, SMALLEST
from govern.errors import BadRequest, UnsupportedMediaType
from govern.text import is_safe_text

MAX_DEPTH = 32  # Govern's deepest body (a policy change) is 3 levels deep
FORMS = {"application/x-www-form-urlencoded", "multipart/form-data"}
#: Direction overrides, embeddings and isolates: text holding them displays otherwise than it
#: reads ("Trojan Source"). The marks U+200E and U+200F only hint a direction, and stay.
DIRECTION_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")
UTF8 = {"utf-8", "utf8"}
# a string, or the rest of the text after an unterminated one: never backtracks (linear)
JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"?', re.DOTALL)
NOT_BRACKET = re.compile(r"[^\[\]{}]")
DEPTH_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


def register_intake(app: Flask) -> None:
    """Check every request at the entrance (after the request context is set up)."""
    app.before_request(check_request)


def check_request() -> None:
    """Raises BadRequest `request.invalid_text`, `request.too_deep`, `request.out_of_range`,
    `request.duplicate_key` or UnsupportedMediaType `request.unsupported_media_type`."""
    _check_utf8()
    check_texts([request.path], "path")
    check_texts(_pairs(request.args.items(multi=True)), "query")
    _check_path_numbers(request.view_args or {})
    if request.path.startswith("/api/") and _has_body() and not _is_utf8_json():
        raise UnsupportedMediaType(
            "request.unsupported_media_type", "Send the body as JSON (application/json)."
        )
    if request.mimetype in FORMS:
        check_texts(_pairs(request.form.items(multi=True)), "form")
    if request.is_json and _has_body():
        check_json(request.get_data(cache=True))


def check_texts(texts: Iterable[str], where: str) -> None:
    """Raises BadRequest `request.invalid_text` when a text holds NUL, a lone surrogate or a
    direction control."""
    if not all(is_safe_text(text) and not DIRECTION_CONTROLS.search(text) for text in texts):
        raise BadRequest(
            "request.invalid_text",
            f"The request's {where} holds a NUL character, a lone UTF-16 surrogate or a "
            "control of the text's direction.",
        )


def _check_utf8() -> None:
    """The path and the query as sent, percent-decoded, must be UTF-8: Werkzeug would read
    other bytes as U+FFFD, and a value would quietly become another. Raises BadRequest
    `request.invalid_text`."""
    for where, raw in (("path", _raw_path()), ("query", unquote_to_bytes(request.query_string))):
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:
            raise BadRequest(
                "request.invalid_text", f"The request's {where} is not UTF-8 text."
            ) from None


def _raw_path() -> bytes:
    """The path's bytes as the client sent them (gunicorn and Werkzeug keep the request line
    as RAW_URI; PATH_INFO is already decoded, and Werkzeug's test client decodes it lossily)."""
    environ = request.environ
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if raw is None:
        return environ.get("PATH_INFO", "").encode("latin-1", "replace")
    return unquote_to_bytes(raw.partition("?")[0].encode("latin-1", "replace"))


def _is_utf8_json() -> bool:
    """A JSON body, in UTF-8 unless it names no charset (JSON's own UTFs are then detected)."""
    charset = request.mimetype_params.get("charset")
    return request.is_json and (charset is None or charset.lower() in UTF8)


def check_json(body: bytes) -> None:
    """Check a JSON body's depth before parsing it, then its numbers and texts. The body is
    read as the most lenient of its readers would read it (`json.loads` of bytes, behind
    Flask's `get_json`): UTF-8 with or without a byte order mark, UTF-16 or UTF-32, lone
    surrogates kept. So no reader can find in it what this check did not see. A body no reader
    can decode or parse passes: the route's parser refuses it as malformed once the caller is
    known."""
    try:
        text = body.decode(json.detect_encoding(body), "surrogatepass").removeprefix("\ufeff")
    except UnicodeDecodeError:
        return
    if json_depth(text) > MAX_DEPTH:
        raise BadRequest("request.too_deep", f"JSON may be nested at most {MAX_DEPTH} deep.")
    try:
        value = json.loads(
            text,
            parse_int=_whole_number,
            parse_float=_finite_number,
            parse_constant=_no_constant,
            object_pairs_hook=_unique_keys,
        )
    except json.JSONDecodeError:
        return
    check_texts(_json_texts(value), "JSON body")


def json_depth(text: str) -> int:
    """How deep arrays and objects nest in `text`, counted without parsing (strings skipped)."""
    brackets = NOT_BRACKET.sub("", JSON_STRING.sub('""', text))
    return max(accumulate(DEPTH_STEP[bracket] for bracket in brackets), default=0)


def _whole_number(digits: str) -> int:
    if len(digits.lstrip("-")) > len(str(LARGEST)) or not SMALLEST <= int(digits) <= LARGEST:
        raise _out_of_range()
    return int(digits)


def _finite_number(digits: str) -> float:
    number = float(digits)
    if not math.isfinite(number):
        raise _out_of_range()
    return number


def _no_constant(name: str) -> float:
    """`NaN`, `Infinity` and `-Infinity`: JSON has no such numbers, and no column holds them."""
    raise _out_of_range()


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    value = dict(pairs)
    if len(value) != len(pairs):
        raise BadRequest("request.duplicate_key", "A JSON object names one of its keys twice.")
    return value


def _check_path_numbers(view_args: dict[str, Any]) -> None:
    numbers = (value for value in view_args.values() if isinstance(value, int))
    if any(not SMALLEST <= number <= LARGEST for number in numbers):
        raise _out_of_range()


def _out_of_range() -> BadRequest:
    return BadRequest("request.out_of_range", f"Numbers must lie between {SMALLEST} and {LARGEST}.")


def _has_body() -> bool:
    chunked = "chunked" in request.headers.get("Transfer-Encoding", "").lower()
    return bool(request.content_length) or chunked


def _pairs(items: Iterable[tuple[str, str]]) -> Iterator[str]:
    for key, value in items:
        yield key
        yield value


def _json_texts(value: Any) -> Iterator[str]:
    """Every string of a parsed JSON value, object keys included (its depth is bounded)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _json_texts(item)
    elif isinstance(value, list):
        for item in value:
            yield from _json_texts(item)
