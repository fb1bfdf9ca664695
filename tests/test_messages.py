"""Every code Govern answers with has a message in English and Chinese (issue 15), and the API's
error `message` follows the language the client asks for, its code unchanged.

The codes are read from the source (ast), so a new refusal without a message fails here:
- a GovernError (or subclass) made, or `error_body` called, with a literal code, a module
  constant, or an f-string whose pattern is a family of `messages.FAMILIES`;
- a subclass's own code (`super().__init__("calendar.year_unknown", ...)`);
- a reason code a field or call is withheld for: the `reason` of a dataclass (FieldDecision,
  Verdict), a value put in a `reason` / `withheld` / `refusal_code`, or what a function
  documented to return "a reason code" returns;
- a code a function is given (`def refusal(hits, code)`, `f"directory.duplicate_{what}"`):
  what its callers pass, or the parameter's default;
- any other code made at run time must be named in DYNAMIC below with the codes it makes.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from flask.testing import FlaskClient

from govern.accounts.models import ACTIVE, STATES
from govern.console import TRANSLATIONS
from govern.messages import FAMILIES, MESSAGES, WORDED_WHERE_RAISED, message_of
from tests.support.agency import Agency, bearer

REPO = Path(__file__).resolve().parents[1]
PO = TRANSLATIONS / "zh" / "LC_MESSAGES" / "messages.po"
CODE = re.compile(r"^[a-z_*]+(\.[a-z_*]+)+$")
#: A place that raises again a code made (and read here) elsewhere makes none of its own.
PASSED_ON: frozenset[str] = frozenset()

#: Raises whose code is neither written where they are nor given by the function's callers:
#: (file, function) → the codes they make.
DYNAMIC: dict[tuple[str, str], frozenset[str]] = {
    ("govern/access/door.py", "reach"): PASSED_ON,  # access/rules.py `reach`
    ("govern/access/door.py", "_entrusted"): PASSED_ON,  # access/rules.py `check_entrustment`
    ("govern/access/service.py", "viewer_of"): frozenset(
        f"account.{state}" for state in STATES if state != ACTIVE
    ),
    ("govern/accounts/service.py", "_refusing"): PASSED_ON,
    ("govern/contact/guard.py", "_door"): PASSED_ON,  # a field decision's reason
    ("govern/investigations/service.py", "opening"): PASSED_ON,  # investigations/rules.py
    ("govern/investigations/service.py", "rank_in_time"): PASSED_ON,  # limits.py
    ("govern/web.py", "_governed_error"): PASSED_ON,
    ("govern/web.py", "_refused"): PASSED_ON,  # what _governed_error and a database outage pass
    ("govern/web.py", "_http_answer"): frozenset({"csrf.invalid", "http.*"}),  # a page's
    ("govern/web.py", "_http_error"): frozenset({"http.*"}),  # the API's
    ("govern/training/people.py", "check_superior"): frozenset(
        f"{what}.{why}"
        for what in ("leave", "feedback")
        for why in ("self_approval", "not_department_head", "not_general_manager")
    ),
}


class Codes(ast.NodeVisitor):
    """The codes one module makes, and the places whose code it cannot read."""

    def __init__(self, path: str, errors: set[str], reasons: dict[str, int]) -> None:
        self.path, self.errors, self.reasons = path, errors, reasons
        self.constants: dict[str, str] = {}
        self.found: set[str] = set()
        self.unread: set[tuple[str, str]] = set()
        self.function = "<module>"
        self.parameters: dict[str, tuple[int | None, ast.expr | None]] = {}
        self.given: list[Given] = []
        self.calls: list[tuple[str, ast.Call, str]] = []
        self.in_error_class = False

    def visit_Module(self, node: ast.Module) -> None:
        for statement in node.body:
            if isinstance(statement, ast.Assign) and isinstance(statement.value, ast.Constant):
                for target in statement.targets:
                    if isinstance(target, ast.Name) and isinstance(statement.value.value, str):
                        self.constants[target.id] = statement.value.value
        self.generic_visit(node)

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        outer, self.in_error_class = self.in_error_class, node.name in self.errors
        self.generic_visit(node)
        self.in_error_class = outer

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        outer, self.function = self.function, node.name
        outer_parameters, self.parameters = self.parameters, _parameters(node.args)
        if "reason code" in (ast.get_docstring(node) or ""):
            for inner in ast.walk(node):
                if isinstance(inner, ast.Return) and inner.value is not None:
                    self._codes(inner.value)
        self.generic_visit(node)
        self.function, self.parameters = outer, outer_parameters

    def visit_Call(self, node: ast.Call) -> None:
        name = _called(node.func)
        self.calls.append((name or "", node, self.function))
        if (name in self.errors and name not in OWN_CODE) or name == "error_body":
            self._code(node.args[0] if node.args else None)
        elif name == "__init__" and self.in_error_class and node.args:
            self._codes(node.args[0])  # GovernError's own passes on what it is given
        elif name in self.reasons:  # a reason passed on is read where it is made
            place = self.reasons[name]
            given = [k.value for k in node.keywords if k.arg == "reason"]
            for value in [*given, *node.args[place : place + 1]]:
                self._codes(value)
        self.generic_visit(node)

    def visit_Assign(self, node: ast.Assign) -> None:
        if any(_holds_a_reason(target) for target in node.targets):
            self._codes(node.value)
        self.generic_visit(node)

    def _code(self, node: ast.expr | None) -> None:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            self.found.add(node.value)
        elif isinstance(node, ast.Name) and node.id in self.constants:
            self.found.add(self.constants[node.id])
        elif isinstance(node, ast.JoinedStr) and _pattern(node) in FAMILIES:
            self.found.add(_pattern(node))
        elif given := self._given(node):
            self.given.append(given)
        elif not (isinstance(node, ast.Constant) and node.value is None):
            self.unread.add((self.path, self.function))

    def _given(self, node: ast.expr | None) -> Given | None:
        """The code when it is (made of) one of the function's parameters."""
        parts = node.values if isinstance(node, ast.JoinedStr) else [node]
        named = [p.value for p in parts if isinstance(p, ast.FormattedValue)]
        named += [p for p in parts if isinstance(p, ast.Name)]
        if len(named) != 1 or not isinstance(named[0], ast.Name):
            return None
        if named[0].id not in self.parameters:
            return None
        template = "".join(p.value if isinstance(p, ast.Constant) else "{}" for p in parts)
        place, default = self.parameters[named[0].id]
        return Given(self.path, self.function, named[0].id, place, default, template)

    def value(self, node: ast.expr | None) -> str | None:
        """A text written here: a literal or one of the module's constants."""
        if isinstance(node, ast.Name):
            return self.constants.get(node.id)
        is_text = isinstance(node, ast.Constant) and isinstance(node.value, str)
        return node.value if is_text else None  # type: ignore[union-attr]

    def _codes(self, node: ast.expr) -> None:
        """Every code-like text in `node` (a value that may be one of several codes)."""
        for inner in ast.walk(node):
            if isinstance(inner, ast.Name) and inner.id in self.constants:
                inner = ast.Constant(self.constants[inner.id])
            text = _pattern(inner) if isinstance(inner, ast.JoinedStr) else None
            if isinstance(inner, ast.Constant) and isinstance(inner.value, str):
                text = inner.value
            if text and CODE.match(text):
                self.found.add(text)


