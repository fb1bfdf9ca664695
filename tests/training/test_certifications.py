"""Certifications, the intern's training status and the confidentiality agreement
(R-TRN-1, R-TRN-8, R-STF-1)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

from govern.training.certifications import training_status, training_statuses
from tests.training.conftest import Desk

REPO_POLICIES = Path(__file__).resolve().parents[2] / "policies"
INTERN_EXAMS = ("SYS-USE", "SKL-LAW", "SKL-CONFIDENTIALITY", "CMP-CONDUCT")


def holding(desk: Desk, who: str) -> dict[str, bool]:
    return {c["name"]: c["holds"] for c in desk.certifications(who)["certifications"]}


def sign(desk: Desk, who: str, version: str = "2026-1") -> tuple[int, dict]:
    return desk.call(
        "POST", "/api/v1/agreements/confidentiality/signatures", who, json={"version": version}
    )


def test_r_trn_1_an_intern_is_in_training_until_every_intern_certification_holds(
    desk: Desk,
) -> None:
    intern = desk.ids["intern.a"]
    status, account = desk.call("GET", f"/api/v1/accounts/{intern}", "head.a")
    assert (status, account["track"], account["in_training"]) == (200, "intern", True)
    for course in INTERN_EXAMS:
        assert desk.result(course, "intern.a", 90)[0] == 201
    status = desk.certifications("intern.a")
    assert status["in_training"] is True  # the agreement is not signed yet
    confidentiality = next(c for c in status["certifications"] if c["name"] == "confidentiality")
    assert confidentiality["missing"] == ["agreement.confidentiality.unsigned"]

    sign(desk, "intern.a")
    assert desk.certifications("intern.a")["in_training"] is False
    assert desk.call("GET", f"/api/v1/accounts/{intern}", "intern.a")[1]["in_training"] is False


def test_r_stf_1_the_track_comes_from_the_directory_and_only_interns_are_in_training(
    desk: Desk,
) -> None:
    # Nobody has passed anything yet: only the intern is in training.
    tracks = {
        who: (desk.certifications(who)["track"], desk.certifications(who)["in_training"])
        for who in ("intern.a", "col.a1", "head.a")
    }
    assert tracks == {
        "intern.a": ("intern", True),
        "col.a1": ("ordinary", False),
        "head.a": ("management", False),
    }


def test_a_certification_shows_since_when_and_what_is_missing(desk: Desk) -> None:
    desk.result("CMP-CONDUCT", "col.a1", 70)
    compliance = next(
        c for c in desk.certifications("col.a1")["certifications"] if c["name"] == "compliance"
    )
    assert (compliance["holds"], compliance["missing"]) == (False, ["exam.CMP-CONDUCT.failed"])
    desk.clock.advance(days=3)
    desk.result("CMP-CONDUCT", "col.a1", 81)
    compliance = next(
        c for c in desk.certifications("col.a1")["certifications"] if c["name"] == "compliance"
    )
    assert compliance == {
        "name": "compliance",
        "title": "业务合规（§13）",
        "holds": True,
        "since": "2026-12-01T02:00:00+00:00",
        "until": None,  # recertification is off by default
        "missing": [],
    }
    desk.clock.advance(days=30)
    desk.result("CMP-CONDUCT", "col.a1", 95)  # passing again: held since the first pass
    compliance = next(
        c for c in desk.certifications("col.a1")["certifications"] if c["name"] == "compliance"
    )
    assert compliance["since"] == "2026-12-01T02:00:00+00:00"


def test_annual_recertification_when_configured_makes_a_pass_lapse(
    desk_with: Callable[..., Desk],
) -> None:
    yearly = desk_with(recertify_days=365)
    yearly.result("CMP-CONDUCT", "col.a1", 90)

    def compliance() -> dict:
        found = yearly.certifications("col.a1")["certifications"]
        return next(c for c in found if c["name"] == "compliance")

    assert compliance()["until"] == "2027-11-28T02:00:00+00:00"
    yearly.clock.advance(days=365)
    assert (compliance()["holds"], compliance()["missing"]) == (
        False,
        ["exam.CMP-CONDUCT.expired"],
    )


def test_certifications_are_visible_to_the_person_their_head_and_training_staff_only(
    desk: Desk,
) -> None:
    path = f"/api/v1/accounts/{desk.ids['col.a1']}/certifications"
    assert desk.call("GET", path, "head.a")[0] == 200
    assert desk.call("GET", path, "trainer")[0] == 200
    status, body = desk.call("GET", path, "col.a2")
    assert (status, body["error"]["code"]) == (403, "training.not_visible")
    status, body = desk.call("GET", path, "head.b")
    assert (status, body["error"]["code"]) == (403, "training.not_visible")
    status, body = desk.call("GET", path, "it")  # IT sees accounts, not training records
    assert (status, body["error"]["code"]) == (403, "training.not_visible")


def test_r_trn_8_staff_read_and_sign_the_confidentiality_agreement(desk: Desk) -> None:
    status, agreement = desk.call("GET", "/api/v1/agreements/confidentiality", "col.a1")
    assert (status, agreement["version"], agreement["signed_at"]) == (200, "2026-1", None)
    assert "保密" in agreement["text"]
    status, signature = sign(desk, "col.a1")
    assert (status, signature["version"], signature["signed_at"]) == (
        201,
        "2026-1",
        "2026-11-28T02:00:00+00:00",
    )
    assert sign(desk, "col.a1")[0] == 200  # signing twice changes nothing
    status, body = sign(desk, "col.a1", "2025-9")
    assert (status, body["error"]["code"]) == (409, "agreement.outdated")
    status, agreement = desk.call("GET", "/api/v1/agreements/confidentiality", "col.a1")
    assert agreement["signed_at"] == "2026-11-28T02:00:00+00:00"
    events = desk.events("agreement.signed")
    assert [(e["actor"], e["details"]["version"]) for e in events] == [
        (desk.ids["col.a1"], "2026-1")
    ]


def test_r_trn_8_a_new_agreement_version_must_be_signed_again(
    desk: Desk, desk_with: Callable[..., Desk], tmp_path: Path
) -> None:
    desk.result("SKL-CONFIDENTIALITY", "col.a1", 90)
    sign(desk, "col.a1")
    assert holding(desk, "col.a1")["confidentiality"] is True

    policies = tmp_path / "policies"
    shutil.copytree(REPO_POLICIES, policies)
    catalogue = policies / "training" / "catalogue.toml"
    text = catalogue.read_text(encoding="utf-8")
    text = text.replace('current = "2026-1"', 'current = "2027-1"').replace(
        "[agreements.confidentiality.versions]\n",
        '[agreements.confidentiality.versions]\n"2027-1" = "保密协议（第 2027-1 版）"\n',
    )
    catalogue.write_text(text, encoding="utf-8")
    renewed = desk_with(policies_dir=policies)
    confidentiality = next(
        c
        for c in renewed.certifications("col.a1")["certifications"]
        if c["name"] == "confidentiality"
    )
    assert confidentiality["missing"] == ["agreement.confidentiality.outdated"]
    assert sign(renewed, "col.a1", "2027-1")[0] == 201
    assert holding(renewed, "col.a1")["confidentiality"] is True


def test_who_sees_everyones_training_records_is_the_roles_policy(
    desk: Desk, desk_with: Callable[..., Desk], tmp_path: Path
) -> None:
    """roles.toml [company_wide] training: a role taken off it sees only what a head or the
    person would (the set used to be Python; now it is data read at start-up)."""
    policies = tmp_path / "policies"
    shutil.copytree(REPO_POLICIES, policies)
    roles = policies / "roles.toml"
    text = roles.read_text(encoding="utf-8")
    roles.write_text(text.replace('training = ["office", "trainer",', 'training = ["office",'))
    path = f"/api/v1/accounts/{desk.ids['col.a1']}/certifications"
    assert desk.call("GET", path, "trainer")[0] == 200
    status, body = desk_with(policies_dir=policies).call("GET", path, "trainer")
    assert (status, body["error"]["code"]) == (403, "training.not_visible")


def test_many_accounts_statuses_at_once_are_each_accounts_own_status(desk: Desk) -> None:
    """The batched read (a list page's rows) answers what one account at a time answers:
    a pass, a failure then a pass, a signature, an intern, nothing at all."""
    for course in INTERN_EXAMS:
        desk.result(course, "intern.a", 90)
    sign(desk, "intern.a")
    desk.result("CMP-CONDUCT", "col.a1", 70)
    desk.clock.advance(days=1)
    desk.result("CMP-CONDUCT", "col.a1", 85)
    desk.result("SKL-LAW", "col.a2", 95)
    sign(desk, "col.b1")
    ids = [desk.ids[who] for who in ("intern.a", "col.a1", "col.a2", "col.b1", "head.a", "gm")]
    s = desk.agency.services
    with s.sessions() as db:
        one_by_one = {
            account_id: training_status(db, s.context(), account_id) for account_id in ids
        }
        at_once = training_statuses(db, s.context(), [*ids, "GV-9999-9999"])
        assert training_statuses(db, s.context(), []) == {}
    assert at_once == one_by_one
    assert at_once[desk.ids["intern.a"]].in_training is False
    assert at_once[desk.ids["col.a1"]].holds("compliance")
    assert not at_once[desk.ids["gm"]].holds("compliance")
