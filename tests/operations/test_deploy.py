"""The deploy recipe's files (docs/deploy.md) hold together: the systemd units pass
`systemd-analyze verify` and give gunicorn longer than its grace to drain, gunicorn's settings
are the ones the docs name, the nginx example points at gunicorn's address, and the
Containerfile installs Govern from pyproject.toml (no image is built here)."""

from __future__ import annotations

import configparser
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from gunicorn.config import Config

from tests.support.tls import self_signed

REPO = Path(__file__).resolve().parents[2]
UNITS = REPO / "deploy" / "systemd"
INSTALLED_BIN = "/opt/govern/venv/bin/"


def gunicorn_settings() -> Config:
    """gunicorn.conf.py as gunicorn reads it."""
    values: dict[str, object] = {"__file__": str(REPO / "gunicorn.conf.py")}
    exec(compile((REPO / "gunicorn.conf.py").read_text(), "gunicorn.conf.py", "exec"), values)
    config = Config()
    for name, value in values.items():
        if name in config.settings:
            config.set(name, value)
    return config


def unit(name: str) -> configparser.SectionProxy:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys keep their case
    parser.read(UNITS / name)
    return parser["Service"]


def test_the_systemd_units_pass_systemd_analyze_verify(tmp_path: Path) -> None:
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze is missing here (apt-get install systemd): units not verified")
    # verify checks that each command exists: point them at this installation's.
    here = str(Path(sys.executable).parent) + "/"
    for path in UNITS.iterdir():
        (tmp_path / path.name).write_text(path.read_text().replace(INSTALLED_BIN, here))
    checked = subprocess.run(
        ["systemd-analyze", "verify", *sorted(str(p) for p in tmp_path.iterdir())],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (checked.returncode, checked.stdout + checked.stderr) == (0, "")


def test_the_units_run_the_web_and_the_worker_and_let_them_drain() -> None:
    web, worker = unit("govern-web.service"), unit("govern-worker.service")
    assert shlex.split(web["ExecStart"]) == [
        f"{INSTALLED_BIN}gunicorn",
        "--config",
        "/etc/govern/gunicorn.conf.py",
    ]
    assert shlex.split(worker["ExecStart"]) == [f"{INSTALLED_BIN}govern", "worker"]
    assert web["EnvironmentFile"] == worker["EnvironmentFile"] == "/etc/govern/govern.env"
    assert int(web["TimeoutStopSec"]) > gunicorn_settings().graceful_timeout
    assert web["KillSignal"] == worker["KillSignal"] == "SIGTERM"


def test_a_daily_timer_verifies_the_trail_as_the_service_and_fails_on_a_broken_one() -> None:
    verify, worker = unit("govern-verify.service"), unit("govern-worker.service")
    assert shlex.split(verify["ExecStart"]) == [f"{INSTALLED_BIN}govern", "audit", "verify"]
    assert verify["Type"] == "oneshot"  # its exit status is the unit's: 1 when tampered
    assert (verify["User"], verify["EnvironmentFile"]) == ("govern", worker["EnvironmentFile"])
    assert verify["StateDirectory"] == "govern"  # the metrics folder is writable: it is counted
    timer = configparser.ConfigParser(strict=False, interpolation=None)
    timer.read(UNITS / "govern-verify.timer")
    assert timer["Timer"]["Unit"] == "govern-verify.service"
    assert timer["Timer"]["Persistent"] == "true"  # a day missed while off runs at boot


def test_every_unit_runs_without_capabilities_or_privileged_system_calls() -> None:
    for name in ("govern-web.service", "govern-worker.service", "govern-verify.service"):
        service = unit(name)
        assert service["CapabilityBoundingSet"] == "", name
        assert service["SystemCallFilter"] == "@system-service", name
        assert service["ProtectSystem"] == "strict" and service["NoNewPrivileges"] == "yes", name


def test_gunicorn_conf_serves_govern_on_the_loopback_with_the_documented_limits() -> None:
    config = gunicorn_settings()
    assert config.wsgi_app == "govern.wsgi:app"
    assert config.bind == ["127.0.0.1:8000"]
    assert (config.worker_class_str, config.workers, config.threads) == ("gthread", 2, 8)
    assert config.graceful_timeout < config.timeout
    assert config.accesslog is None  # Govern's own access line carries the request id
    assert "%({x-request-id}o)s" in config.access_log_format
    assert config.worker_exit.__module__ != "gunicorn.config"  # Govern's hook, not the default


def test_the_nginx_example_proxies_to_gunicorn_and_passes_what_govern_reads() -> None:
    text = (REPO / "deploy" / "nginx" / "govern.conf").read_text()
    assert f"server {gunicorn_settings().bind[0]};" in text
    for header in ("X-Forwarded-For", "X-Forwarded-Proto", "X-Request-Id"):
        assert f"proxy_set_header {header} " in text
    assert "GOVERN_PROXY_HOPS=1" in text


def test_debian_s_nginx_accepts_the_example(tmp_path: Path) -> None:
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(nginx).exists():
        pytest.skip("nginx is missing here (apt-get install nginx): the example not checked")
    cert, key = self_signed(tmp_path)
    example = (REPO / "deploy" / "nginx" / "govern.conf").read_text()
    mine = example.replace("/etc/ssl/govern/fullchain.pem", str(cert))
    (tmp_path / "govern.conf").write_text(mine.replace("/etc/ssl/govern/privkey.pem", str(key)))
    (tmp_path / "nginx.conf").write_text(
        f"error_log stderr; pid {tmp_path}/nginx.pid; events {{}}\n"
        f"http {{ include {tmp_path}/govern.conf; }}\n"
    )
    checked = subprocess.run(
        [nginx, "-t", "-q", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (checked.returncode, checked.stderr) == (0, "")


def test_the_recipe_s_environment_file_is_read_by_systemd_as_written() -> None:
    """`EnvironmentFile=` keeps a comment after a value as part of the value: comments stand
    on lines of their own, and every variable is one Govern (or prometheus-client) reads."""
    text = (REPO / "docs" / "deploy.md").read_text()
    block = text.split("# /etc/govern/govern.env\n", 1)[1].split("```", 1)[0]
    lines = [line for line in block.splitlines() if line and not line.startswith("#")]
    assert lines and all(re.fullmatch(r"[A-Z_]+=\S+", line) for line in lines), lines
    readme = (REPO / "README.md").read_text()
    names = [line.split("=")[0] for line in lines]
    unknown = [name for name in names if f"`{name}`" not in readme]
    assert [name for name in unknown if f"`{name.removesuffix('_FILE')}`" not in readme] == []


def instructions(path: Path) -> list[tuple[str, str]]:
    """A Containerfile's instructions, continuation lines joined, comments dropped."""
    joined = path.read_text().replace("\\\n", " ")
    lines = [line.strip() for line in joined.splitlines()]
    return [
        (line.split(maxsplit=1)[0].upper(), line.split(maxsplit=1)[1])
        for line in lines
        if line and not line.startswith("#")
    ]


def test_the_containerfile_installs_govern_from_pyproject() -> None:
    steps = instructions(REPO / "Containerfile")
    project = tomllib.loads((REPO / "pyproject.toml").read_text())
    python = steps[0][1].split(":")[-1].split("-")[0]
    assert steps[0][0] == "FROM"
    assert f">={python}" == project["project"]["requires-python"]
    copied = [arguments.split()[0] for kind, arguments in steps if kind == "COPY"]
    assert "pyproject.toml" in copied
    packages = project["tool"]["setuptools"]["packages"]["find"]["include"]
    assert {name.rstrip("*") for name in packages} <= set(copied)
    assert all((REPO / source).exists() for source in copied)
    installs = [arguments for kind, arguments in steps if kind == "RUN" and "pip" in arguments]
    assert installs == ["pip install . && rm -rf /opt/govern/src/build"]  # pins: pyproject's
    environment = " ".join(arguments for kind, arguments in steps if kind == "ENV")
    assert "GOVERN_POLICIES_DIR=/etc/govern/policies" in environment
    assert steps[-1][0] == "CMD" and "/etc/govern/gunicorn.conf.py" in steps[-1][1]
