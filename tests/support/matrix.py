"""The security matrix (tests/security_matrix.toml): every route × every principal, what each
is answered, and the section of docs/security.md written from it.

Plain Python, no app: `scripts/security_matrix.py` writes the documentation from it, and
`tests/test_security_matrix.py` holds the service, the policy files and the documentation to it.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
TABLE = REPO / "tests" / "security_matrix.toml"
SECURITY_MD = REPO / "docs" / "security.md"
BEGIN = (
    "<!-- security-matrix: written by scripts/security_matrix.py"
    " from tests/security_matrix.toml -->"
)
END = "<!-- end of security-matrix -->"
EVERY_STAFF = "*"
PUBLIC, TELEPHONY = "public", "telephony"
API, PAGES = "api", "pages"

#: What each kind of answer is, as the documentation shows it.
ALLOWED, WITHHELD, UNAUTHENTICATED, FORBIDDEN, SIGN_IN = "✓", "◐", "401", "403", "→"
#: A 403 decided past the role × action table (which account, which debtor, ...).
FINER = "403†"
#: The sign-in page a page sends someone whose session cannot act, by why (its `reason`).
SIGN_IN_REASONS = {
    "anonymous": frozenset({""}),
    # the first request forgets an expired session; later ones find none
    "expired": frozenset({"session.expired", "session.invalid"}),
    "revoked": frozenset({"session.invalid"}),  # revoking ended its sessions
    "departed": frozenset({"account.departed"}),
}
#: The API's refusal of each such principal, by its code.
API_REFUSALS = {
    "anonymous": (UNAUTHENTICATED, frozenset({"session.missing"})),
    "expired": (UNAUTHENTICATED, frozenset({"session.expired", "session.invalid"})),
    "revoked": (UNAUTHENTICATED, frozenset({"session.invalid"})),
    # the session still names someone, who may not act: refused, not unknown
    "departed": (FORBIDDEN, frozenset({"account.departed"})),
}


@dataclass(frozen=True)
class Principal:
    """Who asks: a person of one role, or someone whose session cannot act (`state`)."""

    name: str
    column: str
    label: str
    who: str | None  # the username in the world (tests/support/matrix_world.py)
    role: str | None
    state: str | None  # anonymous, expired, revoked, departed; None: signed in and able

    @property
    def staff(self) -> bool:
        return self.state is None


@dataclass(frozen=True)
class Route:
    """One route of the table, and who passes its door."""

    surface: str  # api (the OpenAPI document) or pages (every other route of the URL map)
    method: str
    path: str  # the document's template ({name}) or the rule without converters (<name>)
    action: str  # resource.action of actions.toml, public, or telephony
    allow: frozenset[str]
    withheld: dict[str, frozenset[str]]  # principal → why fields are withheld (`family`)
    refused: dict[str, str]  # principal → the code of a refusal past the role × action table
    objects: dict[str, str]  # parameter → world object, over the table's [parameters]
    because: str
    fresh: bool  # it ends the session it is asked in: asked in a session of its own

    @property
    def key(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def id(self) -> str:
        return f"{self.surface}:{self.key}"

    def allows(self, principal: Principal) -> bool:
        return principal.staff and (EVERY_STAFF in self.allow or principal.name in self.allow)


@dataclass(frozen=True)
class Cell:
    """What a principal is answered on a route: its kind, the codes that may say why, and why
    fields are withheld."""

    kind: str
    codes: frozenset[str] = frozenset()
    withheld: frozenset[str] = frozenset()


#: Why a debtor's field is withheld, by the start of its reason code: the role's level in the
#: access policy, the viewer's training (R-ACS-1), a third party's amount owed (R-CON-3).
REASONS = {"role.": "role", "training.": "training", "third_party.": "third_party"}


def family(reason: str) -> str:
    """What a withheld field's reason code is about (`REASONS`); an unknown code is its own."""
    return next((f for start, f in REASONS.items() if reason.startswith(start)), reason)


@dataclass(frozen=True)
class Matrix:
    principals: dict[str, Principal]
    routes: list[Route]
    parameters: dict[str, str]  # parameter or query name → world object

    def route(self, surface: str, key: str) -> Route:
        return next(r for r in self.routes if r.surface == surface and r.key == key)

    def expected(self, route: Route, principal: Principal) -> Cell:
        """The cell the table gives this principal on this route."""
        if route.action == PUBLIC:
            return Cell(ALLOWED)
        if route.action == TELEPHONY:  # the telephone system's signature, never a session
            anonymous = principal.state == "anonymous"
            code = "telephony.signature_missing" if anonymous else "telephony.session_refused"
            return Cell(UNAUTHENTICATED, frozenset({code}))
        if principal.state is not None:
            if route.surface == PAGES:
                return Cell(SIGN_IN, SIGN_IN_REASONS[principal.state])
            return Cell(*API_REFUSALS[principal.state])
        if route.allows(principal):
            why = route.withheld.get(principal.name, frozenset())
            return Cell(WITHHELD, withheld=why) if why else Cell(ALLOWED)
        code = route.refused.get(principal.name)
        return Cell(FINER, frozenset({code})) if code else Cell(FORBIDDEN, ROLE_DENIED)

    def in_order(self) -> list[Route]:
        """The routes as the test asks them: reads, then changes, then those that end the
        session (a change then finds the world as every read found it)."""
        return sorted(self.routes, key=lambda r: (r.fresh, r.method not in ("GET",)))


