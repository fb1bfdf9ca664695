"""One contract, two directories: the real slapd and the demo's LDIF file answer alike."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from govern.config import Settings
from govern.directory.ldap import LdapDirectory
from govern.directory.ldif import LdifDirectory
from govern.directory.source import Directory, DirectoryUnavailable, EntryLocks
from tests.support.slapd import WRITER_DN, Slapd
from tests.support.staff import BY_USERNAME, STAFF, LiveDirectory, write_ldif


@pytest.fixture(params=["ldap", "ldif"])
def any_directory(
    request: pytest.FixtureRequest, settings: Settings, directory: LiveDirectory, tmp_path: Path
) -> Directory:
    if request.param == "ldap":
        return LdapDirectory(settings)
    path = tmp_path / "directory.ldif"
    write_ldif(path, directory.tree, STAFF)
    return LdifDirectory(str(path), settings.ldap_attributes, settings.role_groups)


def test_people_carry_every_synced_field(any_directory: Directory) -> None:
    people = {person.username: person for person in any_directory.people()}
    assert set(people) == {person.username for person in STAFF}
    head = people["head.a"]
    assert (head.employee_number, head.name, head.department, head.project_group) == (
        "1002",
        "周敏",
        "dept-a",
        "pg-a1",
    )
    assert head.track == "management"
    assert head.hire_date == date(2024, 1, 1)
    assert head.roles == ("department_head",)
    assert people["left.a"].departure_date == date(2026, 6, 30)
    assert people["col.a1"].roles == ("collector",)


def test_r_acc_5_the_right_password_names_the_employee(any_directory: Directory) -> None:
    person = BY_USERNAME["col.a1"]
    assert any_directory.authenticate("col.a1", person.password) == "1004"


@pytest.mark.parametrize("spelling", ["COL.A1", "Col.A1", "ｃｏｌ.ａ１", " col.a1 "])  # noqa: RUF001
def test_usernames_match_as_the_directory_matches_them(
    any_directory: Directory, spelling: str
) -> None:
    """caseIgnoreMatch: case, full-width forms and outer spaces do not make another user."""
    assert any_directory.authenticate(spelling, BY_USERNAME["col.a1"].password) == "1004"


@pytest.mark.parametrize(
    ("username", "password"),
    [
        ("col.a1", "wrong"),
        ("nobody", "col.a1-secret"),
        ("col.a1", ""),  # an empty password is an anonymous bind in LDAP: never a login
        ("", ""),
        ("col.a1*", "col.a1-secret"),  # filter characters are escaped, not expanded
    ],
)
def test_r_acc_5_wrong_credentials_name_nobody(
    any_directory: Directory, username: str, password: str
) -> None:
    assert any_directory.authenticate(username, password) is None


def test_a_working_directory_answers_the_readiness_bind(any_directory: Directory) -> None:
    any_directory.answers()  # raises DirectoryUnavailable when it does not


def test_a_directory_refusing_the_service_account_does_not_answer(settings: Settings) -> None:
    wrong = LdapDirectory(replace(settings, ldap_bind_password="not-the-password"))
    with pytest.raises(DirectoryUnavailable):
        wrong.answers()


def test_plain_ldap_is_refused_except_to_loopback(settings: Settings) -> None:
    from govern.errors import ConfigError

    for url in ("ldap://directory.example.com", "ldap://192.0.2.10:389"):
        with pytest.raises(ConfigError) as refused:
            LdapDirectory(replace(settings, directory_url=url))
        assert refused.value.code == "config.plain_ldap"
    LdapDirectory(replace(settings, directory_url="ldaps://directory.example.com"))
    LdapDirectory(replace(settings, directory_url="ldap://localhost:3890"))


def test_ldaps_refuses_a_server_whose_certificate_it_cannot_trust(
    settings: Settings, tmp_path: Path
) -> None:
    from govern.directory.source import DirectoryUnavailable
    from tests.support.tls import self_signed_listener

    with self_signed_listener(tmp_path) as (port, received):
        directory = LdapDirectory(replace(settings, directory_url=f"ldaps://127.0.0.1:{port}"))
        with pytest.raises(DirectoryUnavailable):
            directory.authenticate("col.a1", "col.a1-secret")
    assert not any(settings.ldap_bind_password.encode() in chunk for chunk in received)


def test_r_acc_4_the_writer_locks_many_entries_at_once_each_on_its_own(
    settings: Settings, directory: LiveDirectory, slapd: Slapd, tmp_path: Path
) -> None:
    """One call for a sweep's batch: the entries found are locked, a number the directory
    does not have (or has twice) is left alone, and a writer the directory refuses fails
    them all, each named, without raising."""
    directory.set("col.b1", "employeeNumber", "1005")  # now two entries say 1005
    writer = replace(settings, ldap_writer_dn=WRITER_DN, ldap_writer_password="wrong")
    refused = LdapDirectory(writer).disable_all(["1004", "1007"])
    assert (refused.locked, refused.failed) == (frozenset(), {"1004", "1007"})
    writer = replace(writer, ldap_writer_password=slapd.writer_password)
    locks = LdapDirectory(writer).disable_all(["1004", "1005", "1007", "9999"])
    assert (locks.locked, locks.failed) == ({"1004", "1007"}, frozenset())
    reader = LdapDirectory(settings)
    assert reader.authenticate("col.a1", "col.a1-secret") is None
    assert reader.authenticate("hr", "hr-secret") is None
    assert reader.authenticate("col.a2", "col.a2-secret") == "1005"  # one of the two: untouched
    path = tmp_path / "directory.ldif"
    write_ldif(path, directory.tree, STAFF)
    demo = LdifDirectory(str(path), settings.ldap_attributes, settings.role_groups)
    assert demo.disable_all(["1004"]) == EntryLocks()  # the demo's directory is read-only
