"""The precomputed field table decides exactly as casbin's enforce() on the same policy."""

from __future__ import annotations

from pathlib import Path

import casbin
from casbin.persist import load_policy_line
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from govern.access.table import LEVELS, build_table, parse_lines

MODEL = Path(__file__).resolve().parents[2] / "policies" / "access" / "model.conf"
ROLES = ["collector", "supervisor", "head", "auditor", "x"]
DOMAINS = ["pg-1", "pg-2", "pg-3"]
FIELDS = ["name", "phones", "address"]


def policy_lines(roles: list[str], fields: list[str]) -> st.SearchStrategy[list[tuple]]:
    """Random casbin policies: grants (p) of a level of a field in a project group (or every
    group) to a role, and links (g) giving one role another's grants in a group."""
    grant = st.tuples(
        st.just("p"),
        st.sampled_from(roles),
        st.sampled_from([*DOMAINS, "*"]),
        st.sampled_from(fields),
        st.sampled_from(LEVELS),
    )
    link = st.tuples(
        st.just("g"),
        st.sampled_from(roles),
        st.sampled_from(roles),
        st.sampled_from([*DOMAINS, "*"]),
    )
    return st.lists(st.one_of(grant, link), max_size=25)


policies = policy_lines(ROLES, FIELDS)
requests = st.lists(
    st.tuples(
        st.frozensets(st.sampled_from([*ROLES, "nobody"]), min_size=1, max_size=3),
        st.sampled_from([*DOMAINS, "pg-new"]),
        st.sampled_from(FIELDS),
    ),
    min_size=1,
    max_size=10,
)


def enforcer_for(lines: list[tuple[str, ...]]) -> casbin.Enforcer:
    enforcer = casbin.Enforcer(str(MODEL))
    for line in lines:
        load_policy_line(", ".join(line), enforcer.get_model())
    enforcer.build_role_links()
    return enforcer


def enforced_level(enforcer: casbin.Enforcer, role: str, domain: str, field: str) -> str | None:
    allowed = [level for level in LEVELS if enforcer.enforce(role, domain, field, level)]
    return allowed[-1] if allowed else None


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(policies, requests)
def test_r_acs_2_the_table_and_casbin_agree_on_random_policies(
    lines: list[tuple[str, ...]], asked: list[tuple[frozenset[str], str, str]]
) -> None:
    table = build_table(parse_lines(lines))
    enforcer = enforcer_for(lines)
    for roles, domain, field in asked:  # a person's roles: the most any of them gets
        expected = max(
            (enforced_level(enforcer, role, domain, field) for role in roles),
            key=lambda level: -1 if level is None else LEVELS.index(level),
        )
        assert table.level(roles, domain, field) == expected, (roles, domain, field)


def test_r_acs_2_the_default_policy_decides_as_casbin_does() -> None:
    policy = MODEL.parent / "policy.csv"
    rows = [
        tuple(v.strip() for v in line.split(","))
        for line in policy.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    table = build_table(parse_lines(rows))
    enforcer = enforcer_for(rows)
    roles = {row[1] for row in rows}
    fields = {row[3] for row in rows if row[0] == "p"}
    for role in roles:
        for field in fields:
            assert table.level([role], "pg-a1", field) == enforced_level(
                enforcer, role, "pg-a1", field
            )
    assert table.level(["supervisor"], "pg-a1", "phones") == "on_purpose"  # inherited
    assert table.level(["general_manager"], "pg-a1", "phones") is None
