"""The categories of personal information a leak report names (`policies/access/categories.toml`):
each debtor field of the access policy, and each field a report names beyond it (the notes'
texts, `exposure.BEYOND_POLICY`), in exactly one, read once per process."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from govern.access.policy import access_policy
from govern.config import load_policy
from govern.errors import ConfigError
from govern.investigations.exposure import BEYOND_POLICY


@dataclass(frozen=True)
class Category:
    name: str
    label: str
    label_en: str
    fields: tuple[str, ...]


@cache
def categories(policies_dir: Path) -> tuple[Category, ...]:
    """The categories in the file's order. Raises ConfigError `config.categories` when a
    field of the access policy is in none or in several, or the file is malformed."""
    path = policies_dir / "access" / "categories.toml"
    try:
        found = tuple(
            Category(name, c["label"], c["label_en"], tuple(c["fields"]))
            for name, c in load_policy(path)["categories"].items()
        )
    except (KeyError, TypeError) as error:
        raise ConfigError("config.categories", f"{path}: missing or malformed {error}") from None
    placed = [field for category in found for field in category.fields]
    known = set(access_policy(policies_dir).fields) | BEYOND_POLICY
    wrong = sorted({f for f in placed if placed.count(f) > 1} | (known ^ set(placed)))
    if wrong:
        raise ConfigError(
            "config.categories", f"{path}: {wrong[0]} must be in exactly one category"
        )
    return found


def category_of(policies_dir: Path) -> dict[str, str]:
    """Each field's category."""
    return {field: c.name for c in categories(policies_dir) for field in c.fields}
