"""Every role name is defined once, in policies/roles.toml; a misspelt one anywhere else stops
the service at start-up, and the message names the file, the line and the key."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from govern.app import CODE_ROLES, create_app
from govern.config import REPO_POLICIES, load_settings
from govern.errors import ConfigError
from govern.policies import check_role_names, role_policy
from tests.test_config import MINIMAL

# (file, text as shipped, the same with a misspelt role, the key the message must name)
TYPOS = [
    ("roles.toml", 'training = ["office",', 'training = ["ofice",', "company_wide.training"),
    ("actions.toml", 'suspend = ["it", "hr"]', 'suspend = ["it", "HR"]', "account.suspend"),
    ("actions.toml", 'record = ["trainer",', 'record = ["trainr",', "exam.record"),
    ("suspensions.toml", 'impose = ["hr"]', 'impose = ["h r"]', "kinds.hr.impose"),
    ("access/fields.toml", 'auditor = "investigation"', 'auditr = "investigation"', "reach.auditr"),
    (
        "access/fields.toml",
        'grantors = ["supervisor", "department_head"]',
        'grantors = ["supervisor", "departement_head"]',
        "break_glass.grantors",
    ),
    (
        "training/catalogue.toml",
        'host = "hr"',
        'host = "human_resources"',
        "sessions.induction.host",
    ),
    (
        "separation_of_duties.toml",
        'roles = ["auditor", "policy_admin"]',
        'roles = ["auditor", "policy_admn"]',
        "rules.auditor_policy_admin.roles",
    ),
]


def misspelt(tmp_path: Path, file: str, old: str, new: str) -> tuple[Path, int]:
    """A copy of the policies folder with one change to `file`, and the changed line's number."""
    policies = tmp_path / "policies"
    shutil.copytree(REPO_POLICIES, policies)
    path = policies / file
    text = path.read_text(encoding="utf-8")
    assert old in text
    changed = text.replace(old, new, 1)
    path.write_text(changed, encoding="utf-8")
    line = next(n for n, text in enumerate(changed.splitlines(), 1) if new.split("\n")[0] in text)
    return policies, line


def refusal_to_start(policies: Path) -> ConfigError:
    with pytest.raises(ConfigError) as refused:
        create_app(load_settings(MINIMAL | {"GOVERN_POLICIES_DIR": str(policies)}))
    return refused.value


def test_the_shipped_policies_name_only_defined_roles() -> None:
    check_role_names(REPO_POLICIES, CODE_ROLES)
    assert role_policy(REPO_POLICIES).defined == {
        "collector",
        "department_head",
        "general_manager",
        "hr",
        "it",
        "auditor",
        "office",
        "trainer",
        "supervisor",
        "policy_admin",
        "complaint_desk",
    }


@pytest.mark.parametrize(("file", "old", "new", "key"), TYPOS)
def test_a_misspelt_role_in_any_policy_file_stops_the_service_naming_file_line_and_key(
    tmp_path: Path, file: str, old: str, new: str, key: str
) -> None:
    policies, line = misspelt(tmp_path, file, old, new)
    refused = refusal_to_start(policies)
    assert refused.code == "config.role_unknown"
    assert f"{policies / file} line {line} ({key})" in refused.message


def test_a_misspelt_role_in_the_default_casbin_policy_names_its_line(tmp_path: Path) -> None:
    policies, line = misspelt(
        tmp_path, "access/policy.csv", "g, supervisor, collector, *", "g, supervisor, colector, *"
    )
    refused = refusal_to_start(policies)
    assert refused.code == "config.role_unknown"
    assert f"{policies / 'access/policy.csv'} line {line}: no role 'colector'" in refused.message


def test_a_role_dropped_from_roles_toml_is_named_wherever_it_is_still_used(tmp_path: Path) -> None:
    policies, _ = misspelt(tmp_path, "roles.toml", 'it = "govern-it"\n', "")
    message = refusal_to_start(policies).message
    for file, key in [
        ("roles.toml", "company_wide.accounts"),
        ("actions.toml", "account.list"),
        ("actions.toml", "departure.set"),
        ("suspensions.toml", "kinds.security.lift"),
    ]:
        assert f"{policies / file} line " in message
        assert f"({key}): no role 'it'" in message
    assert "govern.accounts.cli (the console): no role 'it'" in message


def test_a_role_the_code_names_must_be_defined_too(tmp_path: Path) -> None:
    policies, _ = misspelt(
        tmp_path, "roles.toml", 'without_group = "collector"', 'without_group = "agent"'
    )
    message = refusal_to_start(policies).message
    assert "govern.access.rules: no role 'collector'" in message
    assert "govern.directory.person: no role 'collector'" in message
    with pytest.raises(ConfigError) as refused:
        check_role_names(REPO_POLICIES, {"govern.somewhere": ("department_haed",)})
    assert "govern.somewhere: no role 'department_haed'" in refused.value.message