ROLE_DENIED = frozenset({"role.action_denied"})


def load(path: Path = TABLE) -> Matrix:
    """The matrix in `path`."""
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    principals = {
        name: Principal(
            name,
            given["column"],
            given["label"],
            given.get("who"),
            given.get("role"),
            given.get("state"),
        )
        for name, given in raw["principals"].items()
    }
    routes = [
        _route(surface, key, given)
        for surface in (API, PAGES)
        for key, given in raw[surface].items()
    ]
    return Matrix(principals, routes, dict(raw["parameters"]))


def _route(surface: str, key: str, given: dict[str, Any]) -> Route:
    method, path = key.split(" ", 1)
    refused = {who: code for code, whom in given.get("refused", {}).items() for who in whom}
    withheld: dict[str, set[str]] = {}
    for why, whom in given.get("withheld", {}).items():
        for who in whom:
            withheld.setdefault(who, set()).add(why)
    return Route(
        surface,
        method,
        path,
        given["action"],
        frozenset(given.get("allow", [])),
        {who: frozenset(why) for who, why in withheld.items()},
        refused,
        dict(given.get("objects", {})),
        " ".join(given.get("because", "").split()),
        bool(given.get("fresh", False)),
    )


# ---- the documentation ------------------------------------------------------------------------


def render(matrix: Matrix) -> str:
    """The section of docs/security.md, between its markers."""
    return "\n".join([BEGIN, *_legend(matrix), *_tables(matrix), END])


def _legend(matrix: Matrix) -> Iterator[str]:
    yield "| column | who | test user | role |"
    yield "| --- | --- | --- | --- |"
    for p in matrix.principals.values():
        role = f"`{p.role}`" if p.role else "—"
        who = f"`{p.who}`" if p.who else "—"
        yield f"| {p.column} | {p.label} | {who} | {role} |"
    yield ""


def _tables(matrix: Matrix) -> Iterator[str]:
    titles = {
        API: "#### The API (every operation of the OpenAPI document)",
        PAGES: "#### The console's pages (every other route of the app)",
    }
    columns = [p.column for p in matrix.principals.values()]
    for surface in (API, PAGES):
        yield titles[surface]
        yield ""
        yield "| route | action | " + " | ".join(columns) + " | who exactly |"
        yield "| --- | --- | " + " | ".join("---" for _ in columns) + " | --- |"
        for route in (r for r in matrix.routes if r.surface == surface):
            cells = [matrix.expected(route, p).kind for p in matrix.principals.values()]
            action = route.action if route.action in (PUBLIC, TELEPHONY) else f"`{route.action}`"
            why = _why(matrix, route)
            yield f"| `{route.key}` | {action} | " + " | ".join(cells) + f" | {why} |"
        yield ""


def _why(matrix: Matrix, route: Route) -> str:
    codes = sorted(set(route.refused.values()))
    refusals = f" ({', '.join(f'`{c}`' for c in codes)})" if codes else ""
    families = sorted({why for whys in route.withheld.values() for why in whys})
    withheld = "; ".join(
        f"{WORDS.get(why, why)}: "
        + ", ".join(
            p.column for p in matrix.principals.values() if why in route.withheld.get(p.name, ())
        )
        for why in families
    )
    withheld = f" Withheld {withheld}." if withheld else ""
    return (route.because + refusals + withheld).strip().replace("|", "\\|")


#: How the documentation says why fields are withheld.
WORDS = {
    "role": "by the role's level",
    "training": "for training not passed",
    "third_party": "a contact's amount owed, until they offer to pay",
}


def section_of(text: str) -> str:
    """The generated section of a document's text (empty when it has none)."""
    if BEGIN not in text or END not in text:
        return ""
    return text[text.index(BEGIN) : text.index(END) + len(END)]


def rewritten(text: str, matrix: Matrix) -> str:
    """`text` with its generated section replaced by the matrix as it is now."""
    old = section_of(text)
    if not old:
        raise ValueError(f"docs/security.md has no {BEGIN} … {END} section to write")
    return text.replace(old, render(matrix))
