"""Separation of duties' plain decisions: which role a sync withholds, and the rules file's
start-up check."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from govern.config import REPO_POLICIES
from govern.directory.duties import (
    EXCEPTED,
    HELD,
    WITHHELD,
    Standing,
    collecting_roles,
    duties,
    duty_rules,
    max_exception_days,
    separate,
)
from govern.errors import ConfigError

RULES = duty_rules(REPO_POLICIES)
COLLECTING = collecting_roles(REPO_POLICIES)


def standing(had: set[str], given: set[str], group: str | None = None, **more: object) -> Standing:
    return Standing(
        had=frozenset(had),
        given=duties(given, group, COLLECTING),
        given_roles=frozenset(given),
        collecting=COLLECTING,
        **more,  # type: ignore[arg-type]
    )


def test_the_role_added_later_is_withheld_and_the_person_keeps_what_they_had() -> None:
    found = separate(RULES, standing({"policy_admin"}, {"policy_admin", "auditor"}))
    assert found.roles == ("policy_admin",)
    assert found.conflicts == {"auditor_policy_admin": (WITHHELD, "auditor")}


def test_two_roles_arriving_together_keep_the_first_the_rule_names() -> None:
    found = separate(RULES, standing(set(), {"policy_admin", "auditor"}))
    assert found.roles == ("auditor",)


def test_an_auditor_in_a_project_group_is_withheld_as_a_collector_keeps_collecting() -> None:
    found = separate(RULES, standing({"collector"}, {"auditor"}, group="pg-a1"))
    assert found.roles == ("collector",)
    assert found.conflicts == {"auditor_collector": (WITHHELD, "auditor")}


def test_collector_duties_arriving_later_are_held_and_reported_not_withheld() -> None:
    found = separate(RULES, standing({"auditor"}, {"auditor"}, group="pg-a1"))
    assert found.roles == ("auditor",)
    assert found.conflicts == {"auditor_collector": (HELD, None)}


def test_a_supervisors_role_given_to_an_auditor_carries_collector_duties_and_is_withheld() -> None:
    found = separate(RULES, standing({"auditor"}, {"auditor", "supervisor"}, group="pg-a1"))
    assert found.roles == ("auditor",)
    assert found.conflicts == {"auditor_collector": (WITHHELD, "supervisor")}


def test_an_auditors_role_given_to_a_supervisor_is_withheld() -> None:
    had = {"supervisor", "collector"}  # a supervisor of pg-a1 holds collector duties
    found = separate(RULES, standing(had, {"supervisor", "auditor"}, group="pg-a1"))
    assert found.roles == ("supervisor",)
    assert found.conflicts == {"auditor_collector": (WITHHELD, "auditor")}


def test_a_pair_held_before_the_rules_is_reported_not_taken_away() -> None:
    both = {"policy_admin", "auditor"}
    found = separate(RULES, standing(both, both))
    assert found.roles == ("auditor", "policy_admin")
    assert found.conflicts == {"auditor_policy_admin": (HELD, None)}


def test_an_exception_lets_the_pair_through_and_its_end_withholds_the_same_role() -> None:
    both = {"policy_admin", "auditor"}
    earlier = {"auditor_policy_admin": "policy_admin"}
    excepted = separate(
        RULES,
        standing(both, both, excepted=frozenset({"auditor_policy_admin"}), earlier=earlier),
    )
    lapsed = separate(RULES, standing(both, both, earlier=earlier))
    assert excepted.roles == ("auditor", "policy_admin")
    assert excepted.conflicts == {"auditor_policy_admin": (EXCEPTED, "policy_admin")}
    assert lapsed.roles == ("auditor",)


def test_a_rule_is_named_in_the_readers_language() -> None:
    [rule] = [rule for rule in RULES if rule.id == "auditor_policy_admin"]
    assert rule.label("zh") == "审计员不得兼任权限策略管理员"
    assert rule.label("en") == "An auditor is not a policy admin"


def rules_copy(tmp_path: Path, old: str, new: str) -> Path:
    """The shipped policies with one change to the rules file."""
    policies = tmp_path / "policies"
    shutil.copytree(REPO_POLICIES, policies)
    path = policies / "separation_of_duties.toml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")
    return policies


@pytest.mark.parametrize("days", ["0", "3661", '"90"', "true"])
def test_a_longest_exception_outside_1_to_3660_days_stops_the_service(
    tmp_path: Path, days: str
) -> None:
    policies = rules_copy(tmp_path, "max_exception_days = 365", f"max_exception_days = {days}")

    with pytest.raises(ConfigError) as refused:
        max_exception_days(policies)

    assert refused.value.code == "config.separation_of_duties"
    assert "max_exception_days" in refused.value.message


def test_a_rule_without_its_english_name_stops_the_service(tmp_path: Path) -> None:
    policies = rules_copy(
        tmp_path,
        'en = "An auditor does not collect" }',
        'en = "" }',
    )

    with pytest.raises(ConfigError) as refused:
        duty_rules(policies)

    assert "rules.auditor_collector" in refused.value.message


def test_an_act_rule_naming_no_check_of_its_acts_stops_the_service(tmp_path: Path) -> None:
    policies = rules_copy(tmp_path, 'acts = ["exam.record", "exam.sit"]', 'acts = ["exam.record"]')

    with pytest.raises(ConfigError) as refused:
        duty_rules(policies)

    assert refused.value.code == "config.separation_of_duties"
    assert "rules.exam_own_result" in refused.value.message
