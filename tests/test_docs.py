"""docs/rules.md stays true: the tests it lists exist and prove their rule, every test that names
a rule is listed, and every rule ID the tests and the documentation use has an entry."""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RULES = REPO / "docs" / "rules.md"
RULE_ID = re.compile(r"\bR-[A-Z]{3}-\d+\b")
IN_A_NAME = re.compile(r"r_([a-z]{3})_(\d+)")
HEADING = re.compile(r"^### (R-[A-Z]{3}-\d+)\b", re.MULTILINE)
REFRESH = "refresh the lists: .venv/bin/python scripts/list_rule_tests.py"
LISTED = re.compile(r"`(tests/[\w/]+\.py)::(\w+)`")


def proving_tests() -> dict[str, set[str]]:
    """Rule ID → `tests/…py::name` of every test naming it in its name or docstring."""
    found: dict[str, set[str]] = defaultdict(set)
    for path in sorted((REPO / "tests").rglob("test_*.py")):
        where = path.relative_to(REPO).as_posix()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith(
                "test"
            ):
                named = {f"R-{a.upper()}-{n}" for a, n in IN_A_NAME.findall(node.name)}
                named |= set(RULE_ID.findall(ast.get_docstring(node) or ""))
                for rule in named:
                    found[rule].add(f"{where}::{node.name}")
    return found


def listed_tests() -> dict[str, set[str]]:
    """Rule ID → the tests docs/rules.md lists under its heading."""
    text = RULES.read_text(encoding="utf-8")
    listed: dict[str, set[str]] = {}
    headings = list(HEADING.finditer(text))
    for heading, following in zip(headings, [*headings[1:], None], strict=True):
        section = text[heading.end() : following.start() if following else len(text)]
        listed[heading.group(1)] = {f"{path}::{name}" for path, name in LISTED.findall(section)}
    return listed


def cited(paths: list[Path]) -> dict[str, set[str]]:
    """Rule ID → the files (relative to the repository) that cite it."""
    found: dict[str, set[str]] = defaultdict(set)
    for path in paths:
        for rule in RULE_ID.findall(path.read_text(encoding="utf-8")):
            found[rule].add(path.relative_to(REPO).as_posix())
    return found


def test_every_test_docs_rules_md_lists_exists_and_names_its_rule() -> None:
    proving = proving_tests()
    wrong = [
        f"  under {rule}: remove `{test}` (no such test, or it does not name {rule})"
        for rule, tests in sorted(listed_tests().items())
        for test in sorted(tests - proving.get(rule, set()))
    ]
    assert not wrong, (
        f"docs/rules.md lists tests that do not prove their rule ({REFRESH}):\n" + "\n".join(wrong)
    )


def test_every_test_that_names_a_rule_is_listed_in_docs_rules_md() -> None:
    listed = listed_tests()
    missing = [
        f"  under ### {rule}, in its Tests list, add:  - `{test}`"
        for rule, tests in sorted(proving_tests().items())
        if rule in listed
        for test in sorted(tests - listed[rule])
    ]
    assert not missing, f"docs/rules.md does not list these tests ({REFRESH}):\n" + "\n".join(
        missing
    )


def test_every_rule_id_used_in_tests_and_docs_has_an_entry_in_docs_rules_md() -> None:
    files = [*(REPO / "tests").rglob("*.py"), REPO / "README.md", *(REPO / "docs").glob("*.md")]
    listed = listed_tests()
    unknown = [
        f"  add a `### {rule} …` section to docs/rules.md (cited in {', '.join(sorted(where))})"
        for rule, where in sorted(cited(files).items())
        if rule not in listed
    ]
    assert not unknown, "rule IDs without an entry in docs/rules.md:\n" + "\n".join(unknown)


def test_the_documentation_links_govern_s_own_rules_page() -> None:
    """Nothing points outside the repository for the rules any more."""
    pages = [REPO / "README.md", *(REPO / "docs").glob("*.md")]
    outside = [p.name for p in pages if "shared/RULES.md" in p.read_text(encoding="utf-8")]
    assert not outside, f"replace ../shared/RULES.md with docs/rules.md in: {', '.join(outside)}"
