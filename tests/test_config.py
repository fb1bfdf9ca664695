"""The service refuses to start without what security needs, and says what to set."""

from __future__ import annotations

import shutil
from datetime import time
from pathlib import Path

import pytest

from govern.config import REPO_POLICIES, load_settings
from govern.directory.choose import open_directory
from govern.errors import ConfigError

DEMO_DIRECTORY = str(Path(__file__).resolve().parents[1] / "govern" / "demo" / "directory.ldif")
MINIMAL = {
    "DATABASE_URL": "sqlite:///:memory:",
    "GOVERN_DIRECTORY_URL": "ldaps://directory.example.com",
    "GOVERN_SECRET_KEY": "k" * 40,
    "GOVERN_AUDIT_KEY_FILE": "/nonexistent/audit.pem",
    "GOVERN_CHECKPOINT_DIR": "/tmp/govern-test-checkpoints",
    "GOVERN_DATA_KEYS_FILE": "/nonexistent/data_keys.json",
}


def refusal(environ: dict[str, str]) -> str:
    with pytest.raises(ConfigError) as refused:
        load_settings(environ)
    return refused.value.message


def test_defaults_are_the_documented_ones() -> None:
    settings = load_settings(MINIMAL)
    assert settings.revoke_at == time(18, 0)
    assert str(settings.timezone) == "Asia/Shanghai"
    assert (settings.guard_percent, settings.guard_count) == (5.0, 20)
    assert settings.migration_database_url == settings.database_url
    assert settings.role_groups["department_head"] == "govern-department-heads"
    assert settings.background_jobs == "web"  # the demo's one process runs them


@pytest.mark.parametrize(
    "missing",
    [
        "DATABASE_URL",
        "GOVERN_DIRECTORY_URL",
        "GOVERN_SECRET_KEY",
        "GOVERN_AUDIT_KEY_FILE",
        "GOVERN_CHECKPOINT_DIR",
        "GOVERN_DATA_KEYS_FILE",
    ],
)
def test_a_missing_setting_is_named(missing: str) -> None:
    environ = {k: v for k, v in MINIMAL.items() if k != missing}
    assert f"{missing}: must be set" in refusal(environ)


def test_a_short_secret_key_is_refused() -> None:
    assert "GOVERN_SECRET_KEY" in refusal(MINIMAL | {"GOVERN_SECRET_KEY": "short"})


def test_secrets_can_come_from_files_outside_the_repository(tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.write_text("s" * 48 + "\n")
    environ = {k: v for k, v in MINIMAL.items() if k != "GOVERN_SECRET_KEY"}
    settings = load_settings(environ | {"GOVERN_SECRET_KEY_FILE": str(secret)})
    assert settings.secret_key == "s" * 48


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("GOVERN_TIMEZONE", "Mars/Olympus"),
        ("GOVERN_REVOKE_AT", "25:00"),
        ("GOVERN_GUARD_PERCENT", "150"),
        ("GOVERN_LOGIN_FAILURES_PER_USER", "0"),
        ("GOVERN_BACKGROUND_JOBS", "both"),
    ],
)
def test_malformed_values_are_named(name: str, value: str) -> None:
    assert name in refusal(MINIMAL | {name: value})


def test_investigations_that_open_fields_are_bounded_by_settings() -> None:
    settings = load_settings(MINIMAL)
    assert (
        settings.investigation_max_debtors,
        settings.investigation_hours,
        settings.investigation_max_hours,
    ) == (1000, 72, 168)
    bounded = load_settings(MINIMAL | {"GOVERN_INVESTIGATION_MAX_DEBTORS": "50"})
    assert bounded.investigation_max_debtors == 50
    assert "GOVERN_INVESTIGATION_MAX_DEBTORS" in refusal(
        MINIMAL | {"GOVERN_INVESTIGATION_MAX_DEBTORS": "0"}
    )
    assert "GOVERN_INVESTIGATION_HOURS" in refusal(
        MINIMAL | {"GOVERN_INVESTIGATION_HOURS": "200", "GOVERN_INVESTIGATION_MAX_HOURS": "100"}
    )


def test_revoke_at_takes_seconds() -> None:
    assert load_settings(MINIMAL | {"GOVERN_REVOKE_AT": "17:30:15"}).revoke_at == time(17, 30, 15)


def test_the_ldif_directory_is_refused_outside_the_demo() -> None:
    settings = load_settings(MINIMAL | {"GOVERN_DIRECTORY_URL": f"ldif:{DEMO_DIRECTORY}"})
    with pytest.raises(ConfigError) as refused:
        open_directory(settings)
    assert refused.value.code == "config.ldif_needs_demo"
    demo = load_settings(
        MINIMAL | {"GOVERN_DIRECTORY_URL": f"ldif:{DEMO_DIRECTORY}", "GOVERN_DEMO": "1"}
    )
    assert len(open_directory(demo).people()) == 31


