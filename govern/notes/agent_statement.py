"""The agent statement a call script opens with (R-CON-6): the caller acts as the client's
agent. The accepted openings are data (`policies/contact/agent_statement.toml`), compared as the
language check reads text (govern/notes/language.py: width, case, spaces and punctuation,
traditional characters). Plain Python: no Flask, no SQL.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any

from govern.config import load_policy
from govern.errors import BadRequest, ConfigError
from govern.notes.language import Folding, default_folding

AGENT_STATEMENT = Path("contact") / "agent_statement.toml"
CLIENT = "{client}"


class AgentStatement:
    """The accepted openings, each with at most one {client} standing for the client's name
    (1 to `max_client_chars` characters)."""

    def __init__(self, openings: Sequence[str], max_client_chars: int) -> None:
        self.openings = tuple(openings)
        self._folding = default_folding()
        self._patterns = [_pattern(o, max_client_chars, self._folding) for o in self.openings]

    def opens(self, text: str) -> bool:
        """Whether `text` begins with one of the openings."""
        folded = self._folding.fold(text)
        return any(pattern.match(folded) for pattern in self._patterns)


def missing_statement(code: str = "script.no_agent_statement") -> BadRequest:
    """The refusal of a script that does not open with the agent statement (R-CON-6)."""
    return BadRequest(
        code,
        "话术须以代理身份声明开头，例如“您好，我是受××委托的……”（R-CON-6）。"
        "A script must open by stating that the caller acts as the client's agent, e.g. "
        '"Hello, I am calling on behalf of …" (R-CON-6).',
    )


@cache
def agent_statement(policies_dir: Path) -> AgentStatement:
    """`policies_dir/contact/agent_statement.toml`, read once per process.
    Raises ConfigError `config.agent_statement` when it is malformed."""
    path = policies_dir / AGENT_STATEMENT
    try:
        return _statement(load_policy(path))
    except (KeyError, TypeError, ValueError) as error:
        raise ConfigError(
            "config.agent_statement", f"{path}: {error!s} is missing or malformed"
        ) from None


def _statement(raw: Mapping[str, Any]) -> AgentStatement:
    openings: Sequence[Any] = raw["openings"]
    limit = raw.get("max_client_chars", 40)
    if not isinstance(limit, int) or isinstance(limit, bool) or limit < 1:
        raise ValueError("max_client_chars")
    if not openings or not all(isinstance(o, str) and o.count(CLIENT) <= 1 for o in openings):
        raise ValueError("openings (strings, each with at most one {client})")
    return AgentStatement(tuple(openings), limit)


def _pattern(opening: str, limit: int, folding: Folding) -> re.Pattern[str]:
    parts = [re.escape(folding.fold(part)) for part in opening.split(CLIENT)]
    if not "".join(parts):
        raise ValueError(f"opening {opening!r} says nothing")
    return re.compile(f".{{1,{limit}}}?".join(parts), re.DOTALL)
