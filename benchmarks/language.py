"""Benchmark the language check (R-NTE-3): a 2,000-character note against 2,000 terms.

The terms are the policy's (policies/contact/forbidden_terms.toml) topped up with generated
Chinese words and English words to `--terms`. Notes are generated Chinese text with punctuation,
spaces and English words; "clean" notes hold no term, "with hits" notes hold three terms written
the ways writers hide them (spaced, full width, traditional). Each timing is one `hits(note)`
call on a note drawn from a pool made before any clock starts.

`./scripts/bench language [--runs N]`; record the figures in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time

from govern.config import REPO_POLICIES
from govern.notes.language import LanguageCheck, TermGroup, default_folding, term_groups

HIDDEN = ["律 师", "\uff4c\uff41\uff57\uff59\uff45\uff52", "律師", "徵-信", "減\u200b免", "COURT"]


def terms(count: int, seed: int) -> list[TermGroup]:
    """The policy's groups, and one generated group making the total up to `count` terms."""
    groups = term_groups(REPO_POLICIES)
    have = sum(len(group.terms) for group in groups)
    rng = random.Random(seed)
    made: set[str] = set()
    while len(made) < count - have:
        made.add(_chinese(rng, rng.randint(2, 4)) if rng.random() < 0.8 else _english(rng))
    return [*groups, TermGroup("R-NTE-3", "generated", tuple(sorted(made)))]


def note(rng: random.Random, length: int, hidden: list[str]) -> str:
    """Generated Chinese prose of `length` characters with `hidden` written into it."""
    parts: list[str] = []
    while sum(map(len, parts)) < length:
        roll = rng.random()
        if roll < 0.08:
            parts.append(rng.choice("，。；：、\uff01\uff1f "))
        elif roll < 0.1:
            parts.append(f" {_english(rng)} ")
        else:
            parts.append(_chinese(rng, rng.randint(1, 6)))
    text = "".join(parts)[: length - sum(map(len, hidden))]
    cuts = sorted((rng.randrange(len(text)) for _ in hidden), reverse=True)
    for cut, word in zip(cuts, hidden, strict=True):  # from the end: none splits another
        text = text[:cut] + word + text[cut:]
    return text


def _chinese(rng: random.Random, length: int) -> str:
    return "".join(chr(rng.randint(0x4E00, 0x9FA5)) for _ in range(length))


def _english(rng: random.Random) -> str:
    return "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(4, 9)))


def timings(check: LanguageCheck, notes: list[str], runs: int) -> tuple[list[float], list[float]]:
    """Milliseconds of each of `runs` checks, cycling through `notes`: wall-clock time, and
    the thread's CPU time (which leaves out the time other processes had the core)."""
    wall, cpu = [], []
    for index in range(runs):
        text = notes[index % len(notes)]
        began, began_cpu = time.perf_counter_ns(), time.thread_time_ns()
        check.hits(text)
        cpu.append((time.thread_time_ns() - began_cpu) / 1e6)
        wall.append((time.perf_counter_ns() - began) / 1e6)
    return wall, cpu


def figures(spent: list[float]) -> dict[str, float]:
    ordered = sorted(spent)
    return {
        "p50_ms": round(statistics.median(ordered), 4),
        "p99_ms": round(ordered[int(len(ordered) * 0.99) - 1], 4),
        "max_ms": round(ordered[-1], 4),
    }


def measure(term_count: int, chars: int, runs: int, seed: int = 14) -> dict[str, object]:
    began = time.perf_counter()
    default_folding()
    folding_s = time.perf_counter() - began
    groups = terms(term_count, seed)
    began = time.perf_counter()
    check = LanguageCheck(groups)
    build_s = time.perf_counter() - began
    rng = random.Random(seed + 1)  # not the terms' sequence
    clean = [note(rng, chars, []) for _ in range(100)]
    dirty = [note(rng, chars, rng.sample(HIDDEN, 3)) for _ in range(100)]
    results: dict[str, object] = {
        "terms": sum(len(group.terms) for group in groups),
        "note_chars": chars,
        "runs": runs,
        "folding_build_s": round(folding_s, 3),
        "automaton_build_s": round(build_s, 3),
        "hits_in_clean_notes": sum(len(check.hits(text)) for text in clean),
        "hits_in_notes_with_three": sum(len(check.hits(text)) for text in dirty),
    }
    for name, notes in (("clean", clean), ("hits", dirty)):
        wall, cpu = timings(check, notes, runs)
        results |= {f"{name}_{key}": value for key, value in figures(wall).items()}
        results |= {f"{name}_cpu_{key}": value for key, value in figures(cpu).items()}
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description="Benchmark the language check.")
    parser.add_argument("--terms", type=int, default=2_000)
    parser.add_argument("--chars", type=int, default=2_000)
    parser.add_argument("--runs", type=int, default=20_000)
    args = parser.parse_args()
    results = measure(args.terms, args.chars, args.runs)
    for key, value in results.items():
        print(f"{key:28} {value}")
    print(json.dumps(results, sort_keys=True))


if __name__ == "__main__":
    main()
