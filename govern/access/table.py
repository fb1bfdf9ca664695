"""The field table: (role, domain) → field → the most that role may get, precomputed from the
casbin policy lines exactly as `policies/access/model.conf` would decide them.

Casbin authors and checks the policy; deciding a request is then a few dictionary lookups
instead of one `enforce()` per field (tests/access/test_table.py checks that both agree on
random policies). Pure Python: no casbin, no SQL.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

#: Levels from least to most; a policy line's level is the most its role may get.
LEVELS = ("masked", "on_purpose", "full")
EVERY_DOMAIN = "*"
#: Casbin's default role manager follows at most this many role links.
MAX_HIERARCHY = 10


@dataclass(frozen=True)
class PolicyLines:
    grants: list[tuple[str, str, str, str]] = field(
        default_factory=list
    )  # p: role, dom, field, level
    links: list[tuple[str, str, str]] = field(default_factory=list)  # g: role, inherits, dom


def parse_lines(rows: Iterable[Sequence[str | None]]) -> PolicyLines:
    """Policy lines as stored (ptype, v0, v1, …). Raises ValueError naming a malformed line."""
    lines = PolicyLines()
    for row in rows:
        ptype, *values = [v.strip() for v in row if v is not None]
        if ptype == "p" and len(values) == 4 and values[3] in LEVELS:
            lines.grants.append((values[0], values[1], values[2], values[3]))
        elif ptype == "g" and len(values) == 3:
            lines.links.append((values[0], values[1], values[2]))
        else:
            raise ValueError(f"not a policy line: {', '.join([ptype, *values])}")
    return lines


@dataclass(frozen=True)
class FieldTable:
    """The most each role may get of each field, per domain; `default` serves domains that no
    policy line names. `decided` is where the door keeps the decisions it made from this
    table (govern/access/door.py): they live and go with it, the policy version's."""

    by_domain: dict[tuple[str, str], dict[str, str]]
    default: dict[str, dict[str, str]]
    decided: dict = field(default_factory=dict, compare=False, repr=False)

    def level(self, roles: Iterable[str], domain: str, field: str) -> str | None:
        """The most any of `roles` may get of `field` in `domain`, or None."""
        best = -1
        for role in roles:
            levels = self.by_domain.get((role, domain)) or self.default.get(role, {})
            if field in levels:
                best = max(best, LEVELS.index(levels[field]))
        return LEVELS[best] if best >= 0 else None


def build_table(lines: PolicyLines) -> FieldTable:
    """Precompute the table from the lines, the way the casbin model matches them."""
    grants: dict[tuple[str, str], dict[str, int]] = defaultdict(dict)
    for role, domain, name, level in lines.grants:
        best = grants[(role, domain)].get(name, -1)
        grants[(role, domain)][name] = max(best, LEVELS.index(level))
    links: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for role, parent, domain in lines.links:
        links[domain][role].append(parent)
    roles = {r for r, _ in grants} | {r for r, _, _ in lines.links} | {p for _, p, _ in lines.links}
    domains = ({d for _, d in grants} | set(links)) - {EVERY_DOMAIN}
    every = _inherited(links.get(EVERY_DOMAIN, {}), roles)
    alone = _inherited({}, roles)  # a domain without role links of its own
    by_domain = {}
    for domain in domains:
        inherited = _inherited(links[domain], roles) if domain in links else alone
        for role in roles:
            by_domain[(role, domain)] = _levels(role, domain, grants, inherited, every)
    default = {role: _levels(role, None, grants, alone, every) for role in roles}
    return FieldTable(by_domain, default)


def _inherited(links: dict[str, list[str]], roles: set[str]) -> dict[str, set[str]]:
    """Each role with the roles it reaches through `links` (itself included), casbin's depth."""
    reached = {}
    for role in roles:
        seen, frontier = {role}, [role]
        for _ in range(MAX_HIERARCHY):
            frontier = [p for r in frontier for p in links.get(r, ()) if p not in seen]
            if not frontier:
                break
            seen.update(frontier)
        reached[role] = seen
    return reached


def _levels(
    role: str,
    domain: str | None,
    grants: dict[tuple[str, str], dict[str, int]],
    in_domain: dict[str, set[str]],
    everywhere: dict[str, set[str]],
) -> dict[str, str]:
    best: dict[str, int] = {}
    for subject in in_domain[role] | everywhere[role]:
        for where in (EVERY_DOMAIN, domain):
            for name, level in grants.get((subject, where), {}).items() if where else ():
                best[name] = max(best.get(name, -1), level)
    return {name: LEVELS[level] for name, level in best.items()}