def test_the_service_refuses_to_start_without_its_audit_signing_key(tmp_path: Path) -> None:
    from govern.app import create_app

    settings = load_settings(MINIMAL | {"GOVERN_AUDIT_KEY_FILE": str(tmp_path / "missing.pem")})
    with pytest.raises(ConfigError) as refused:
        create_app(settings)
    assert refused.value.code == "config.audit_key"
    assert "GOVERN_AUDIT_KEY_FILE" in refused.value.message
    not_a_key = tmp_path / "not-a-key.pem"
    not_a_key.write_text("hello")
    with pytest.raises(ConfigError):
        create_app(load_settings(MINIMAL | {"GOVERN_AUDIT_KEY_FILE": str(not_a_key)}))


@pytest.mark.parametrize(
    ("file", "old", "new", "code"),
    [
        ("catalogue.toml", '"SYS-USE", "SKL-LAW"', '"SYS-USE", "SKL-LAWS"', "training.catalogue"),
        ("catalogue.toml", 'current = "2026-1"', 'current = "2026-2"', "training.catalogue"),
        ("holidays.toml", "", '[2027]\nworkdays = ["2027-02-22"]\n', "calendar.bad_data"),
    ],
)
def test_the_service_refuses_to_start_with_a_training_policy_mistake(
    tmp_path: Path, file: str, old: str, new: str, code: str
) -> None:
    from govern.app import create_app

    policies = tmp_path / "policies"
    shutil.copytree(REPO_POLICIES, policies)
    path = policies / "training" / file
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1) if old else text + new, encoding="utf-8")
    with pytest.raises(ConfigError) as refused:
        create_app(load_settings(MINIMAL | {"GOVERN_POLICIES_DIR": str(policies)}))
    assert refused.value.code == code
    assert str(path) in refused.value.message


def copied_tracks(tmp_path: Path, old: str, new: str) -> Path:
    """A copy of the policies folder with one change to `directory/tracks.toml`."""
    policies = tmp_path / "policies"
    shutil.copytree(REPO_POLICIES, policies)
    path = policies / "directory" / "tracks.toml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return policies


def test_the_track_attribute_comes_from_the_track_table_or_its_setting(tmp_path: Path) -> None:
    assert load_settings(MINIMAL).ldap_attributes["track"] == "governTrack"
    titles = copied_tracks(tmp_path, 'attribute = "governTrack"', 'attribute = "title"')
    settings = load_settings(MINIMAL | {"GOVERN_POLICIES_DIR": str(titles)})
    assert settings.ldap_attributes["track"] == "title"
    assert settings.tracks.track_of(["实习员工"]) == ("intern", None)
    assert settings.tracks.track_of(["Management"]) == ("management", None)
    chosen = MINIMAL | {"GOVERN_POLICIES_DIR": str(titles), "GOVERN_LDAP_ATTR_TRACK": "o"}
    assert load_settings(chosen).ldap_attributes["track"] == "o"


@pytest.mark.parametrize(
    ("old", "new", "named"),
    [
        ('"实习员工" = "intern"', '"实习员工" = "trainee"', "values.'实习员工' = 'trainee'"),
        ('attribute = "governTrack"', 'attribute = " "', "attribute must name"),
        ("\n[values]\n", "\n[other]\n", "[values] must map"),
    ],
)
def test_a_track_table_mistake_stops_the_service_at_start_up(
    tmp_path: Path, old: str, new: str, named: str
) -> None:
    policies = copied_tracks(tmp_path, old, new)
    message = refusal(MINIMAL | {"GOVERN_POLICIES_DIR": str(policies)})
    assert str(policies / "directory" / "tracks.toml") in message
    assert named in message


def test_the_sign_in_limits_default_as_documented_and_the_former_name_still_works() -> None:
    settings = load_settings(MINIMAL)
    assert (
        settings.login_failures_per_user_and_client,
        settings.login_failures_per_user,
        settings.login_usernames_per_client,
        settings.login_window_minutes,
    ) == (5, 20, 30, 15)
    former = load_settings({**MINIMAL, "GOVERN_LOGIN_FAILURES_PER_CLIENT": "12"})
    assert former.login_usernames_per_client == 12
    both = {"GOVERN_LOGIN_FAILURES_PER_CLIENT": "12", "GOVERN_LOGIN_USERNAMES_PER_CLIENT": "40"}
    assert load_settings({**MINIMAL, **both}).login_usernames_per_client == 40


def test_audit_events_are_kept_five_years_unless_told_longer() -> None:
    assert load_settings(MINIMAL).audit_retention_years == 5
    longer = MINIMAL | {"GOVERN_AUDIT_RETENTION_YEARS": "7"}
    assert load_settings(longer).audit_retention_years == 7


def test_a_retention_shorter_than_the_longest_rule_stops_start_up() -> None:
    with pytest.raises(ConfigError) as refused:
        load_settings(MINIMAL | {"GOVERN_AUDIT_RETENTION_YEARS": "3"})
    assert refused.value.code == "config.audit_retention"
    message = refused.value.message
    assert "GOVERN_AUDIT_RETENTION_YEARS: 3 is shorter than the 5 years" in message
    assert "\n" not in message
