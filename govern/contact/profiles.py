"""The jurisdiction profiles the guard judges by, as data: `policies/contact/profiles/*.toml`
(one profile a file, named as the file) and `policies/contact/assignments.toml` (project group
→ profile, and the default). Read once per process; a mistake stops the service at load with a
ConfigError naming the file and the key."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import time
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

from govern.config import load_policy
from govern.contact.rules import (
    ZONES,
    AfterConversation,
    DailyCaps,
    Hours,
    MethodCap,
    Profile,
    WeeklyCap,
)
from govern.errors import ConfigError

__all__ = ["ContactProfiles", "Profile", "contact_profiles"]

T = TypeVar("T")

PROFILES_DIR = Path("contact") / "profiles"
ASSIGNMENTS_FILE = Path("contact") / "assignments.toml"


class _Bad(Exception):
    """A wrong entry: `key` names it, `fault` says what is wrong."""

    def __init__(self, key: str, fault: str) -> None:
        super().__init__(f"{key}: {fault}")


@dataclass(frozen=True)
class ContactProfiles:
    """Every loaded profile, and which project group is judged by which."""

    profiles: Mapping[str, Profile]
    groups: Mapping[str, str]  # project group -> profile name
    default: str

    def for_group(self, project_group: str) -> Profile:
        """The profile of the creditor's contract the project group works for; the default
        profile for a group not assigned one."""
        return self.profiles[self.groups.get(project_group, self.default)]


@cache
def contact_profiles(policies_dir: Path) -> ContactProfiles:
    """The profiles under `policies_dir/contact/`. Raises ConfigError `contact.profiles`
    naming the file and the key that is wrong (an unknown profile, bad hours, a bad cap …)."""
    profiles = {}
    for path in sorted((policies_dir / PROFILES_DIR).glob("*.toml")):
        profiles[path.stem] = _in_file(path, lambda raw, p=path: _profile(p.stem, raw))
    path = policies_dir / ASSIGNMENTS_FILE
    default, groups = _in_file(path, lambda raw: _assignments(raw, profiles))
    return ContactProfiles(profiles, groups, default)


def _in_file(path: Path, build: Callable[[dict[str, Any]], T]) -> T:
    raw = load_policy(path)
    try:
        return build(raw)
    except _Bad as error:
        raise ConfigError("contact.profiles", f"{path}: {error}") from None


def _assignments(
    raw: dict[str, Any], profiles: Mapping[str, Profile]
) -> tuple[str, dict[str, str]]:
    _known_keys("", raw, {"default", "groups"})
    default = _text(raw, "default")
    groups = raw.get("groups", {})
    if not isinstance(groups, dict):
        raise _Bad("groups", "must be a table of project group = profile")
    for key, name in [("default", default), *((f"groups.{g}", n) for g, n in groups.items())]:
        if not isinstance(name, str) or name not in profiles:
            known = ", ".join(sorted(profiles)) or "none"
            raise _Bad(key, f"unknown profile {name!r} (profiles: {known})")
    return default, dict(groups)


def _profile(name: str, raw: dict[str, Any]) -> Profile:
    tables = {"hours", "daily_caps", "method_cap", "weekly_cap", "after_conversation"}
    _known_keys("", raw, {"name", "title", "day_zone"} | tables)
    if _text(raw, "name") != name:
        raise _Bad("name", f"must be {name!r}, the file's name")
    return Profile(
        name=name,
        title=_text(raw, "title"),
        day_zone=_zone(raw, "day_zone"),
        hours=_hours(_table(raw, "hours")),
        daily_caps=_optional(raw, "daily_caps", _daily_caps),
        method_cap=_optional(raw, "method_cap", _method_cap),
        weekly_cap=_optional(raw, "weekly_cap", _weekly_cap),
        after_conversation=_optional(raw, "after_conversation", _after_conversation),
    )


def _hours(raw: dict[str, Any]) -> Hours:
    _known_keys("hours.", raw, {"start", "end", "zone", "rule"})
    start, end = _clock(raw, "start"), _clock(raw, "end")
    if start >= end:
        raise _Bad("hours", f"start {start:%H:%M} must be before end {end:%H:%M}")
    return Hours(start, end, _zone(raw, "zone", "hours."), _text(raw, "rule", "hours."))


def _daily_caps(raw: dict[str, Any]) -> DailyCaps:
    _known_keys("daily_caps.", raw, {"connected", "unanswered", "rule"})
    return DailyCaps(
        _count(raw, "connected", "daily_caps."),
        _count(raw, "unanswered", "daily_caps."),
        _text(raw, "rule", "daily_caps."),
    )


def _method_cap(raw: dict[str, Any]) -> MethodCap:
    _known_keys("method_cap.", raw, {"unanswered", "rule"})
    return MethodCap(_count(raw, "unanswered", "method_cap."), _text(raw, "rule", "method_cap."))


def _weekly_cap(raw: dict[str, Any]) -> WeeklyCap:
    _known_keys("weekly_cap.", raw, {"calls", "days", "rule"})
    return WeeklyCap(
        _count(raw, "calls", "weekly_cap."),
        _count(raw, "days", "weekly_cap."),
        _text(raw, "rule", "weekly_cap."),
    )


def _after_conversation(raw: dict[str, Any]) -> AfterConversation:
    prefix = "after_conversation."
    _known_keys(prefix, raw, {"days", "inbound_counts", "rule"})
    inbound = raw.get("inbound_counts", True)
    if not isinstance(inbound, bool):
        raise _Bad(f"{prefix}inbound_counts", "must be true or false")
    return AfterConversation(_count(raw, "days", prefix), inbound, _text(raw, "rule", prefix))


def _optional(raw: dict[str, Any], key: str, build: Callable[[dict[str, Any]], T]) -> T | None:
    return build(_table(raw, key)) if key in raw else None


def _known_keys(prefix: str, raw: dict[str, Any], known: set[str]) -> None:
    for key in raw:
        if key not in known:
            raise _Bad(f"{prefix}{key}", f"unknown key (known: {', '.join(sorted(known))})")


def _table(raw: dict[str, Any], key: str) -> dict[str, Any]:
    value = raw.get(key)
    if not isinstance(value, dict):
        raise _Bad(key, "missing, or not a table")
    return value


def _text(raw: dict[str, Any], key: str, prefix: str = "") -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not value.strip():
        raise _Bad(f"{prefix}{key}", "missing, or not a non-empty string")
    return value


def _zone(raw: dict[str, Any], key: str, prefix: str = "") -> str:
    value = _text(raw, key, prefix)
    if value not in ZONES:
        raise _Bad(f"{prefix}{key}", f"{value!r} is not one of {', '.join(ZONES)}")
    return value


def _clock(raw: dict[str, Any], key: str) -> time:
    value = _text(raw, key, "hours.")
    try:
        if len(value) != 5:
            raise ValueError(value)
        return time.fromisoformat(value)
    except ValueError:
        raise _Bad(f"hours.{key}", f"{value!r} is not HH:MM") from None


def _count(raw: dict[str, Any], key: str, prefix: str) -> int:
    value = raw.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise _Bad(f"{prefix}{key}", "must be a whole number of at least 1")
    return value
