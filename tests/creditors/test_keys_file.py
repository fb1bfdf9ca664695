"""The keys file under concurrent writers: instances that record and end creditors at once
never lose each other's change (a destroyed key written back, a new creditor's key lost)."""

from __future__ import annotations

import multiprocessing
import os
from datetime import date
from pathlib import Path

import pytest

from govern.backup.service import create_set, quietly
from govern.clock import FixedClock
from govern.config import Settings
from govern.debtors.copies import copies_file
from govern.debtors.vault import KeysDestroyed, add_key, destroy_keys, load_vault
from tests.creditors.test_contract_end import BANK, creditor
from tests.support.floor import Floor

WRITES = 15


def _add_keys(path: str, client: str) -> None:
    for _ in range(WRITES):
        add_key(Path(path), client=client)


def _destroy(path: str, client: str) -> None:
    for _ in range(WRITES):
        destroy_keys(Path(path), client)


def test_concurrent_writers_lose_no_key_and_bring_none_back(settings: Settings) -> None:
    path = settings.data_keys_file
    doomed = [add_key(path, client="某信托") for _ in range(3)]
    spawn = multiprocessing.get_context("fork")
    writers = [f"债权人{i}" for i in range(3)]
    workers = [spawn.Process(target=_add_keys, args=(str(path), name)) for name in writers]
    workers.append(spawn.Process(target=_destroy, args=(str(path), "某信托")))
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    assert [w.exitcode for w in workers] == [0, 0, 0, 0]
    vault = load_vault(path)
    # the keys file is the session's: other tests' creditors own keys in it too
    owned = [k for k in vault.keys if vault.owners.get(k) in writers]
    assert len(owned) == 3 * WRITES  # every new creditor key written, none lost
    assert not set(doomed) & set(vault.keys)  # no destroyed key came back
    assert set(doomed) <= set(vault.destroyed)


NOBODY = 65534


def test_files_made_beside_the_keys_file_as_root_stay_the_services(
    settings: Settings, tmp_path: Path, clock: FixedClock
) -> None:
    """`govern keys new` and `govern backup create` run as root: the keys file, its lock and
    the list of copies stay its owner's, so the service can still change and read them."""
    if os.geteuid() != 0:
        pytest.skip("only root gives a file away")
    path = settings.data_keys_file
    os.chown(path, NOBODY, NOBODY)
    add_key(path, client="某银行信用卡中心")
    create_set(settings, tmp_path / "set", clock, quietly)
    for made in (path, path.with_name(f"{path.name}.lock"), copies_file(path)):
        assert made.stat().st_uid == NOBODY, made


def test_a_keys_file_that_cannot_be_written_answers_503_and_records_nothing(
    floor: Floor, settings: Settings
) -> None:
    path = settings.data_keys_file
    path.with_name(f"{path.name}.lock").mkdir()  # no lock can be taken: nothing is written
    status, body = creditor(floor, BANK, date(2027, 6, 30), ["scheduled_call"])
    assert (status, body["error"]["code"]) == (503, "creditor.keys_unwritable")
    assert floor.call("GET", "/api/v1/creditors", "gm")[1]["creditors"] == []


def test_a_creditors_lookup_key_is_its_own_and_goes_with_its_data_keys(settings: Settings) -> None:
    path, number = settings.data_keys_file, "13812345678"
    add_key(path, client="某信托")
    add_key(path, client="某信托")  # a second data key: still its one lookup key
    vault, other = load_vault(path), load_vault(path)  # this process's, another instance's
    lookup = vault.lookups["某信托"]
    owned = [k for k, owner in vault.owners.items() if owner == "某信托"]
    assert [k for k in owned if k in vault.lookup_keys] == [lookup]
    mine = vault.digest("phone", number, lookup)
    assert mine != vault.digest("phone", number)  # not under the file's lookup key
    assert mine in vault.digests("phone", number)  # a search tries it
    assert lookup in destroy_keys(path, "某信托")
    assert lookup not in load_vault(path).lookup_keys and "某信托" not in load_vault(path).lookups
    with pytest.raises(KeysDestroyed):  # the other instance forgets it at its next digest
        other.digest("phone", number, lookup)
    assert mine not in other.digests("phone", number)
