"""`govern debtors import`, the sealed storage and key rotation."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import Result
from flask import Flask
from sqlalchemy import Engine, select, text

from govern.cli import cli
from govern.debtors.models import Debtor
from govern.debtors.sealing import import_debtors, rotate_keys
from govern.debtors.vault import Vault, add_key, load_vault
from govern.directory.sync import sync_directory
from govern.errors import ConfigError
from tests.support.agency import Agency
from tests.support.debtors import CASES, as_csv
from tests.support.floor import Floor
from tests.support.tally import Counted


def govern(app: Flask, *args: str) -> Result:
    return app.test_cli_runner().invoke(cli, list(args))


def count(agency: Agency) -> int:
    with agency.services.sessions() as db:
        return len(db.scalars(select(Debtor.id)).all())


def test_import_stores_every_row_of_a_good_file(agency: Agency, tmp_path: Path) -> None:
    agency.with_accounts()
    file = tmp_path / "cases.csv"
    file.write_text(as_csv([case.row() for case in CASES]), encoding="utf-8")
    result = govern(agency.app, "debtors", "import", str(file))
    assert result.exit_code == 0, result.output
    assert result.output.startswith("imported 4 debtors (batch IM-")
    assert count(agency) == 4


def test_a_bad_row_is_reported_by_line_and_nothing_of_the_file_is_imported(
    agency: Agency, tmp_path: Path
) -> None:
    agency.with_accounts()
    rows = [case.row() for case in CASES]
    rows[1]["phones"] = "12345"  # line 3
    rows[2]["id_number"] = rows[2]["id_number"][:-1] + (
        "0" if rows[2]["id_number"][-1] != "0" else "1"
    )
    rows[3]["project_group"] = "pg-nowhere"  # line 5
    rows.append({**CASES[0].row(), "amount_owed": "-3"})  # line 6, and a repeated case
    file = tmp_path / "cases.csv"
    file.write_text(as_csv(rows), encoding="utf-8")
    result = govern(agency.app, "debtors", "import", str(file))
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert f"{file}:3: phones: not a list of phone numbers (separate several with ;)" in lines
    assert any(
        line.startswith(f"{file}:4: id_number: not a valid identity number") for line in lines
    )
    assert f"{file}:5: project_group: no such project group in the directory" in lines
    assert any(line.startswith(f"{file}:6: amount_owed:") for line in lines)
    assert "nothing of cases.csv was imported" in result.output
    assert "13987654321" not in result.output and "12345" not in result.output  # no values echoed
    assert count(agency) == 0


def test_one_bad_row_is_one_problem(agency: Agency, tmp_path: Path) -> None:
    agency.with_accounts()
    rows = [case.row() for case in CASES]
    rows[1]["phones"] = "12345"
    file = tmp_path / "cases.csv"
    file.write_text(as_csv(rows), encoding="utf-8")
    result = govern(agency.app, "debtors", "import", str(file))
    assert result.exit_code == 1
    assert result.output.splitlines()[-1] == "Error: 1 problem; nothing of cases.csv was imported"


def test_a_file_without_a_needed_column_changes_nothing(agency: Agency, tmp_path: Path) -> None:
    agency.with_accounts()
    file = tmp_path / "cases.csv"
    file.write_text("case_no,name\nC-1,张三\n", encoding="utf-8")
    result = govern(agency.app, "debtors", "import", str(file))
    assert result.exit_code == 1 and ":1: phones: column missing" in result.output
    assert count(agency) == 0


def test_importing_a_case_twice_is_refused(floor: Floor, tmp_path: Path) -> None:
    file = tmp_path / "again.csv"
    file.write_text(as_csv([CASES[0].row()]), encoding="utf-8")
    result = govern(floor.agency.app, "debtors", "import", str(file))
    assert result.exit_code == 1
    assert ":2: case_no: this case is already imported or repeated" in result.output


def test_stored_debtor_rows_hold_no_personal_field_in_plaintext(
    floor: Floor, owner_engine: Engine
) -> None:
    with owner_engine.connect() as connection:
        rows = connection.execute(text("SELECT * FROM debtors")).all()
        lookups = connection.execute(text("SELECT * FROM debtor_lookup")).all()
    raw = b"".join(
        value if isinstance(value, bytes) else str(value).encode()
        for row in [*rows, *lookups]
        for value in row
    )
    for case in CASES:
        for secret in (
            case.name,
            case.phone,
            case.id_number,
            "文三路",
            "科技有限公司",
            "王芳",
            "李雷",
            "13900001111",
        ):
            assert secret.encode() not in raw, secret
    assert len(rows) == 4


def test_search_by_phone_finds_only_debtors_within_reach_and_masks_them(floor: Floor) -> None:
    status, body = floor.call(
        "POST", "/api/v1/debtors/search", "col.a1", json={"phone": "13812345678"}
    )
    assert status == 200
    assert [(d["id"], d["fields"]["name"]) for d in body["debtors"]] == [
        (floor.debtors["C-001"], "张*")
    ]
    status, body = floor.call(
        "POST", "/api/v1/debtors/search", "col.b1", json={"phone": "13812345678"}
    )
    assert (status, body["debtors"]) == (200, [])
    status, body = floor.call(
        "POST", "/api/v1/debtors/search", "col.a1", json={"id_number": CASES[1].id_number}
    )
    assert [d["id"] for d in body["debtors"]] == [floor.debtors["C-002"]]
    status, body = floor.call("POST", "/api/v1/debtors/search", "col.a1", json={})
    assert (status, body["error"]["code"]) == (422, "request.invalid")


def test_key_rotation_reseals_every_debtor_while_the_service_keeps_reading(
    floor: Floor,
) -> None:
    s = floor.agency.services
    keys_file = s.settings.data_keys_file
    old = load_vault(keys_file).current
    new = add_key(keys_file)
    assert floor.view("col.a1", "C-001")[1]["fields"]["name"] == "张三"  # still under the old key
    with s.sessions() as db:
        assert rotate_keys(db, load_vault(keys_file), batch=3) == 4
        assert {d.key_id for d in db.scalars(select(Debtor))} == {new}
    assert new not in s.vault.keys and old in s.vault.keys  # as loaded at start-up
    assert floor.view("col.a1", "C-001")[1]["fields"]["name"] == "张三"
    assert new in s.vault.keys  # it read the file again when a value named the new key
    fresh = load_vault(keys_file)
    only_new = Vault({new: fresh.keys[new]}, new, fresh.lookup_key)
    with s.sessions() as db:
        debtor = db.get(Debtor, floor.debtors["C-001"])
        assert only_new.open(debtor.name, f"{debtor.id}/name") == "张三"  # the old key can go


def test_a_sealed_value_moved_to_another_debtor_does_not_open(
    floor: Floor, owner_engine: Engine
) -> None:
    one, two = floor.debtors["C-001"], floor.debtors["C-002"]
    with owner_engine.begin() as connection:
        name = connection.execute(text("SELECT name FROM debtors WHERE id = :id"), {"id": one})
        connection.execute(
            text("UPDATE debtors SET name = :n WHERE id = :id"), {"n": name.scalar(), "id": two}
        )
    status, body = floor.view("col.a1", "C-002")
    assert (status, body["error"]["code"]) == (500, "debtor.seal_broken")
    assert floor.events("debtor.viewed") == []  # nothing was shown, so nothing was viewed


def test_a_keys_file_others_may_read_stops_the_service(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    add_key(path)
    assert load_vault(path).current  # 0600 as written
    path.chmod(0o644)
    with pytest.raises(ConfigError) as refused:
        load_vault(path)
    assert refused.value.code == "config.data_keys" and "chmod 600" in refused.value.message


def test_line_numbers_count_blank_lines_and_values_spanning_lines(
    agency: Agency, tmp_path: Path
) -> None:
    agency.with_accounts()
    rows = [CASES[0].row(), {**CASES[1].row(), "address": "上海市\n浦东新区"}, CASES[2].row()]
    rows[2]["emergency_contacts"] = "李雷|朋友|13700002222|多余"
    text = as_csv(rows).replace("\r\n", "\n")
    lines = text.split("\n")
    text = "\n".join([lines[0], "", *lines[1:]])  # a blank line after the header
    file = tmp_path / "cases.csv"
    file.write_text(text, encoding="utf-8")
    result = govern(agency.app, "debtors", "import", str(file))
    assert result.exit_code == 1
    assert f"{file}:6: emergency_contacts: each contact is name|relation|phone" in result.output


def test_a_debtors_time_zone_is_imported_when_given(agency: Agency, tmp_path: Path) -> None:
    agency.with_accounts()
    rows = [case.row() for case in CASES[:2]]
    rows[0]["time_zone"] = "America/New_York"  # the second row leaves it empty: the company's
    file = tmp_path / "cases.csv"
    file.write_text(as_csv(rows), encoding="utf-8")
    result = govern(agency.app, "debtors", "import", str(file))
    assert result.exit_code == 0, result.output
    with agency.services.sessions() as db:
        zones = {case: zone for case, zone in db.execute(select(Debtor.case_no, Debtor.time_zone))}
    assert zones == {"C-001": "America/New_York", "C-002": None}


@pytest.mark.parametrize("zone", ["Mars/Olympus", "America", "../etc/passwd", "+08:00"])
def test_a_time_zone_that_is_not_an_iana_zone_is_a_row_error(
    agency: Agency, tmp_path: Path, zone: str
) -> None:
    agency.with_accounts()
    rows = [case.row() for case in CASES[:2]]
    rows[1]["time_zone"] = zone  # line 3
    file = tmp_path / "cases.csv"
    file.write_text(as_csv(rows), encoding="utf-8")
    result = govern(agency.app, "debtors", "import", str(file))
    assert result.exit_code == 1
    assert f"{file}:3: time_zone: not an IANA time zone (e.g. Asia/Shanghai)" in result.output
    assert count(agency) == 0


def test_a_long_import_and_a_sync_say_how_far_they_are(agency: Agency, directory: object) -> None:
    """`govern debtors import` and `govern directory sync` draw a progress bar from this."""
    agency.with_accounts()
    s = agency.services
    imported, synced = Counted(), Counted()
    with s.sessions() as db:
        rows = as_csv([case.row() for case in CASES])
        import_debtors(db, s.context(), rows, "operator:test", imported)
    assert imported.total == sum(imported.steps) == len(CASES)
    directory.remove("col.a1")  # type: ignore[attr-defined]
    with s.sessions() as db:
        sync_directory(db, s.directory, s.context(), confirm=True, tally=synced)
    assert synced.total == sum(synced.steps) == 1  # one person gone
