"""Every page speaks the language chosen, and only it, to every role, whatever is typed into it
(issue 15: Chinese first, English by the toggle; every error is words, never a stack trace).

As each role, in Chinese and then in English, the crawl asks for every page of the console —
every GET route of the page blueprints, read from the app's url_map (a page added later is
crawled without anyone listing it here), with the ids of the world and unknown ones, and the
pages they link to — and submits every form: the forms the pages render, and every POST route
with the fields of the forms and query schemas its module declares, empty and malformed
(letters in number fields, impossible dates, over-long text, unknown ids and choices).

What a person sees — the visible text with the title, buttons and placeholders, without code,
scripts, styles and what is marked data (tests/support/words.py) — must hold no English word
on a Chinese page and no Chinese on an English one, but for the world's data (names,
addresses) and what was typed. A page never answers 5xx, and a 4xx is a page in words.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_wtf import FlaskForm
from marshmallow import Schema
from marshmallow import fields as schema_fields
from werkzeug.routing import Rule
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    DecimalField,
    FileField,
    FloatField,
    HiddenField,
    IntegerField,
    SelectFieldBase,
)

from tests.support.agency import Agency
from tests.support.debtors import CASES
from tests.support.floor import Floor
from tests.support.pages import HTTPS, csrf_token, page_session
from tests.support.staff import STAFF
from tests.support.words import Page, chinese_words, english_words, read_page

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
#: Who opens the pages: a person of every role of policies/roles.toml.
ROLES = (
    "gm",
    "head.a",
    "col.a1",
    "intern.a",
    "sup.a1",
    "padmin",
    "auditor",
    "trainer",
    "office",
    "hr",
    "it",
    "desk",
)
#: Routes that are no page to read: signing out ends the crawl's session; the toggle and the
#: icon answer no words.
NOT_PAGES = {"pages.logout", "console.choose", "console.favicon", "static"}
UNKNOWN = "no-such-0"
UNKNOWN_NUMBER = "999999"
LONG = "x" * 5000
#: What each kind of field is given when malformed.
MALFORMED = {
    "number": "abc",
    "date": "2026-02-30",
    "datetime-local": "2026-13-45T25:61",
    "month": "2026-13",
    "text": LONG,
    "textarea": LONG,
    "select": UNKNOWN,
    "checkbox": UNKNOWN,
    "radio": UNKNOWN,
    "hidden": UNKNOWN,
}
LONG_RUN = re.compile(r"x{8,}")
#: None shown as it is, in a cell, a code span or a field's value (`<code>None</code>`).
PYTHON_NONE = re.compile(r'>\s*None\s*<|="None"')
#: The world's data, in Chinese whatever the page's language: names, addresses, titles.
DATA = tuple(
    {p.name for p in STAFF}
    | {p.title for p in STAFF}
    | {value for case in CASES for value in case.row().values()}
)
#: What was typed into the forms, and the world's data in Latin letters (departments,
#: project groups): shown back, never translated.
TYPED = (
    *(v for v in MALFORMED.values() if v != LONG),
    *{p.department for p in STAFF},
    *{p.project_group for p in STAFF if p.project_group},
)


@dataclass(frozen=True)
class Finding:
    who: str
    method: str
    url: str
    status: int
    words: tuple[str, ...]

    def __str__(self) -> str:
        return f"{self.who} {self.method} {self.url[:120]} → {self.status}: {list(self.words)}"


@dataclass
class Crawl:
    """One role's crawl of the console in one language."""

    app: Flask
    client: FlaskClient
    who: str
    language: str
    findings: list[Finding] = field(default_factory=list)
    seen: set[str] = field(default_factory=set)
    token: str = ""
    status: int = 0  # the last answer's
    visited: list[tuple[str, str, int]] = field(default_factory=list)

    def sign_in(self) -> None:
        page_session(Agency(self.app, self.client), self.who)
        self.client.set_cookie("govern_lang", self.language, domain="localhost")

    def visit(self, method: str, url: str, data: dict[str, str] | None = None) -> Page | None:
        """Ask, follow one redirect, check what is shown; the page read, if any."""
        headers = {**BROWSER, "Referer": f"{HTTPS}/"}  # Referrer-Policy: same-origin
        response = self.client.open(url, method=method, base_url=HTTPS, headers=headers, data=data)
        status = response.status_code
        if status in (301, 302, 303) and method == "POST":
            location = response.headers["Location"]
            if location.startswith("/login"):
                self.sign_in()  # the submission ended the session (e.g. revoked): go on
            response = self.client.get(location, base_url=HTTPS, headers=BROWSER)
            status = response.status_code
        self.status = status
        self.visited.append((method, url, status))
        if status >= 500:
            self._found(method, url, status, ("a server error",))
        if response.mimetype != "text/html":
            if status >= 400:
                self._found(method, url, status, (f"a {response.mimetype} answer, not words",))
            return None
        html = response.get_data(as_text=True)
        if PYTHON_NONE.search(html):  # an empty value shown as the program's word for it
            self._found(method, url, status, ("None",))
        page = read_page(html)
        words = [w for text in page.texts for w in self.foreign(text)]
        if words:
            self._found(method, url, status, tuple(dict.fromkeys(words)))
        if status >= 400 and not page.alerts:
            self._found(method, url, status, ("a refusal that says nothing of what was wrong",))
        if not self.token and 'name="csrf_token"' in response.get_data(as_text=True):
            self.token = csrf_token(response.get_data(as_text=True))
        return page

    def foreign(self, text: str) -> list[str]:
        """The words of `text` in the other language."""
        if self.language == "zh":
            return english_words(LONG_RUN.sub(" ", text), TYPED)
        return chinese_words(text, DATA)

    def _found(self, method: str, url: str, status: int, words: tuple[str, ...]) -> None:
        self.findings.append(Finding(self.who, method, url, status, words))


