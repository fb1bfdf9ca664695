"""Fuzzing the live API (issue 17, item 4): schemathesis against Govern under gunicorn, with
the sessions of a collector whose group holds debtors, a department head, an auditor, IT and a
policy admin, finds no 5xx and no answer the OpenAPI document does not describe.

The run is short and deterministic (one seed, a few cases per operation, each operation as
the role whose work it is, then a few stateful sequences); `./scripts/bench fuzz` runs the
long one, every operation as every role (docs/security.md, "Fuzzing").
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest

from govern.config import Settings
from govern.db import make_engine
from tests.support.database import wipe
from tests.support.fuzzing import ROLES, Outcome, Target, fuzz, populate, served, target
from tests.support.slapd import Slapd
from tests.support.staff import LiveDirectory

SEED = 17
CASES_PER_OPERATION = 3


@pytest.fixture(scope="module")
def live(
    slapd: Slapd,
    base_settings: Settings,
    migrated: tuple[str, str],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Target]:
    folder = tmp_path_factory.mktemp("fuzz")
    directory = LiveDirectory(slapd)
    settings = replace(
        base_settings,
        ldap_people_base=directory.tree.people,
        ldap_groups_base=directory.tree.groups,
        checkpoint_dir=folder / "checkpoints",
    )
    owner = make_engine(migrated[1])
    try:
        known = populate(settings)
        with served(settings, folder / "gunicorn.log") as url:
            yield target(url, settings, known, ROLES)
    finally:
        wipe(owner)
        owner.dispose()
        directory.close()


def described(outcome: Outcome) -> str:
    return (
        "\n".join(
            f"{failure.get('code', '')} {failure.get('title', failure)}: {failure.get('operations')}"
            for failure in outcome.failures
        )
        + "\n\n"
        + outcome.output[-20000:]
    )


def test_fuzzing_the_live_api_finds_no_5xx_and_nothing_the_document_does_not_say(
    live: Target, tmp_path_factory: pytest.TempPathFactory
) -> None:
    outcome = fuzz(
        live,
        tmp_path_factory.mktemp("run"),
        seed=SEED,
        max_examples=CASES_PER_OPERATION,
        phases="examples,fuzzing,stateful",
    )
    assert outcome.failures == [], described(outcome)
    assert outcome.report["operations"]["tested"] == outcome.report["operations"]["total"]
    assert outcome.cases >= 200
