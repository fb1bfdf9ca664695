"""The `govern` command as a newcomer first meets it: before anything is configured."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

from govern.command_line import progress_bar

REPO = Path(__file__).resolve().parents[1]
UNCONFIGURED = {"PATH": "/usr/bin:/bin"}  # no DATABASE_URL, no keys, no directory


def govern(*args: str, **environment: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-c", "from govern.cli import main; main()", *args]
    return subprocess.run(
        command,
        cwd=REPO,
        env=UNCONFIGURED | environment,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_help_lists_the_commands_without_configuration_and_without_a_traceback() -> None:
    shown = govern("--help")
    assert shown.returncode == 0
    for group in ("accounts", "audit", "db", "directory", "deprovision", "training"):
        assert f"\n  {group} " in shown.stdout
    assert "Traceback" not in shown.stderr + shown.stdout


def test_a_command_without_configuration_says_what_to_set_in_one_line() -> None:
    refused = govern("db", "upgrade")
    assert refused.returncode == 1
    assert "Traceback" not in refused.stderr
    assert "DATABASE_URL: must be set" in refused.stderr and "[config.invalid]" in refused.stderr


def test_version_is_govern_s_and_needs_no_configuration() -> None:
    shown = govern("--version")
    assert shown.returncode == 0
    assert shown.stdout.strip() == f"Govern, version {version('govern')}"


def test_an_unknown_command_is_named_unknown_not_a_configuration_to_fix() -> None:
    refused = govern("frobnicate")
    assert refused.returncode == 2
    assert "No such command 'frobnicate'" in refused.stderr
    assert "config.invalid" not in refused.stderr and "Traceback" not in refused.stderr


def test_help_offers_only_govern_s_own_options() -> None:
    shown = govern("--help").stdout
    for flask_option in ("--app", "--debug", "--env-file", "Show the Flask version"):
        assert flask_option not in shown


def test_a_metrics_folder_that_is_not_there_is_named_in_one_line_and_help_still_works(
    tmp_path: Path,
) -> None:
    missing = str(tmp_path / "no-such-folder")
    assert govern("--help", PROMETHEUS_MULTIPROC_DIR=missing).returncode == 0
    assert govern("--version", PROMETHEUS_MULTIPROC_DIR=missing).returncode == 0
    refused = govern("accounts", "list", PROMETHEUS_MULTIPROC_DIR=missing)
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert f"PROMETHEUS_MULTIPROC_DIR: {missing} is not a folder" in refused.stderr


def test_a_progress_bar_ends_full_when_the_work_ended_well_and_stays_where_it_failed() -> None:
    with progress_bar("changes") as synced:
        synced.count(10)
        synced.advance(3)  # the other seven needed nothing
    assert synced.bar is not None and synced.bar.pos == 10
    with pytest.raises(RuntimeError), progress_bar("changes") as failed:
        failed.count(10)
        failed.advance(3)
        raise RuntimeError("the directory went away")
    assert failed.bar is not None and failed.bar.pos == 3