# ---- what to ask for ---------------------------------------------------------------------------


def page_rules(app: Flask) -> list[Rule]:
    """The routes of the console's pages (not the API's, not static files)."""
    return [
        rule
        for rule in app.url_map.iter_rules()
        if not rule.rule.startswith("/api/") and rule.endpoint not in NOT_PAGES
    ]


def addresses(rule: Rule, values: dict[str, list[str]]) -> list[str]:
    """The rule's address with the world's values of its arguments, and with unknown ones."""
    if not rule.arguments:
        return [rule.rule]
    found = []
    for choice in ("known", "unknown"):
        path = rule.rule
        for name in rule.arguments:
            converter = rule._converters[name]
            number = type(converter).__name__ == "IntegerConverter"
            unknown = UNKNOWN_NUMBER if number else UNKNOWN
            value = (values.get(name) or [unknown])[0] if choice == "known" else unknown
            path = re.sub(rf"<(?:[^:<>]+:)?{name}>", value, path)
        found.append(path)
    return list(dict.fromkeys(found))


def declared_fields(app: Flask, endpoint: str) -> dict[str, str]:
    """name → kind of what the endpoint's module reads from a request: its forms' fields, its
    query schemas' fields and the arguments it reads by name."""
    module = sys.modules[app.view_functions[endpoint].__module__]
    found: dict[str, str] = {}
    for value in vars(module).values():
        if isinstance(value, type) and issubclass(value, FlaskForm) and value is not FlaskForm:
            found.update(_form_fields(value))
        elif isinstance(value, type) and issubclass(value, Schema) and value is not Schema:
            found.update(_schema_fields(value))
    source = Path(module.__file__ or "").read_text()
    for name in re.findall(r"request\.args\.get\(\s*\"(\w+)\"", source):
        found.setdefault(name, "number")
    return found


def _form_fields(form: type[FlaskForm]) -> Iterator[tuple[str, str]]:
    kinds = (
        ((IntegerField, DecimalField, FloatField), "number"),
        ((DateTimeLocalField,), "datetime-local"),
        ((DateField,), "date"),
        ((SelectFieldBase,), "select"),
        ((BooleanField,), "checkbox"),
        ((HiddenField,), "hidden"),
        ((FileField,), "file"),
    )
    for name, unbound in vars(form).items():
        kind_of = getattr(unbound, "field_class", None)
        if kind_of is None or name == "csrf_token":
            continue
        kind = next((k for classes, k in kinds if issubclass(kind_of, classes)), "text")
        yield name, kind


