"""The language check of collection notes and call scripts (R-NTE-3).

The forbidden terms are data (`policies/contact/forbidden_terms.toml`): each group names its
rule, its category, its terms and the contexts in which a term is allowed (e.g. "法院" inside a
creditor's registered name). A text is folded before it is matched, one character at a time, so
that a hit maps back to the characters the writer typed:

- NFKC (full-width Latin letters and 律师 → lawyer, 律师), then case folding (LAWYER → lawyer);
- spaces, punctuation, symbols, control, zero-width and combining characters, and every
  default-ignorable code point of Unicode (Hangul fillers, variation selectors, tags, ...), are
  dropped, so "律 师", "律-师", "律\\u200b师" and "律\\u3164师" read as 律师;
- traditional characters become simplified (律師 → 律师) with OpenCC's t2s tables.

All terms are then found in one pass (Aho-Corasick). A term in Latin letters counts only as a
whole word (court, not courtesy). Plain Python: no Flask, no SQL.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import ahocorasick_rs
import opencc

from govern.config import load_policy
from govern.errors import BadRequest, ConfigError

FORBIDDEN_TERMS = Path("contact") / "forbidden_terms.toml"

#: Unicode categories a writer can slip between the characters of a word without changing how
#: it reads: spaces, punctuation, symbols, control and format (zero-width) characters, marks.
DROPPED = frozenset(
    {"Zs", "Zl", "Zp", "Pc", "Pd", "Ps", "Pe", "Pi", "Pf", "Po", "Sm", "Sc", "Sk", "So", "Cc", "Cf"}
    | {"Mn", "Me"}
)

#: Unicode's Default_Ignorable_Code_Point (DerivedCoreProperties.txt, Unicode 15): invisible
#: wherever they stand, letters (Hangul fillers U+115F, U+1160, U+3164, U+FFA0) and unassigned
#: code points included, so read as nothing.
IGNORABLE = (
    (0x00AD, 0x00AD), (0x034F, 0x034F), (0x061C, 0x061C), (0x115F, 0x1160), (0x17B4, 0x17B5),
    (0x180B, 0x180F), (0x200B, 0x200F), (0x202A, 0x202E), (0x2060, 0x206F), (0x3164, 0x3164),
    (0xFE00, 0xFE0F), (0xFEFF, 0xFEFF), (0xFFA0, 0xFFA0), (0xFFF0, 0xFFF8), (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A), (0xE0000, 0xE0FFF),
)  # fmt: skip

#: The code points folded ahead of time: the BMP and the SMP (mathematical bold and
#: script letters, enclosed forms), the CJK compatibility supplement, tags and variation selectors
#: (the whole default-ignorable block U+E0000..U+E0FFF).
FOLDED_RANGES = (range(0x0000, 0xD800), range(0xE000, 0x20000), range(0x2F800, 0x2FA20))
FOLDED_RANGES += (range(0xE0000, 0xE1000),)
#: Code points folded through lists; `Folding` explains.
FAST_LIMIT = 0x10000
ASTRAL = re.compile("[\U00010000-\U0010ffff]")
REGULAR = "a"  # a mark: the character folds to exactly one character
IRREGULAR = re.compile("[^a]")
CJK = re.compile("[\u2e80-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f]")


@dataclass(frozen=True)
class Hit:
    """One forbidden term found: the term as the policy lists it, its rule and category, and
    where it stands in the checked text (`text[start:end]`, as typed)."""

    term: str
    rule: str
    category: str
    start: int
    end: int


@dataclass(frozen=True)
class TermGroup:
    """Terms of one category under one rule, and the contexts in which they are allowed."""

    rule: str
    category: str
    terms: tuple[str, ...]
    allowed_contexts: tuple[str, ...] = ()


class Folding:
    """How each character reads. Code points below FAST_LIMIT go through lists indexed by code
    point (`str.translate` looks a list up several times faster than a dict); a text holding
    any above (rare: CJK extensions, tags) goes through the dict of every change."""

    def __init__(self, changed: Mapping[int, str]) -> None:
        self.changed = dict(changed)
        self._fast = [self.changed.get(cp, chr(cp)) for cp in range(FAST_LIMIT)]
        self._marks = _Marks({cp: _mark(text) for cp, text in self.changed.items()})
        self._fast_marks = [self._marks[cp] for cp in range(FAST_LIMIT)]

    def fold(self, text: str) -> str:
        """`text` as the matcher reads it."""
        return text.translate(self._fast if _fast(text) else self.changed)

    def alignment(self, text: str) -> Alignment:
        """Where each character of `fold(text)` stands in `text`."""
        marks = text.translate(self._fast_marks if _fast(text) else self._marks)
        starts, ends, origins, shift = [], [], [], 0
        for irregular in IRREGULAR.finditer(marks):
            index = irregular.start()
            width = ord(marks[index]) - ord("0")
            starts.append(index + shift)
            ends.append(index + shift + width)
            origins.append(index)
            shift += width - 1
        return Alignment(starts, ends, origins)


@dataclass(frozen=True)
class Alignment:
    """The characters that do not fold to exactly one character: where their folded forms
    start and end, and where they stand in the typed text. Between them, one for one."""

    starts: list[int]
    ends: list[int]
    origins: list[int]

    def original(self, position: int) -> int:
        """The index in the typed text of the character giving folded `position`."""
        last = bisect_right(self.starts, position) - 1
        if last < 0:
            return position
        if position < self.ends[last]:
            return self.origins[last]
        return self.origins[last] + 1 + position - self.ends[last]

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The typed span whose folded form is folded `start:end` (not empty)."""
        return self.original(start), self.original(end - 1) + 1


