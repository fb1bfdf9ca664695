"""Settings from the environment, validated once at start-up.

Secrets come from the environment or from files outside the repository (`NAME_FILE`).
A missing or malformed setting stops the service with a message naming what to set.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

from govern.directory.departure import Departures
from govern.directory.person import TRACK_NAMES, TRACKS, TrackTable
from govern.errors import ConfigError

REPO_POLICIES = Path(__file__).resolve().parent.parent / "policies"

#: Directory attribute names by Govern field; `GOVERN_LDAP_ATTR_<FIELD>` overrides each.
DEFAULT_ATTRIBUTES = {
    "employee_number": "employeeNumber",
    "username": "uid",
    "name": "cn",
    "department": "departmentNumber",
    "project_group": "governProjectGroup",
    "title": "title",
    "track": "governTrack",
    "hire_date": "governHireDate",
    "departure_date": "governDepartureDate",
}

#: The track table, in the policies folder.
TRACKS_FILE = Path("directory") / "tracks.toml"

#: GOVERN_LOG_LEVEL and GOVERN_LOG_FORMAT (govern/operations/logs.py).
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
LOG_FORMATS = ("json", "text")
#: GOVERN_BACKGROUND_JOBS: where the background jobs run (govern/operations/worker.py).
BACKGROUND_JOBS = ("web", "worker")
#: The longest rule that applies to the trail keeps its events five years (docs/governance.md,
#: "Retention"); GOVERN_AUDIT_RETENTION_YEARS may lengthen it, never shorten it.
RETENTION_FLOOR_YEARS = 5

SECRET_VARIABLES = (
    "GOVERN_SECRET_KEY",
    "GOVERN_LDAP_BIND_PASSWORD",
    "GOVERN_LDAP_WRITER_PASSWORD",
    "GOVERN_METRICS_TOKEN",
)


class _Environment(Schema):
    class Meta:
        unknown = EXCLUDE

    database_url = fields.String(data_key="DATABASE_URL", required=True)
    migration_database_url = fields.String(data_key="GOVERN_MIGRATION_DATABASE_URL")
    directory_url = fields.String(data_key="GOVERN_DIRECTORY_URL", required=True)
    ldap_bind_dn = fields.String(data_key="GOVERN_LDAP_BIND_DN")
    ldap_bind_password = fields.String(data_key="GOVERN_LDAP_BIND_PASSWORD")
    ldap_ca_file = fields.String(data_key="GOVERN_LDAP_CA_FILE")
    ldap_writer_dn = fields.String(data_key="GOVERN_LDAP_WRITER_DN")
    ldap_writer_password = fields.String(data_key="GOVERN_LDAP_WRITER_PASSWORD")
    ldap_people_base = fields.String(data_key="GOVERN_LDAP_PEOPLE_BASE", load_default="")
    ldap_groups_base = fields.String(data_key="GOVERN_LDAP_GROUPS_BASE", load_default="")
    ldap_people_filter = fields.String(
        data_key="GOVERN_LDAP_PEOPLE_FILTER", load_default="(objectClass=inetOrgPerson)"
    )
    policies_dir = fields.String(data_key="GOVERN_POLICIES_DIR", load_default=str(REPO_POLICIES))
    demo = fields.Boolean(data_key="GOVERN_DEMO", load_default=False)
    secret_key = fields.String(
        data_key="GOVERN_SECRET_KEY", required=True, validate=validate.Length(min=32)
    )
    timezone = fields.String(data_key="GOVERN_TIMEZONE", load_default="Asia/Shanghai")
    revoke_at = fields.Time(data_key="GOVERN_REVOKE_AT", load_default=time(18, 0))
    guard_percent = fields.Float(
        data_key="GOVERN_GUARD_PERCENT", load_default=5.0, validate=validate.Range(0, 100)
    )
    guard_count = fields.Integer(
        data_key="GOVERN_GUARD_COUNT", load_default=20, validate=validate.Range(min=0)
    )
    session_hours = fields.Float(
        data_key="GOVERN_SESSION_HOURS", load_default=8.0, validate=validate.Range(min=0.01)
    )
    login_failures_per_user_and_client = fields.Integer(
        data_key="GOVERN_LOGIN_FAILURES_PER_USER_AND_CLIENT",
        load_default=5,
        validate=validate.Range(1),
    )
    login_failures_per_user = fields.Integer(
        data_key="GOVERN_LOGIN_FAILURES_PER_USER", load_default=20, validate=validate.Range(1)
    )
    login_usernames_per_client = fields.Integer(
        data_key="GOVERN_LOGIN_USERNAMES_PER_CLIENT", validate=validate.Range(1)
    )
    # The client limit's former name (when it counted failures) still sets it.
    login_failures_per_client = fields.Integer(
        data_key="GOVERN_LOGIN_FAILURES_PER_CLIENT", validate=validate.Range(1)
    )
    login_window_minutes = fields.Integer(
        data_key="GOVERN_LOGIN_WINDOW_MINUTES", load_default=15, validate=validate.Range(1)
    )
    sync_interval_minutes = fields.Integer(
        data_key="GOVERN_SYNC_INTERVAL_MINUTES", load_default=0, validate=validate.Range(min=0)
    )
    departure_watch_seconds = fields.Integer(
        data_key="GOVERN_DEPARTURE_WATCH_SECONDS",
        load_default=60,
        validate=validate.Range(1, 3600),
    )
    cookie_secure = fields.Boolean(data_key="GOVERN_COOKIE_SECURE", load_default=True)
    work_hours = fields.String(
        data_key="GOVERN_WORK_HOURS",
        load_default="08:00-20:00",
        validate=validate.Regexp(r"^\d{2}:\d{2}-\d{2}:\d{2}$", error="use HH:MM-HH:MM"),
    )
    bulk_views_per_hour = fields.Integer(
        data_key="GOVERN_BULK_VIEWS_PER_HOUR", load_default=60, validate=validate.Range(min=1)
    )
    investigation_max_debtors = fields.Integer(
        data_key="GOVERN_INVESTIGATION_MAX_DEBTORS",
        load_default=1000,
        validate=validate.Range(1, 100_000),
    )
    investigation_hours = fields.Integer(
        data_key="GOVERN_INVESTIGATION_HOURS", load_default=72, validate=validate.Range(1, 8760)
    )
    investigation_max_hours = fields.Integer(
        data_key="GOVERN_INVESTIGATION_MAX_HOURS",
        load_default=168,
        validate=validate.Range(1, 8760),
    )
    audit_query_seconds = fields.Float(
        data_key="GOVERN_AUDIT_QUERY_SECONDS",
        load_default=30.0,
        validate=validate.Range(min=0, min_inclusive=False, max=3600),
    )
    audit_retention_years = fields.Integer(
        data_key="GOVERN_AUDIT_RETENTION_YEARS", load_default=5, validate=validate.Range(max=100)
    )
    audit_key_file = fields.String(data_key="GOVERN_AUDIT_KEY_FILE", required=True)
    checkpoint_dir = fields.String(data_key="GOVERN_CHECKPOINT_DIR", required=True)
    data_keys_file = fields.String(data_key="GOVERN_DATA_KEYS_FILE", required=True)
    checkpoint_every = fields.Integer(
        data_key="GOVERN_CHECKPOINT_EVERY", load_default=1000, validate=validate.Range(min=1)
    )
    checkpoint_seconds = fields.Float(
        data_key="GOVERN_CHECKPOINT_SECONDS", load_default=1.0, validate=validate.Range(min=0.01)
    )
    proxy_hops = fields.Integer(
        data_key="GOVERN_PROXY_HOPS", load_default=0, validate=validate.Range(0, 5)
    )
    audit_gather_ms = fields.Float(
        data_key="GOVERN_AUDIT_GATHER_MS", load_default=2.0, validate=validate.Range(0, 50)
    )
    inactive_days = fields.Integer(
        data_key="GOVERN_INACTIVE_DAYS", load_default=90, validate=validate.Range(min=0)
    )
    exam_pass_mark = fields.Integer(
        data_key="GOVERN_EXAM_PASS_MARK", load_default=80, validate=validate.Range(1, 100)
    )
    leave_notice_hours = fields.Float(
        data_key="GOVERN_LEAVE_NOTICE_HOURS", load_default=12.0, validate=validate.Range(min=0)
    )
    recertify_days = fields.Integer(
        data_key="GOVERN_RECERTIFY_DAYS", load_default=0, validate=validate.Range(min=0)
    )
    feedback_months = fields.Integer(
        data_key="GOVERN_FEEDBACK_MONTHS", load_default=3, validate=validate.Range(1, 24)
    )
    probation_months = fields.Integer(
        data_key="GOVERN_PROBATION_MONTHS", load_default=6, validate=validate.Range(0, 24)
    )
    justification_min_chars = fields.Integer(
        data_key="GOVERN_JUSTIFICATION_MIN_CHARS", load_default=20, validate=validate.Range(1, 500)
    )
    complaint_days = fields.Integer(
        data_key="GOVERN_COMPLAINT_DAYS", load_default=3, validate=validate.Range(1, 90)
    )
    note_due_time = fields.Time(data_key="GOVERN_NOTE_DUE_TIME", load_default=time(18, 0))
    telephony_key_file = fields.String(data_key="GOVERN_TELEPHONY_KEY_FILE")
    contact_permit_minutes = fields.Integer(
        data_key="GOVERN_CONTACT_PERMIT_MINUTES", load_default=15, validate=validate.Range(1, 1440)
    )
    log_level = fields.String(
        data_key="GOVERN_LOG_LEVEL",
        load_default="INFO",
        validate=validate.OneOf([*LOG_LEVELS, *(level.lower() for level in LOG_LEVELS)]),
    )
    log_format = fields.String(
        data_key="GOVERN_LOG_FORMAT", load_default="json", validate=validate.OneOf(LOG_FORMATS)
    )
    background_jobs = fields.String(
        data_key="GOVERN_BACKGROUND_JOBS",
        load_default="web",
        validate=validate.OneOf(BACKGROUND_JOBS),
    )
    metrics_token = fields.String(
        data_key="GOVERN_METRICS_TOKEN", validate=validate.Length(min=32, max=1024)
    )


@dataclass(frozen=True)
class SignInLimits:
    """What sign-in's failed-login limits take of the settings (docs/security.md, "Sign-in
    limits"): the window, and the most failures counted in it per username and client address,
    per username, and usernames per client address."""

    window_minutes: int
    per_user_and_client: int
    per_user: int
    usernames_per_client: int


@dataclass(frozen=True)
class Settings:
    database_url: str
    migration_database_url: str
    directory_url: str
    secret_key: str
    audit_key_file: Path
    checkpoint_dir: Path
    data_keys_file: Path
    ldap_bind_dn: str | None = None
    ldap_bind_password: str | None = None
    ldap_ca_file: str | None = None
    ldap_writer_dn: str | None = None  # set: departed people's entries are locked (ppolicy)
    ldap_writer_password: str | None = None
    ldap_people_base: str = ""
    ldap_groups_base: str = ""
    ldap_people_filter: str = "(objectClass=inetOrgPerson)"
    ldap_attributes: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_ATTRIBUTES))
    role_groups: Mapping[str, str] = field(default_factory=dict)
    tracks: TrackTable = TRACK_NAMES  # directory value → track (policies/directory/tracks.toml)
    policies_dir: Path = REPO_POLICIES
    demo: bool = False
    timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Shanghai"))
    revoke_at: time = time(18, 0)
    guard_percent: float = 5.0
    guard_count: int = 20
    session_hours: float = 8.0
    login_failures_per_user_and_client: int = 5  # one username from one client address
    login_failures_per_user: int = 20  # one username from anywhere
    login_usernames_per_client: int = 30  # distinct usernames failing from one client address
    login_window_minutes: int = 15
    sync_interval_minutes: int = 0
    # how often the scheduler's watch revokes what is due by Govern's clock and plans the jobs
    # of dates from elsewhere: the most a departure waits after the host's clock is stepped
    # past its instant (docs/operations.md)
    departure_watch_seconds: int = 60
    cookie_secure: bool = True
    proxy_hops: int = 0
    checkpoint_every: int = 1000
    checkpoint_seconds: float = 1.0
    work_hours: tuple[time, time] = (time(8, 0), time(20, 0))
    bulk_views_per_hour: int = 60
    # an investigation that opens debtors' fields: at most this many debtors, open this long
    # after its approval by default and at most (docs/audit.md)
    investigation_max_debtors: int = 1000
    investigation_hours: int = 72
    investigation_max_hours: int = 168
    audit_query_seconds: float = 30.0  # an auditor's query is stopped after this long (503)
    # audit events are kept at least this long, never less than RETENTION_FLOOR_YEARS
    audit_retention_years: int = 5
    audit_gather_ms: float = 2.0  # a read's event waits this long for others to share its commit
    inactive_days: int = 90  # an account unused this long is suspended (PCI DSS 8.2.6); 0: off
    exam_pass_mark: int = 80
    leave_notice_hours: float = 12.0
    recertify_days: int = 0  # 0: a passed exam never expires (the policy is silent)
    feedback_months: int = 3
    probation_months: int = 6
    justification_min_chars: int = 20  # a written justification, after trimming (break glass, …)
    complaint_days: int = 3  # a complaint case's deadline, in calendar days after it opens
    note_due_time: time = time(18, 0)  # a call's note is due by then, company time (R-NTE-1)
    # the key the telephone system signs its call records with (POST /api/v1/calls); unset:
    # that route refuses every report (503 telephony.not_configured)
    telephony_key_file: Path | None = None
    # the contact guard's allow counts as an unanswered outbound attempt until its call is
    # reported or this many minutes pass
    contact_permit_minutes: int = 15
    log_level: str = "INFO"  # GOVERN_LOG_LEVEL
    log_format: str = "json"  # GOVERN_LOG_FORMAT: json (one object a line) or text (a terminal)
    # GOVERN_BACKGROUND_JOBS: "web" (in each served process: the demo's one process) or
    # "worker" (in `govern worker` only; served processes answer requests and nothing else)
    background_jobs: str = "web"
    # GOVERN_METRICS_TOKEN: the Bearer token GET /metrics asks for; unset, only a client on a
    # loopback address is answered (govern/operations/metrics.py)
    metrics_token: str | None = field(default=None, repr=False)

    @property
    def departures(self) -> Departures:
        """What the departure rules take of the settings: GOVERN_REVOKE_AT and the zone."""
        return Departures(self.revoke_at, self.timezone)

    @property
    def sign_in_limits(self) -> SignInLimits:
        """What sign-in's limits take of the settings: the GOVERN_LOGIN_* values."""
        return SignInLimits(
            self.login_window_minutes,
            self.login_failures_per_user_and_client,
            self.login_failures_per_user,
            self.login_usernames_per_client,
        )


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Read and validate the settings. Raises ConfigError naming the variable to set."""
    env = _with_secret_files(dict(os.environ if environ is None else environ))
    try:
        values = _Environment().load(env)
    except ValidationError as error:
        raise ConfigError("config.invalid", _describe(error.messages)) from None
    values.setdefault("migration_database_url", values["database_url"])
    old_client_limit = values.pop("login_failures_per_client", 30)
    values.setdefault("login_usernames_per_client", old_client_limit)
    values["timezone"] = _zone(values["timezone"])
    values["log_level"] = values["log_level"].upper()
    values["policies_dir"] = Path(values["policies_dir"])
    values["work_hours"] = _hours(values["work_hours"])
    values["audit_key_file"] = Path(values["audit_key_file"])
    values["checkpoint_dir"] = Path(values["checkpoint_dir"])
    values["data_keys_file"] = Path(values["data_keys_file"])
    if values.get("telephony_key_file"):
        values["telephony_key_file"] = Path(values["telephony_key_file"])
    else:
        values.pop("telephony_key_file", None)
    values["role_groups"] = load_role_groups(values["policies_dir"] / "roles.toml")
    track_attribute, values["tracks"] = load_tracks(values["policies_dir"] / TRACKS_FILE)
    values["ldap_attributes"] = _attributes(env, track_attribute)
    if values["audit_retention_years"] < RETENTION_FLOOR_YEARS:
        raise ConfigError(
            "config.audit_retention",
            f"GOVERN_AUDIT_RETENTION_YEARS: {values['audit_retention_years']} is shorter than "
            f"the {RETENTION_FLOOR_YEARS} years the longest rule that applies keeps audit events",
        )
    if values["investigation_hours"] > values["investigation_max_hours"]:
        raise ConfigError(
            "config.invalid",
            "GOVERN_INVESTIGATION_HOURS: the default is longer than GOVERN_INVESTIGATION_MAX_HOURS",
        )
    return Settings(**values)


def database_urls(environ: Mapping[str, str] | None = None) -> tuple[str, str]:
    """(owner URL, service URL): all that `govern db upgrade` and `db current` need, so they
    work before the directory, keys and secrets are configured."""
    env = dict(os.environ if environ is None else environ)
    service = env.get("DATABASE_URL")
    if not service:
        raise ConfigError("config.invalid", _describe({"DATABASE_URL": "Missing data"}))
    return env.get("GOVERN_MIGRATION_DATABASE_URL") or service, service


def load_role_groups(path: Path) -> dict[str, str]:
    """Role → directory group, from `roles.toml` in the policies folder."""
    return dict(load_policy(path).get("groups", {}))


def load_tracks(path: Path) -> tuple[str, TrackTable]:
    """The directory attribute naming a person's track and its value table, from
    `directory/tracks.toml`. Raises ConfigError naming the file and the wrong entry."""
    policy = load_policy(path)
    attribute, values = policy.get("attribute"), policy.get("values")
    problems = []
    if not isinstance(attribute, str) or not attribute.strip():
        problems.append("attribute must name a directory attribute")
    if not isinstance(values, dict) or not values:
        problems.append("[values] must map at least one directory value to a track")
    else:
        problems += [
            f"values.{value!r} = {track!r} is not one of {', '.join(TRACKS)}"
            for value, track in values.items()
            if track not in TRACKS or not value.strip()
        ]
    if problems:
        raise ConfigError("config.tracks", f"{path}: {'; '.join(problems)}")
    return attribute.strip(), TrackTable(values)  # type: ignore[union-attr, arg-type]


def load_policy(path: Path) -> dict[str, Any]:
    """One TOML file of the policies folder. Raises ConfigError naming GOVERN_POLICIES_DIR."""
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise ConfigError(
            "config.policies",
            f"Cannot read policy file {path} ({error}); set GOVERN_POLICIES_DIR to the "
            "folder holding Govern's policies (policies/ in the source tree)",
        ) from None


def _with_secret_files(env: dict[str, str]) -> dict[str, str]:
    for name in SECRET_VARIABLES:
        path = env.get(f"{name}_FILE")
        if path and name not in env:
            try:
                env[name] = Path(path).read_text(encoding="utf-8").strip()
            except OSError as error:
                raise ConfigError(
                    "config.secret_file", f"Cannot read {name}_FILE: {error}"
                ) from None
    return env


def _attributes(env: Mapping[str, str], track_attribute: str) -> dict[str, str]:
    defaults = DEFAULT_ATTRIBUTES | {"track": track_attribute}
    return {
        name: env.get(f"GOVERN_LDAP_ATTR_{name.upper()}", default)
        for name, default in defaults.items()
    }


def _hours(text: str) -> tuple[time, time]:
    try:
        start, end = (time.fromisoformat(part) for part in text.split("-"))
    except ValueError:
        raise ConfigError(
            "config.invalid", f"GOVERN_WORK_HOURS: {text!r} is not HH:MM-HH:MM"
        ) from None
    return start, end


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            "config.invalid", f"GOVERN_TIMEZONE: unknown time zone {name!r}"
        ) from None


def _describe(messages: Mapping[str, object]) -> str:
    parts = []
    for name, problems in sorted(messages.items()):
        text = "; ".join(problems) if isinstance(problems, list) else str(problems)
        if "Missing data" in text:
            text = "must be set" + (f" (or {name}_FILE)" if name in SECRET_VARIABLES else "")
        parts.append(f"{name}: {text}")
    return "Check the configuration: " + ", ".join(parts)