@dataclass(frozen=True)
class Given:
    """A code a function is given: `template` with its parameter `name` (at `place`)."""

    path: str
    function: str
    name: str
    place: int | None  # None: keyword only
    default: ast.expr | None
    template: str

    def argument(self, call: ast.Call) -> ast.expr | None:
        named = [k.value for k in call.keywords if k.arg == self.name]
        if named:
            return named[0]
        if self.place is not None and self.place < len(call.args):
            return call.args[self.place]
        return self.default


def _parameters(arguments: ast.arguments) -> dict[str, tuple[int | None, ast.expr | None]]:
    """Each parameter's place among the arguments a caller passes (no self) and default."""
    names = [a.arg for a in [*arguments.posonlyargs, *arguments.args] if a.arg not in SELF]
    defaults = [None] * (len(names) - len(arguments.defaults)) + list(arguments.defaults)
    found = {
        name: (place, default)
        for place, (name, default) in enumerate(zip(names, defaults, strict=True))
    }
    for a, default in zip(arguments.kwonlyargs, arguments.kw_defaults, strict=True):
        found[a.arg] = (None, default)  # keyword only
    return found


SELF = ("self", "cls")


#: Error classes that make their own code (read from their `super().__init__`).
OWN_CODE = {"YearNotCovered"}