class _Marks(dict[int, str]):
    """Code point → REGULAR, or the length of its folded form when that is not 1."""

    def __missing__(self, key: int) -> str:
        return REGULAR


def _mark(folded: str) -> str:
    return REGULAR if len(folded) == 1 else chr(ord("0") + len(folded))


def _fast(text: str) -> bool:
    return ASTRAL.search(text) is None


@dataclass(frozen=True)
class _Pattern:
    group: int
    term: str | None  # None: an allowed context of the group


class LanguageCheck:
    """The forbidden terms, ready to find in any text."""

    def __init__(self, groups: Sequence[TermGroup], folding: Folding | None = None) -> None:
        self.groups = tuple(groups)
        self.folding = folding or default_folding()
        self._keys, self._patterns = _patterns(self.groups, self.folding)
        self._automaton = ahocorasick_rs.AhoCorasick(self._keys) if self._keys else None

    def hits(self, text: str) -> list[Hit]:
        """The forbidden terms in `text`, in the order they stand, outside their allowed
        contexts; a term inside a longer one found at the same place (律师 in 律师函) is left
        out. An empty list: the text may be kept."""
        found = list(self._matches(self.folding.fold(text)))
        if not found:
            return []
        allowed = [(pattern.group, span) for pattern, span in found if pattern.term is None]
        alignment = self.folding.alignment(text)
        candidates = [
            self._hit(pattern, alignment.span(*span))
            for pattern, span in found
            if pattern.term is not None and not _within_context(pattern.group, span, allowed)
        ]
        return _outermost(hit for hit in candidates if _whole_word(hit, text, self.folding))

    def _matches(self, folded: str) -> Iterator[tuple[_Pattern, tuple[int, int]]]:
        if self._automaton is None:
            return
        for key, start, end in self._automaton.find_matches_as_indexes(folded, overlapping=True):
            for pattern in self._patterns[key]:
                yield pattern, (start, end)

    def _hit(self, pattern: _Pattern, span: tuple[int, int]) -> Hit:
        group = self.groups[pattern.group]
        return Hit(str(pattern.term), group.rule, group.category, span[0], span[1])


def refusal(hits: Sequence[Hit], code: str) -> BadRequest:
    """The one refusal of a text with forbidden language (`note.forbidden_language`,
    `script.forbidden_language`), naming each term and its rule in Chinese and English (and in
    its details, `terms` and their `rules`, for a page to list). Names the policy's terms only,
    never the rest of the text."""
    named = list(dict.fromkeys((hit.term, hit.rule) for hit in hits))
    chinese = "、".join(f"“{term}”（{rule}）" for term, rule in named)
    english = ", ".join(f'"{term}" ({rule})' for term, rule in named)
    return BadRequest(
        code,
        f"文本含有禁用语：{chinese}。Forbidden language: {english}.",
        terms=[term for term, _ in named],
        rules=[rule for _, rule in named],
    )


@cache
def language_check(policies_dir: Path) -> LanguageCheck:
    """The check of `policies_dir/contact/forbidden_terms.toml`, read once per process.
    Raises ConfigError `config.forbidden_terms` when the file is malformed."""
    return LanguageCheck(term_groups(policies_dir))


def term_groups(policies_dir: Path) -> list[TermGroup]:
    """The groups of `policies_dir/contact/forbidden_terms.toml`.
    Raises ConfigError `config.forbidden_terms` when the file is malformed."""
    path = policies_dir / FORBIDDEN_TERMS
    return _groups(path, load_policy(path))