def _schema_fields(schema: type[Schema]) -> Iterator[tuple[str, str]]:
    for name, declared in schema._declared_fields.items():
        if declared.dump_only:
            continue
        kind = "text"
        if isinstance(declared, schema_fields.Number):
            kind = "number"
        elif isinstance(declared, schema_fields.DateTime):
            kind = "datetime-local"
        elif isinstance(declared, schema_fields.Date):
            kind = "date"
        yield declared.data_key or name, kind


def filled(fields: dict[str, str], how: str) -> dict[str, str]:
    """The fields (name → kind) empty, or each malformed as its kind is."""
    return {
        name: ("" if how == "empty" else MALFORMED.get(kind, "abc"))
        for name, kind in fields.items()
        if kind != "file"
    }


def rendered_fields(page: Page, action: str) -> dict[str, str] | None:
    """name → kind of the fields of the page's form that posts to `action`, if it has one."""
    for form in page.forms:
        if form.action.split("?")[0] == action:
            return {name: kind for name, (kind, _) in form.fields.items() if name != "csrf_token"}
    return None


# ---- the crawl ---------------------------------------------------------------------------------


def crawl(app: Flask, who: str, language: str, values: dict[str, list[str]]) -> list[Finding]:
    """What `who` is shown in `language` that is not in it, across the console."""
    visit = Crawl(app, app.test_client(), who, language)
    visit.sign_in()
    rules = page_rules(app)
    shown: list[Page] = []
    refused: set[str] = set()
    for rule in (r for r in rules if "GET" in (r.methods or ())):
        for url in addresses(rule, values):
            page = visit.visit("GET", url)
            shown += [page] if page else []
            if visit.status == 403:
                refused.add(rule.endpoint)
    _follow_links(visit, shown)
    for rule in rules:
        if rule.endpoint in refused:
            continue
        _spoil(visit, app, rule, values, shown)
    return visit.findings


def _follow_links(visit: Crawl, shown: list[Page]) -> None:
    """The pages the crawled pages link to, once per address shape."""
    shapes: set[str] = set()
    for page in list(shown):
        for link in page.links:
            shape = re.sub(r"[0-9a-f]{6,}|\d+", "N", link)
            if shape in shapes or link.startswith(("/language/", "/static/", "/audit/verify")):
                continue
            shapes.add(shape)
            found = visit.visit("GET", link)
            shown += [found] if found else []


def _spoil(
    visit: Crawl, app: Flask, rule: Rule, values: dict[str, list[str]], shown: list[Page]
) -> None:
    """Submit the rule empty and malformed: a GET's query, a POST's form."""
    declared = declared_fields(app, rule.endpoint)
    for url in addresses(rule, values):
        if "POST" in (rule.methods or ()):
            fields = next(
                (f for p in shown if (f := rendered_fields(p, url)) is not None), declared
            )
            for how in ("empty", "malformed"):
                data = {"csrf_token": visit.token, **filled(fields, how)}
                visit.visit("POST", url, data)
        if "GET" in (rule.methods or ()):
            empty = "&".join(f"{name}=" for name in declared)
            visit.visit("GET", f"{url}?{empty}")
            for name, kind in declared.items():  # one at a time: each says what was wrong
                visit.visit("GET", f"{url}?{name}={MALFORMED.get(kind, 'abc')[:300]}")


def world_values(floor: Floor) -> dict[str, list[str]]:
    """Realistic arguments of the page routes, by name."""
    return {
        "account_id": [floor.ids["col.a1"]],
        "debtor_id": [floor.debtors["C-001"]],
        "name": ["confidentiality"],
        "investigation_id": [floor.investigation(["C-001"], ["phones"])],
    }


@pytest.fixture
def world(floor: Floor) -> dict[str, list[str]]:
    for who in ("office", "desk"):
        floor.ids[who] = floor.agency.issue(who, "gm")
    return world_values(floor)


@pytest.mark.parametrize("language", ["zh", "en"])
def test_every_page_and_form_speaks_only_the_language_chosen_to_every_role(
    floor: Floor, world: dict[str, list[str]], language: str
) -> None:
    findings = [f for who in ROLES for f in crawl(floor.agency.app, who, language, world)]
    assert not findings, "\n".join(["shown in the other language:", *map(str, findings)])
