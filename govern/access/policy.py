"""The access policy files under `policies/access/`: the casbin model, the default policy
lines, and the field rules (masks, required certifications, reach, purposes, break glass)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import casbin
from casbin.persist import load_policy_line

from govern.access.rules import FieldRule
from govern.config import load_policy
from govern.errors import BadRequest, ConfigError

MASKS = ("name", "phone", "id_number", "address", "employer", "contacts", "none")
REACH_WAYS = ("project_group", "department", "company", "investigation")


@dataclass(frozen=True)
class AccessPolicy:
    fields: dict[str, FieldRule]
    reach: dict[str, str]
    purposes: dict[str, str]
    break_glass_hours: int
    grantors: frozenset[str]
    #: whether a field's certifications bind auditors inside an investigation too
    investigation_training: bool = True


def model_file(policies_dir: Path) -> Path:
    return policies_dir / "access" / "model.conf"


@cache
def access_policy(policies_dir: Path) -> AccessPolicy:
    """`policies/access/fields.toml`, read once per process. Raises ConfigError."""
    path = policies_dir / "access" / "fields.toml"
    raw = load_policy(path)
    try:
        policy = AccessPolicy(
            fields={
                name: FieldRule(
                    name, f["label"], f["mask"], tuple(f["requires"]), f.get("label_en", "")
                )
                for name, f in raw["fields"].items()
            },
            reach=dict(raw["reach"]),
            purposes=dict(raw["purposes"]),
            break_glass_hours=int(raw["break_glass"]["max_hours"]),
            grantors=frozenset(raw["break_glass"]["grantors"]),
            investigation_training=_yes(raw.get("investigation", {}), "requires_certifications"),
        )
    except (KeyError, TypeError, ValueError) as error:
        raise ConfigError("access.fields", f"{path}: missing or malformed {error}") from None
    wrong = [f"mask {r.mask}" for r in policy.fields.values() if r.mask not in MASKS]
    wrong += [f"reach {w}" for w in policy.reach.values() if w not in REACH_WAYS]
    if wrong:
        raise ConfigError("access.fields", f"{path}: unknown {wrong[0]}")
    return policy


def _yes(section: dict, name: str) -> bool:
    """A true/false setting of the policy, true when left out (the stricter answer)."""
    value = section.get(name, True)
    if not isinstance(value, bool):
        raise ValueError(f"{name} = {value!r} (true or false)")
    return value


def default_lines(policies_dir: Path) -> list[tuple[str, ...]]:
    """The default policy (`policy.csv`) as lines, comments left out."""
    path = policies_dir / "access" / "policy.csv"
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ConfigError("access.policy", f"Cannot read {path}: {error}") from None
    return [
        tuple(value.strip() for value in line.split(","))
        for line in text.splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]


def casbin_enforcer(policies_dir: Path, lines: list[tuple[str, ...]]) -> casbin.Enforcer:
    """A casbin enforcer holding `lines`: to check a policy and to explain a decision."""
    enforcer = casbin.Enforcer(str(model_file(policies_dir)))
    for line in lines:
        load_policy_line(", ".join(line), enforcer.get_model())
    enforcer.build_role_links()
    return enforcer


def check_fields(policies_dir: Path, fields: Iterable[str]) -> None:
    """Raises BadRequest `field.unknown` naming the first of `fields` the policy lacks."""
    known = access_policy(policies_dir).fields
    unknown = [field for field in fields if field not in known]
    if unknown:
        raise BadRequest("field.unknown", f"No debtor field called {unknown[0]}.")
