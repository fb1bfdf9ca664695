"""Print the code's function figures that docs/architecture.md quotes.

    .venv/bin/python scripts/code_figures.py [--list] [folder ...]   (default: govern audit)

A function's length is its lines from `def` to its last line (decorators not counted, its
docstring counted); its parameters are those a caller passes (`self` and `cls` not counted,
`*args` and `**kwargs` counted once each). Nested functions and methods count as functions.
`--list` also names the functions over the limits.
"""

from __future__ import annotations

import ast
import statistics
import sys
from dataclasses import dataclass
from pathlib import Path

LONG = 40  # lines: a function longer than this is listed
MANY = 6  # parameters: a function taking more than this is listed


@dataclass(frozen=True)
class Function:
    """One function as the figures see it."""

    where: str
    lines: int
    parameters: int


def parameter_count(node: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    """Parameters a caller passes: `self` and `cls` left out."""
    args = node.args
    named = [a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)]
    if named and named[0] in ("self", "cls"):
        named = named[1:]
    return len(named) + (args.vararg is not None) + (args.kwarg is not None)


def functions_in(path: Path) -> list[Function]:
    """Every function and method defined in one source file."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    return [
        Function(
            where=f"{path}:{node.lineno} {node.name}",
            lines=node.end_lineno - node.lineno + 1,
            parameters=parameter_count(node),
        )
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    ]


def percentile(values: list[int], share: float) -> int:
    """The value below which `share` of the values lie (nearest rank)."""
    ordered = sorted(values)
    rank = max(1, round(share * len(ordered)))
    return ordered[rank - 1]


def main(argv: list[str]) -> int:
    """Print the figures for the folders named (govern and audit by default)."""
    listing = "--list" in argv
    folders = [a for a in argv if a != "--list"] or ["govern", "audit"]
    found = [
        f
        for folder in folders
        for path in sorted(Path(folder).rglob("*.py"))
        if "migrations" not in path.parts
        for f in functions_in(path)
    ]
    if not found:
        print("no functions found", file=sys.stderr)
        return 1
    lengths = [f.lines for f in found]
    long_ones = [f for f in found if f.lines > LONG]
    crowded = [f for f in found if f.parameters > MANY]
    print(f"folders: {' '.join(folders)} (migrations left out)")
    print(f"functions: {len(found)}")
    print(
        f"length in lines: median {statistics.median(lengths):g}, "
        f"p90 {percentile(lengths, 0.9)}, max {max(lengths)}"
    )
    print(f"functions over {LONG} lines: {len(long_ones)}")
    print(f"functions with more than {MANY} parameters: {len(crowded)}")
    if listing:
        for f in sorted(long_ones, key=lambda f: -f.lines):
            print(f"  long  {f.lines:4d} lines  {f.where}")
        for f in sorted(crowded, key=lambda f: -f.parameters):
            print(f"  many  {f.parameters:4d} params {f.where}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
