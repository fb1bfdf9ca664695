"""Tracks read from a real directory's job titles through the track table (R-STF-1), and the
track `unknown` when an entry does not say, which never gets more than an intern (R-TRN-1)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from flask import Flask

from govern.config import REPO_POLICIES, TRACKS_FILE, Settings, load_tracks
from govern.directory.ldif import LdifDirectory
from tests.auditing.test_events import trail
from tests.directory.test_sync import identities, run_sync
from tests.support.agency import Agency, bearer
from tests.support.slapd import Slapd
from tests.support.staff import STAFF, LiveDirectory, Person, write_ldif

#: As another agency's directory holds them: no governTrack, only a title.
TITLES = {
    "gm": "管理骨干",
    "head.a": "管理骨干",
    "head.b": " 管理骨干 ",  # spaces around a value do not make another title
    "intern.a": "实习员工",
    "col.a2": "客服专员",  # a title the table does not know
}


def titled(person: Person) -> Person:
    return replace(person, track=None, title=TITLES.get(person.username, "普通员工"))


TITLED_STAFF = [titled(person) for person in STAFF]


@pytest.fixture
def directory(slapd: Slapd) -> Iterator[LiveDirectory]:
    live = LiveDirectory(slapd, TITLED_STAFF)
    yield live
    live.close()


@pytest.fixture
def settings(settings: Settings) -> Settings:
    _, tracks = load_tracks(REPO_POLICIES / TRACKS_FILE)
    return replace(
        settings, ldap_attributes={**settings.ldap_attributes, "track": "title"}, tracks=tracks
    )


def test_r_stf_1_tracks_come_from_the_job_title_through_the_track_table(app: Flask) -> None:
    code, output = run_sync(app, "--json")
    assert code == 0, output
    tracks = {number: identity.track for number, identity in identities(app).items()}
    assert (tracks["1010"], tracks["1002"], tracks["1003"], tracks["1004"]) == (
        "intern",
        "management",
        "management",
        "ordinary",
    )
    assert tracks["1005"] == "unknown"


def test_r_stf_1_the_ldif_directory_reads_titles_alike(
    settings: Settings, directory: LiveDirectory, tmp_path: Path
) -> None:
    path = tmp_path / "directory.ldif"
    write_ldif(path, directory.tree, TITLED_STAFF)
    people = {
        p.username: p.track
        for p in LdifDirectory(
            str(path), settings.ldap_attributes, settings.role_groups, settings.tracks
        ).people()
    }
    assert (people["intern.a"], people["head.b"], people["col.a1"], people["col.a2"]) == (
        "intern",
        "management",
        "ordinary",
        "unknown",
    )


def test_every_sync_names_the_people_whose_track_is_unknown_and_why(
    app: Flask, directory: LiveDirectory
) -> None:
    directory.set("col.b1", "title", None)  # no title at all
    directory.set_values("col.a1", "title", ["实习员工", "普通员工"])  # two tracks at once
    report = json.loads(run_sync(app, "--json")[1])
    assert report["track_unknown"] == {"1004": "ambiguous", "1005": "unmapped", "1006": "absent"}
    code, output = run_sync(app)  # nothing changed, and still named
    assert code == 0
    unmapped = "the track attribute's value is not in policies/directory/tracks.toml"
    assert f"track?   1005: {unmapped}" in output
    assert "track?   1006: the entry has no track attribute" in output
    assert "track?   1004: the track attribute's values name more than one track" in output


def test_the_trail_keeps_whose_track_is_unknown_never_their_titles(agency: Agency) -> None:
    synced = [e for e in trail(agency) if e["action"] == "directory.synced"]
    assert synced[-1]["details"]["track_unknown"] == ["1005"]
    assert "客服专员" not in str(synced)


def test_r_trn_1_an_unknown_track_is_in_training_like_an_intern(agency: Agency) -> None:
    """The account shows `track: unknown`, in training until the intern's certifications hold:
    never the silent `in_training: false` of a trained track."""
    ids = agency.with_accounts("col.a2", "col.a1", "intern.a")
    token = agency.login("head.a")
    shown = {
        who: agency.client.get(f"/api/v1/accounts/{ids[who]}", headers=bearer(token)).get_json()
        for who in ("col.a2", "col.a1", "intern.a")
    }
    assert {who: (a["track"], a["in_training"]) for who, a in shown.items()} == {
        "col.a2": ("unknown", True),
        "col.a1": ("ordinary", False),
        "intern.a": ("intern", True),
    }