def _called(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    return func.attr if isinstance(func, ast.Attribute) else None


def _pattern(node: ast.JoinedStr) -> str:
    return "".join(v.value if isinstance(v, ast.Constant) else "*" for v in node.values)


def _holds_a_reason(target: ast.expr) -> bool:
    named = target.value if isinstance(target, ast.Subscript) else target
    name = (_called(named) or "").lower()
    return name.endswith(("reason", "refusal_code")) or name == "withheld"


def error_classes(trees: dict[str, ast.Module]) -> set[str]:
    """GovernError and every class made from it, however deep."""
    bases = {
        node.name: {_called(base) for base in node.bases}
        for tree in trees.values()
        for node in ast.walk(tree)
        if isinstance(node, ast.ClassDef)
    }
    errors = {"GovernError"}
    while grown := {name for name, of in bases.items() if of & errors} - errors:
        errors |= grown
    return errors


def reason_carriers(trees: dict[str, ast.Module]) -> dict[str, int]:
    """Classes with a `reason` field (a dataclass's annotated attribute) → its position."""
    carriers = {}
    for tree in trees.values():
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                fields = [
                    s.target.id
                    for s in node.body
                    if isinstance(s, ast.AnnAssign) and isinstance(s.target, ast.Name)
                ]
                if "reason" in fields:
                    carriers[node.name] = fields.index("reason")
    return carriers


def scan(sources: dict[str, str]) -> tuple[set[str], set[tuple[str, str]]]:
    """The codes `sources` (path → text) make, and the places whose code is not readable."""
    trees = {path: ast.parse(text) for path, text in sources.items()}
    errors, reasons = error_classes(trees), reason_carriers(trees)
    modules = []
    for path, tree in trees.items():
        codes = Codes(path, errors, reasons)
        codes.visit(tree)
        modules.append(codes)
    found = {code for module in modules for code in module.found}
    unread = {place for module in modules for place in module.unread}
    for given in (given for module in modules for given in module.given):
        codes, places = _callers_give(given, modules)
        found, unread = found | codes, unread | places
    return found, unread


def _callers_give(given: Given, modules: list[Codes]) -> tuple[set[str], set[tuple[str, str]]]:
    """The codes `given`'s callers make it raise, and the callers (or, with none, the
    function) whose code cannot be read."""
    callers = [(m, call, f) for m in modules for name, call, f in m.calls if name == given.function]
    if not callers:
        return set(), {(given.path, given.function)}
    found, unread = set(), set()
    for module, call, function in callers:
        value = module.value(given.argument(call))
        if value is None:
            unread.add((module.path, function))
        else:
            found.add(given.template.format(value))
    return found, unread


def govern_sources() -> dict[str, str]:
    return {
        str(path.relative_to(REPO)): path.read_text()
        for path in sorted((REPO / "govern").rglob("*.py"))
        if path.name != "messages.py"
    }


def every_code(sources: dict[str, str]) -> set[str]:
    """Each code the sources make, the dynamic ones as DYNAMIC says. Fails naming a place
    that makes a code at run time and is not in DYNAMIC."""
    found, unread = scan(sources)
    assert unread <= set(DYNAMIC), f"name the codes these make in DYNAMIC: {unread - set(DYNAMIC)}"
    return found | {code for place in unread for code in DYNAMIC[place]}


def chinese() -> dict[str, str]:
    return {m.id: m.string for m in read_po(PO.open("rb")) if m.id and m.string and not m.fuzzy}


def without_a_message(codes: set[str]) -> list[str]:
    """The codes with no message, or whose message has no Chinese."""
    translated = chinese()
    messages = {code: message_of(code) for code in codes}
    return sorted(
        code
        for code, message in messages.items()
        if not any(fnmatchcase(code, worded) for worded in WORDED_WHERE_RAISED)
        and (message is None or str(message._args[0]) not in translated)
    )


def test_every_code_govern_answers_with_has_a_message_in_both_languages() -> None:
    codes = every_code(govern_sources())
    assert len(codes) > 150  # the scan reads the source, not nothing
    assert {"debtor.unknown", "contact.quiet_hours", "training.*.missing", "leave.too_late"} <= (
        codes
    )
    assert {"investigation.field_not_covered", "login.form_invalid", "http.*"} <= codes
    assert without_a_message(codes) == [], "add them to govern/messages.py, then their Chinese"


def test_a_new_refusal_without_a_message_fails_the_scan() -> None:
    sources = govern_sources()
    sources["govern/widgets/service.py"] = (
        "from govern.errors import NotFound\n\n"
        "def widget(db, key):\n"
        "    raise NotFound('widget.unknown', f'No widget {key}.')\n"
        "def withheld(field):\n"
        "    return FieldDecision(field, None, 'widget.hidden')\n"
    )
    assert without_a_message(every_code(sources)) == ["widget.hidden", "widget.unknown"]


def test_a_code_made_at_run_time_is_what_its_callers_give_or_must_be_named() -> None:
    sources = govern_sources()
    sources["govern/widgets/service.py"] = (
        "from govern.errors import Conflict\n\n"
        "def widget(state):\n"
        "    raise Conflict(f'widget.{state}', 'No.')\n"
        "def lose():\n"
        "    widget('lost')\n"
    )
    assert "widget.lost" in every_code(sources)
    sources["govern/widgets/rules.py"] = (
        "from govern.errors import Conflict\n\n"
        "def gadget(refused):\n"
        "    raise Conflict(refused.code, 'No.')\n"
    )
    with pytest.raises(AssertionError, match=r"widgets/rules\.py', 'gadget'"):
        every_code(sources)


def test_every_message_has_its_chinese() -> None:
    translated = chinese()
    texts = {str(m._args[0]) for m in [*MESSAGES.values(), *FAMILIES.values()]}
    assert sorted(text for text in texts if text not in translated) == []


def test_a_family_answers_for_its_codes_and_a_stranger_keeps_its_raised_message(
    agency: Agency,
) -> None:
    from govern.messages import message_for

    with agency.app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        assert (
            message_for("training.phone_basics.missing")
            == "查看此字段需要相应的培训资质，您尚未取得。"
        )
        assert (
            message_for("config.directory_url", "set it")
            == "此处的 Govern 配置有误，请告知 IT 部门。"
        )
        assert message_for("widget.unknown", "No widget 7.") == "No widget 7."
        both = "文本含有禁用语：“傻”（R-CON-1）。Forbidden language: ..."
        assert message_for("note.forbidden_language", both) == both  # names the terms


# ---- the API's error message follows the language asked for ---------------------------------


def refusal(client: FlaskClient, path: str, **headers: str) -> tuple[int, dict, str]:
    response = client.get(path, headers=headers)
    return response.status_code, response.get_json()["error"], response.headers["Content-Language"]


def test_an_api_refusal_is_in_english_unless_chinese_is_asked_first(client: FlaskClient) -> None:
    english = (
        401,
        {
            "code": "session.missing",
            "message": "Send your session token as 'Authorization: Bearer'.",
        },
        "en",
    )
    assert refusal(client, "/api/v1/accounts") == english
    assert refusal(client, "/api/v1/accounts", **{"Accept-Language": "en-US,zh;q=0.8"}) == english
    assert refusal(client, "/api/v1/accounts", **{"Accept-Language": "fr-FR"}) == english
    chinese_ = (401, {"code": "session.missing", "message": "请先登录。"}, "zh")
    assert refusal(client, "/api/v1/accounts", **{"Accept-Language": "zh-CN"}) == chinese_
    asked_first = {"Accept-Language": "fr-FR,zh-TW;q=0.8,en;q=0.5"}
    assert refusal(client, "/api/v1/accounts", **asked_first) == chinese_


def test_the_language_toggle_speaks_for_the_api_too(client: FlaskClient) -> None:
    client.set_cookie("govern_lang", "zh")
    status, error, language = refusal(client, "/api/v1/nothing-here", **{"Accept-Language": "en"})
    assert (status, error, language) == (
        404,
        {"code": "http.404", "message": "该地址不存在。"},
        "zh",
    )


def test_a_refusal_of_a_role_is_in_chinese_when_asked(agency: Agency) -> None:
    agency.with_accounts("col.a1")
    token = agency.login("col.a1")
    asked = bearer(token) | {"Accept-Language": "zh-CN,zh;q=0.9"}
    response = agency.client.get("/api/v1/accounts", headers=asked)
    assert response.status_code == 403
    assert response.get_json()["error"] == {
        "code": "role.action_denied",
        "message": "您的角色无权执行此操作。",
    }
    english = agency.client.get("/api/v1/accounts", headers=bearer(token)).get_json()["error"]
    assert english == {"code": "role.action_denied", "message": "Your role may not list accounts."}


def test_a_request_refused_for_its_fields_names_them_in_either_language(agency: Agency) -> None:
    agency.with_accounts()
    token = agency.login("gm")
    asked = bearer(token) | {"Accept-Language": "zh-CN"}
    response = agency.client.post("/api/v1/accounts", json={"nobody": 1}, headers=asked)
    error = response.get_json()["error"]
    assert (response.status_code, error["code"]) == (422, "request.invalid")
    assert error["message"] == "请求中有字段缺失或无效。" and error["fields"]
