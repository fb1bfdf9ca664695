"""The keys file under concurrent writers: instances that record and end creditors at once
never lose each other's change (a destroyed key written back, a new creditor's key lost)."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

from govern.config import Settings
from govern.debtors.vault import add_key, destroy_keys, load_vault

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
    workers = [spawn.Process(target=_add_keys, args=(str(path), f"债权人{i}")) for i in range(3)]
    workers.append(spawn.Process(target=_destroy, args=(str(path), "某信托")))
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    assert [w.exitcode for w in workers] == [0, 0, 0, 0]
    vault = load_vault(path)
    owned = [k for k in vault.keys if k.startswith("kc")]
    assert len(owned) == 3 * WRITES  # every new creditor key written, none lost
    assert not set(doomed) & set(vault.keys)  # no destroyed key came back
    assert set(doomed) <= set(vault.destroyed)