@cache
def default_folding() -> Folding:
    """The folding of every code point that reads as something else (built once per process,
    in about half a second)."""
    simplify = opencc.OpenCC("t2s")
    folded = {cp: _fold_one(chr(cp)) for cp in _code_points()}
    chinese = [cp for cp, text in folded.items() if CJK.search(text)]
    converted = simplify.convert("\n".join(folded[cp] for cp in chinese)).split("\n")
    if len(converted) == len(chinese):  # t2s maps one line to one line
        folded.update(zip(chinese, converted, strict=True))
    return Folding({cp: text for cp, text in folded.items() if text != chr(cp)})


def _code_points() -> Iterator[int]:
    for block in FOLDED_RANGES:
        yield from block


def _fold_one(char: str) -> str:
    if _ignorable(char):
        return ""
    if unicodedata.category(char) == "Cn":
        return char
    read = unicodedata.normalize("NFKC", char).casefold()
    return "".join(c for c in read if unicodedata.category(c) not in DROPPED and not _ignorable(c))


def _ignorable(char: str) -> bool:
    """Whether `char` is a default-ignorable code point (IGNORABLE)."""
    point = ord(char)
    return any(low <= point <= high for low, high in IGNORABLE)


def _patterns(
    groups: Sequence[TermGroup], folding: Folding
) -> tuple[list[str], list[tuple[_Pattern, ...]]]:
    """The folded forms to look for, and for each the terms and contexts that fold to it."""
    found: dict[str, list[_Pattern]] = {}
    for index, group in enumerate(groups):
        for term in group.terms:
            found.setdefault(folding.fold(term), []).append(_Pattern(index, term))
        for context in group.allowed_contexts:
            found.setdefault(folding.fold(context), []).append(_Pattern(index, None))
    keys = [key for key in found if key]
    return keys, [tuple(found[key]) for key in keys]


def _within_context(
    group: int, span: tuple[int, int], allowed: list[tuple[int, tuple[int, int]]]
) -> bool:
    return any(
        owner == group and start <= span[0] and span[1] <= end for owner, (start, end) in allowed
    )


def _whole_word(hit: Hit, text: str, folding: Folding) -> bool:
    """A term beginning (ending) in a Latin letter or digit must not continue a word."""
    term = folding.fold(hit.term)
    before = folding.fold(text[hit.start - 1]) if hit.start > 0 else ""
    after = folding.fold(text[hit.end]) if hit.end < len(text) else ""
    return not (
        (_latin(term[0]) and before and _latin(before[-1]))
        or (_latin(term[-1]) and after and _latin(after[0]))
    )


def _latin(char: str) -> bool:
    return char.isascii() and char.isalnum()


def _outermost(hits: Iterable[Hit]) -> list[Hit]:
    """Hits in text order, without those lying inside another hit."""
    ordered = sorted(set(hits), key=lambda hit: (hit.start, -hit.end, hit.term))
    kept: list[Hit] = []
    for hit in ordered:
        if not any(k.start <= hit.start and hit.end <= k.end for k in kept):
            kept.append(hit)
    return kept


def _groups(path: Path, raw: Mapping[str, Any]) -> list[TermGroup]:
    try:
        groups = [_group(entry) for entry in raw["groups"]]
    except (KeyError, TypeError, ValueError) as error:
        raise ConfigError(
            "config.forbidden_terms", f"{path}: {error!s} is missing or malformed"
        ) from None
    if not groups:
        raise ConfigError("config.forbidden_terms", f"{path}: no [[groups]] of terms")
    return groups


def _group(entry: Mapping[str, Any]) -> TermGroup:
    group = TermGroup(
        rule=_word(entry["rule"]),
        category=_word(entry["category"]),
        terms=tuple(_word(term) for term in entry["terms"]),
        allowed_contexts=tuple(_word(context) for context in entry.get("allowed_contexts", [])),
    )
    if not group.terms:
        raise ValueError(f"group {group.category!r}: terms")
    folded = [default_folding().fold(term) for term in group.terms]
    for context in group.allowed_contexts:  # a context that holds no term would allow nothing
        if not any(term in default_folding().fold(context) for term in folded):
            raise ValueError(f"allowed context {context!r} holds none of the group's terms")
    return group


def _word(value: Any) -> str:
    if not isinstance(value, str) or not default_folding().fold(value):
        raise ValueError(f"{value!r}")
    return value
