"""The entrance's depth scan: counts what a parser would recurse into, skips strings, and stays
linear on bodies built to make a scanner backtrack."""

from __future__ import annotations

import pytest

from govern.intake import MAX_DEPTH, json_depth
from govern.text import is_safe_text


@pytest.mark.parametrize(
    ("text", "depth"),
    [
        ("{}", 1),
        ('{"add": [["a", "b", "c", "d"]]}', 3),  # a policy change, Govern's deepest body
        ('{"a": ["[[[\\"[[", {"b": 1}]}', 3),  # brackets and escaped quotes inside strings
        ('["x\\\\", [1]]', 2),  # an escaped backslash ends its string
        ('"[[[', 0),  # an unterminated string hides the rest
        ("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1), MAX_DEPTH + 1),
    ],
)
def test_the_depth_of_json_is_counted_without_parsing(text: str, depth: int) -> None:
    assert json_depth(text) == depth


def test_the_depth_scan_is_linear_on_a_body_built_to_make_it_backtrack() -> None:
    # one opening quote then 100,000 escaped quotes: a backtracking scan takes many minutes
    assert json_depth('["' + '\\"' * 100_000) == 1
    assert json_depth("[" * 500_000) == 500_000


@pytest.mark.parametrize(
    ("text", "safe"),
    [
        ("ordinary 普通员工", True),
        ("😀", True),  # outside the BMP, whole: safe
        ("A\x00B", False),
        ("A\ud800B", False),
        ("\udfff", False),
    ],
)
def test_one_check_says_which_text_no_database_or_directory_takes(text: str, safe: bool) -> None:
    assert is_safe_text(text) is safe
