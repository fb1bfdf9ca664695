"""`govern audit …` and the offline verifier, as an operator and an auditor use them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from click.testing import Result
from flask import Flask
from sqlalchemy import Connection, select, update

from audit import store
from audit.merkle import leaf_hash
from govern.cli import cli
from tests.support.agency import Agency
from tests.support.database import as_owner_without_triggers

REPO = Path(__file__).resolve().parents[2]
#: Runs the verifier with SQLAlchemy and Flask made unimportable: stdlib + cryptography only.
OFFLINE = (
    "import runpy, sys; sys.modules['sqlalchemy'] = None; sys.modules['flask'] = None; "
    "sys.argv = ['verify_bundle.py', *sys.argv[1:]]; "
    f"runpy.run_path({str(REPO / 'scripts' / 'verify_bundle.py')!r}, run_name='__main__')"
)


def govern(app: Flask, *args: str) -> Result:
    return app.test_cli_runner().invoke(cli, list(args))


def offline(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", OFFLINE, *args], capture_output=True, text=True, cwd="/", check=False
    )


def busy_trail(agency: Agency) -> None:
    """Events with checkpoints between them, and a few unanchored after."""
    agency.with_accounts("col.a1", "col.a2")
    agency.services.trail.checkpoint_now()
    for username in ("col.a1", "col.a2", "col.a1"):
        agency.login(username)
        agency.services.trail.checkpoint_now()
    agency.login("col.a2")


def test_r_aud_2_verify_says_the_trail_is_intact(agency: Agency) -> None:
    busy_trail(agency)
    result = govern(agency.app, "audit", "verify")
    assert result.exit_code == 0
    assert "OK: the trail is intact" in result.output and "1 unanchored" in result.output


def test_r_aud_2_verify_names_the_first_bad_event(agency: Agency, owner_engine) -> None:
    busy_trail(agency)

    def change(connection: Connection) -> None:
        connection.execute(
            update(store.events)
            .where(store.events.c.seq == 6)
            .values(entry=b'{"seq":6,"forged":true}')
        )

    as_owner_without_triggers(owner_engine, change)
    result = govern(agency.app, "audit", "verify")
    assert result.exit_code == 1
    assert "TAMPERED: first bad event 6: changed" in result.output


def test_verify_of_a_range_the_trail_does_not_hold_is_an_error_not_intact(
    agency: Agency,
) -> None:
    busy_trail(agency)
    size = agency.services.trail.verify().events
    for asked, said in (
        (("--from", str(size + 1)), f"The trail holds events 1..{size}; {size + 1}..{size}"),
        (("--to", str(size + 5)), f"The trail holds events 1..{size}; 1..{size + 5} is not"),
        (("--from", "5", "--to", "3"), "The range 5..3 ends before it starts. [verify.range]"),
    ):
        result = govern(agency.app, "audit", "verify", *asked)
        assert result.exit_code == 1, asked
        assert said in result.output and "[verify.range]" in result.output
        assert "intact" not in result.output
    whole = govern(agency.app, "audit", "verify", "--from", "1", "--to", str(size))
    assert whole.exit_code == 0 and "OK: the trail is intact" in whole.output


def test_r_aud_2_verify_names_the_tampered_window_and_the_others_intact(
    agency: Agency, owner_engine
) -> None:
    """A rewrite with its hash recomputed is named by its window between two checkpoints;
    the windows after it are reported intact, on screen and in JSON."""
    busy_trail(agency)
    sizes = [c.tree_size for c in agency.services.trail.copy.read()]
    first, last = sizes[0] + 1, sizes[1]

    def rewrite(connection: Connection) -> None:
        entry = connection.scalar(select(store.events.c.entry).where(store.events.c.seq == last))
        forged = bytes(entry).replace(b'"client":"127.0.0.1"', b'"client":"10.9.9.9"')
        connection.execute(
            update(store.events)
            .where(store.events.c.seq == last)
            .values(entry=forged, leaf_hash=leaf_hash(forged))
        )

    as_owner_without_triggers(owner_engine, rewrite)
    result = govern(agency.app, "audit", "verify")
    assert result.exit_code == 1
    intact = len(sizes) - 1
    assert f"windows: tampered {first}..{last}; {intact} intact" in result.output
    report = json.loads(govern(agency.app, "audit", "verify", "--json").output)
    assert report["windows"] == {"intact": intact, "tampered": [[first, last]], "unchecked": []}
    assert {p["seq"] for p in report["problems"]} <= set(range(first, last + 1))


def test_r_aud_2_an_inclusion_proof_verifies_offline(agency: Agency, tmp_path: Path) -> None:
    busy_trail(agency)
    result = govern(agency.app, "audit", "prove", "3")
    assert result.exit_code == 0, result.output
    proof = json.loads(result.output)
    assert len(json.dumps(proof["path"])) < 1024
    (tmp_path / "proof.json").write_text(result.output)
    checked = offline("--proof", str(tmp_path / "proof.json"))
    assert (checked.returncode, checked.stdout.startswith("OK")) == (0, True), checked.stdout
    proof["entry"] = proof["entry"].replace("account.issued", "account.revoked")
    (tmp_path / "forged.json").write_text(json.dumps(proof))
    assert offline("--proof", str(tmp_path / "forged.json")).returncode == 1


def test_r_aud_2_a_consistency_proof_verifies_offline(agency: Agency, tmp_path: Path) -> None:
    busy_trail(agency)
    sizes = [c.tree_size for c in agency.services.trail.copy.read()]
    result = govern(agency.app, "audit", "consistency", str(sizes[0]), str(sizes[-1]))
    assert result.exit_code == 0, result.output
    (tmp_path / "consistency.json").write_text(result.output)
    assert offline("--proof", str(tmp_path / "consistency.json")).returncode == 0


def test_r_aud_2_an_export_bundle_verifies_offline_and_betrays_edits(
    agency: Agency, tmp_path: Path
) -> None:
    busy_trail(agency)
    bundle = tmp_path / "bundle"
    result = govern(agency.app, "audit", "export", "--from", "3", "--to", "7", str(bundle))
    assert result.exit_code == 0, result.output
    checked = offline(str(bundle))
    assert checked.returncode == 0, checked.stdout
    assert "events 3..7" in checked.stdout
    lines = (bundle / "events.jsonl").read_bytes().split(b"\n")
    assert b"account.issued" in lines[1]
    lines[1] = lines[1].replace(b"account.issued", b"account.revoked")
    (bundle / "events.jsonl").write_bytes(b"\n".join(lines))
    tampered = offline(str(bundle))
    assert tampered.returncode == 1 and "do not rebuild the signed root" in tampered.stdout


def test_keygen_writes_a_private_key_once(synced: Flask, tmp_path: Path) -> None:
    key = tmp_path / "audit.pem"
    first = govern(synced, "audit", "keygen", str(key))
    assert first.exit_code == 0 and "BEGIN PUBLIC KEY" in first.output
    assert key.stat().st_mode & 0o777 == 0o600
    again = govern(synced, "audit", "keygen", str(key))
    assert again.exit_code == 1 and "never overwritten" in again.output


def test_proofs_need_a_checkpoint_that_covers_the_event(agency: Agency) -> None:
    agency.with_accounts()
    result = govern(agency.app, "audit", "prove", "2")
    assert result.exit_code == 1 and "[checkpoint.unknown]" in result.output


def test_r_aud_2_a_bundle_stripped_of_its_anchor_fails_offline(
    agency: Agency, tmp_path: Path
) -> None:
    busy_trail(agency)
    bundle = tmp_path / "bundle"
    assert (
        govern(agency.app, "audit", "export", "--from", "2", "--to", "4", str(bundle)).exit_code
        == 0
    )
    manifest = json.loads((bundle / "manifest.json").read_text())
    assert manifest["anchored_by"] > 4
    lines = (bundle / "events.jsonl").read_bytes().split(b"\n")
    lines[1] = lines[1].replace(b"account.issued", b"account.revoked")
    (bundle / "events.jsonl").write_bytes(b"\n".join(lines))
    (bundle / "checkpoints.jsonl").write_text("")  # hide every signed root
    stripped = offline(str(bundle))
    assert stripped.returncode == 1, stripped.stdout
    right = json.loads((bundle / "right.json").read_text())
    (bundle / "right.json").write_text(json.dumps({**right, "subtrees": []}))
    assert offline(str(bundle)).returncode == 1
