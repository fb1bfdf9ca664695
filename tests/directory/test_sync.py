"""Directory sync against the real slapd: added, changed, gone, duplicates and the guard."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from flask import Flask
from sqlalchemy import select

from govern.cli import cli
from govern.directory.ldap import LdapDirectory
from govern.directory.models import Identity, IdentityChange
from tests.support.agency import Agency, bearer
from tests.support.staff import STAFF, LiveDirectory, Person


def run_sync(app: Flask, *args: str) -> tuple[int, str]:
    """Exit code and what the operator sees (stdout and stderr interleaved)."""
    result = app.test_cli_runner().invoke(cli, ["directory", "sync", *args])
    return result.exit_code, result.output


def identities(app: Flask) -> dict[str, Identity]:
    with app.extensions["govern"].sessions() as db:
        return {i.employee_number: i for i in db.scalars(select(Identity))}


def test_r_stf_2_first_sync_takes_every_identity_from_the_directory(app: Flask) -> None:
    code, output = run_sync(app, "--json")
    report = json.loads(output)
    assert code == 0
    assert report["outcome"] == "applied"
    assert sorted(report["added"]) == sorted(person.number for person in STAFF)
    assert set(identities(app)) == {person.number for person in STAFF}


def test_r_stf_2_a_second_sync_of_an_unchanged_directory_changes_nothing(app: Flask) -> None:
    run_sync(app)
    code, output = run_sync(app, "--json")
    report = json.loads(output)
    assert (code, report["added"], report["changed"], report["gone"]) == (0, [], {}, [])


def test_changed_uid_and_name_update_the_same_identity(
    app: Flask, directory: LiveDirectory
) -> None:
    run_sync(app)
    directory.set("col.a1", "cn", "马超然")
    directory.rename("col.a1", "col.a1.new")
    code, output = run_sync(app)
    assert code == 0
    assert "changed  1004: name, username" in output
    identity = identities(app)["1004"]
    assert (identity.username, identity.name) == ("col.a1.new", "马超然")


def test_duplicate_employee_numbers_stop_the_sync(app: Flask, directory: LiveDirectory) -> None:
    directory.add(Person("1004", "impostor", "冒名", "dept-b"))
    code, output = run_sync(app)
    assert code == 1
    assert "more than one entry with employee_number 1004" in output
    assert identities(app) == {}


def test_department_change_is_recorded_and_applies_from_the_next_request(
    agency: Agency, directory: LiveDirectory
) -> None:
    agency.with_accounts("col.a1")
    token = agency.login("col.a1")
    directory.set("col.a1", "departmentNumber", "dept-b")
    directory.set("col.a1", "governProjectGroup", "pg-b1")
    code, output = run_sync(agency.app)
    assert code == 0, output
    me = agency.client.get("/api/v1/sessions/current", headers=bearer(token)).get_json()
    assert me["department"] == "dept-b"
    with agency.services.sessions() as db:
        changes = db.scalars(
            select(IdentityChange).where(
                IdentityChange.employee_number == "1004", IdentityChange.attribute == "department"
            )
        )
        assert [(c.old_value, c.new_value) for c in changes] == [("dept-a", "dept-b")]


def test_a_run_removing_too_many_identities_is_held_until_confirmed(
    app: Flask, directory: LiveDirectory
) -> None:
    run_sync(app)
    directory.remove("clerk")  # 1 of 12 is over 5%
    code, output = run_sync(app)
    assert code == 3
    assert "HELD, nothing applied" in output
    assert identities(app)["1012"].gone_at is None
    code, output = run_sync(app, "--confirm")
    assert (code, "gone     1012" in output) == (0, True)
    assert identities(app)["1012"].gone_at is not None


def test_the_guard_counts_whichever_limit_comes_first(app: Flask, directory: LiveDirectory) -> None:
    services = app.extensions["govern"]
    app.extensions["govern"] = replace(
        services, settings=replace(services.settings, guard_percent=50, guard_count=1)
    )
    run_sync(app)
    directory.remove("clerk")
    assert run_sync(app)[0] == 0  # one removal: within both limits
    directory.remove("hr")
    directory.remove("it")
    assert run_sync(app)[0] == 3  # two removals: over the count, though under 50%


def test_dry_run_shows_what_would_change_and_changes_nothing(
    app: Flask, directory: LiveDirectory
) -> None:
    run_sync(app)
    directory.set("col.b1", "title", "高级催收员")
    code, output = run_sync(app, "--dry-run")
    assert code == 0
    assert "changed  1006: title" in output and "dry run, nothing applied" in output
    assert identities(app)["1006"].title == "催收员"


def test_an_empty_directory_answer_never_removes_the_agency(
    app: Flask, directory: LiveDirectory
) -> None:
    run_sync(app)
    services = app.extensions["govern"]
    empty = f"ou=empty,{directory.tree.base}"
    directory.add_unit(empty)
    for base in (empty, f"ou=missing,{directory.tree.base}"):
        settings = replace(services.settings, ldap_people_base=base)
        app.extensions["govern"] = replace(
            services, settings=settings, directory=LdapDirectory(settings)
        )
        code, output = run_sync(app, "--dry-run" if base == empty else "--confirm")
        if base == empty:
            assert (code, f"{len(STAFF)} gone" in output) == (0, True)  # a dry run shows the danger
            code, output = run_sync(app)
            assert (code, "HELD" in output) == (3, True)
        else:
            assert code == 1 and "did not answer" in output  # a missing base is an error
    assert all(identity.gone_at is None for identity in identities(app).values())


def test_the_periodic_sync_applies_like_the_command(app: Flask) -> None:
    from govern.directory.periodic_sync import run_sync as scheduled_sync

    scheduled_sync(app)
    assert len(identities(app)) == len(STAFF)


def test_a_held_periodic_sync_changes_nothing_and_says_why(
    app: Flask, directory: LiveDirectory, caplog
) -> None:
    from govern.directory.periodic_sync import run_sync as scheduled_sync

    run_sync(app)
    directory.remove("clerk")
    directory.remove("hr")
    scheduled_sync(app)
    assert all(identity.gone_at is None for identity in identities(app).values())
    assert "held: 2 removals exceed the guard" in caplog.text


def test_the_periodic_sync_runs_only_when_configured(app: Flask) -> None:
    from govern.directory.periodic_sync import start_periodic_sync

    assert start_periodic_sync(app) is None  # GOVERN_SYNC_INTERVAL_MINUTES=0
    services = app.extensions["govern"]
    app.extensions["govern"] = replace(
        services, settings=replace(services.settings, sync_interval_minutes=30)
    )
    scheduler = start_periodic_sync(app)
    try:
        job = scheduler.get_job("directory-sync")
        assert job.trigger.interval.total_seconds() == 1800
    finally:
        scheduler.shutdown(wait=False)


def test_r_stf_1_every_person_is_on_one_of_three_tracks_with_roles_beside_it(
    app: Flask, directory: LiveDirectory
) -> None:
    run_sync(app)
    tracks = {i.employee_number: (i.track, i.roles) for i in identities(app).values()}
    assert tracks["1010"] == ("intern", ["collector"])
    assert tracks["1002"] == ("management", ["department_head"])
    assert tracks["1007"] == ("ordinary", ["hr"])
    directory.set("col.a1", "governTrack", "senior")
    code, output = run_sync(app)
    assert code == 0, output
    assert "changed  1004: track" in output
    assert "track?   1004: the track attribute's value is not in" in output
    assert identities(app)["1004"].track == "unknown"  # never silently a trained track


@pytest.mark.postgresql_only
def test_only_one_instance_syncs_at_a_time(app: Flask) -> None:
    from sqlalchemy import func
    from sqlalchemy import select as sql_select

    from govern.directory.sync import SYNC_LOCK

    services = app.extensions["govern"]
    with services.sessions() as holder:
        assert holder.execute(sql_select(func.pg_try_advisory_xact_lock(SYNC_LOCK))).scalar()
        code, output = run_sync(app)
        assert (code, "[directory.sync_running]" in output) == (1, True)
    assert run_sync(app)[0] == 0


def test_departure_dates_moving_into_the_past_count_against_the_guard(
    app: Flask, directory: LiveDirectory
) -> None:
    """A wrongly mapped date attribute must not look like half the agency leaving."""
    run_sync(app)
    for username in ("col.a1", "col.a2"):
        directory.set(username, "governDepartureDate", "20260101000000Z")
    code, output = run_sync(app)
    assert code == 3 and "departed 1004" in output and "departed 1005" in output
    assert identities(app)["1004"].departure_date is None
    assert run_sync(app, "--confirm")[0] == 0
