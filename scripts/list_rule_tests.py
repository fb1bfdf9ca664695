"""Rewrite the Tests list under each rule of docs/rules.md from the tests that name the rule.

    .venv/bin/python scripts/list_rule_tests.py

tests/test_docs.py fails when the lists and the tests disagree; this brings the lists up to
date (the rule's words and where it is enforced stay yours to write).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.test_docs import HEADING, RULES, proving_tests

TESTS_LIST = re.compile(r"^- Tests:(?: none yet\.)?\n(?:  - `[^`]+`\n)*", re.MULTILINE)


def listed(tests: set[str]) -> str:
    if not tests:
        return "- Tests: none yet.\n"
    return "- Tests:\n" + "".join(f"  - `{test}`\n" for test in sorted(tests))


def main() -> None:
    text = RULES.read_text(encoding="utf-8")
    proving = proving_tests()
    headings = list(HEADING.finditer(text))
    parts, done = [], 0
    for heading, following in zip(headings, [*headings[1:], None], strict=True):
        end = following.start() if following else len(text)
        section = text[heading.end() : end]
        tests = listed(proving.get(heading.group(1), set()))
        section, replaced = TESTS_LIST.subn(tests.replace("\\", "\\\\"), section, count=1)
        if not replaced and tests != listed(set()):
            section = section.rstrip("\n") + "\n" + tests + "\n"
        parts += [text[done : heading.end()], section]
        done = end
    RULES.write_text("".join([*parts, text[done:]]), encoding="utf-8")


if __name__ == "__main__":
    main()
