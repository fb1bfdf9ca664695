"""Two instances, one truth: two real gunicorns (two processes each) and two workers on one
PostgreSQL, as docs/deploy.md runs them behind one proxy (the second worker a standby, waiting
to lead the scheduler). What is changed through one instance is enforced by the other at its
very next request; both writing the trail at once leave its numbers gap-free and every
checkpoint sound, also when one of A's processes is killed outright in the middle of it; two
heads issuing one person's account at the same instant through the two make one account; the
host's time stepped past a departure instant revokes each departed account once, as if the
instant had passed normally (R-ACC-3, R-ACC-4, R-ACC-6, R-AUD-2).

Every process reads the time of one `SteppedClock` file, as processes on one host read its
clock: gunicorn serves `tests.support.clocked:served()` and the workers run
`python -m tests.support.clocked`, which are `govern.wsgi` and `govern worker` given that clock
(tests/support/clocked.py). Until a test steps it, it is this machine's time.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import TypeVar

import pytest
from sqlalchemy import Engine, func, select

from audit.store import checkpoints, events
from govern.accounts.models import Account
from govern.app import create_app
from govern.clock import FixedClock
from govern.config import Settings
from govern.db import make_engine
from govern.deprovision.models import Departure
from govern.deprovision.scheduler import LEADER_HALVES, LEADER_HELD
from govern.directory.sync import sync_directory
from govern.sessions.models import LoginSession
from tests.support.agency import Agency
from tests.support.clock import CLOCK_FILE, NOW, SHANGHAI, SteppedClock
from tests.support.database import wipe
from tests.support.floor import Floor, open_floor
from tests.support.locks import holding_the_trail, until_waiting
from tests.support.processes import (
    REPO,
    Browser,
    Instance,
    View,
    bearer,
    environ,
    ready_with_scheduler_elsewhere,
    request,
    serve,
    sign_in,
    start,
    started,
    stop,
    view_until_stopped,
    viewed_request_ids,
)
from tests.support.slapd import Slapd
from tests.support.staff import BY_USERNAME, LiveDirectory

pytestmark = pytest.mark.postgresql_only

SERVED = "tests.support.clocked:served()"
WORKER = [sys.executable, "-m", "tests.support.clocked"]
SWEEP = [sys.executable, "-m", "tests.support.sweep"]
Answered = TypeVar("Answered")


@dataclass
class Cluster:
    """The agency as the tests built it (through an app of their own, on a fixed clock), and
    the processes that serve it now, on the time of `clock`."""

    floor: Floor
    a: Instance
    b: Instance
    owner: Engine
    clock: SteppedClock  # the time of every process of it
    directory: LiveDirectory
    env: dict[str, str]  # how its processes are configured

    def token(self, instance: Instance, who: str) -> str:
        return sign_in(instance.base, who, BY_USERNAME[who].password)

    def view(self, instance: Instance, token: str, case: str) -> tuple[int, dict]:
        url = f"{instance.base}/api/v1/debtors/{self.floor.debtors[case]}"
        return request(url, headers=bearer(token))

    def session(self, instance: Instance, token: str) -> tuple[int, dict]:
        """The session of `token` as `instance` sees it."""
        return request(f"{instance.base}/api/v1/sessions/current", headers=bearer(token))

    def signs_in(self, instance: Instance, who: str) -> tuple[int, dict]:
        body = {"username": who, "password": BY_USERNAME[who].password}
        return request(f"{instance.base}/api/v1/sessions", body)


@pytest.fixture(scope="module")
def cluster(
    slapd: Slapd,
    base_settings: Settings,
    migrated: tuple[str, str],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Cluster]:
    """The floor (tests/support/floor.py) in a directory subtree and a database of this
    module's own, then instance A, instance B and the two workers serving it."""
    folder = tmp_path_factory.mktemp("two-instances")
    directory = LiveDirectory(slapd)
    settings = replace(
        base_settings,
        ldap_people_base=directory.tree.people,
        ldap_groups_base=directory.tree.groups,
        checkpoint_dir=folder / "checkpoints",
    )
    owner, app = make_engine(migrated[1]), create_app(settings, clock=FixedClock(NOW))
    services = app.extensions["govern"]
    with services.sessions() as db:
        sync_directory(db, services.directory, services.context())
    floor = open_floor(Agency(app, app.test_client()), FixedClock(NOW))
    clock = SteppedClock(folder / "clock")
    env = environ(
        settings,
        GOVERN_BACKGROUND_JOBS="worker",
        GOVERN_DEPARTURE_WATCH_SECONDS="1",  # after a step, the scheduler looks within 1 s
        GOVERN_AUDIT_GATHER_MS="50",  # the most: a kill finds views waiting for their commit
        PYTHONPATH=str(REPO),
        **{CLOCK_FILE: str(clock.path)},
    )
    a, b = (serve(env, folder / f"{name}.log", app=SERVED) for name in "ab")
    workers = [start(WORKER, env, folder / f"worker-{n}.log") for n in range(2)]
    try:
        for n, worker in enumerate(workers):
            started(worker, folder / f"worker-{n}.log")
        for instance in (a, b):
            ready_with_scheduler_elsewhere(instance.listening().base)
        yield Cluster(floor, a, b, owner, clock, directory, env)
    finally:
        stop(a.process, b.process)  # the web first, as docs/deploy.md says
        stop(*workers)
        services.trail.stop()
        services.engine.dispose()
        wipe(owner)
        owner.dispose()
        directory.close()


def enforced_everywhere(check: Callable[[], Answered], times: int = 6) -> list[Answered]:
    """`check()` asked `times` times, each request on a connection of its own, which either of
    the instance's processes may take: every answer, the very next one first."""
    return [check() for _ in range(times)]


def withheld(body: dict) -> dict[str, str]:
    return {w["field"]: w["reason"] for w in body["withheld"]}


def yesterday(cluster: Cluster) -> str:
    """The day before the cluster's today, in the company's time zone."""
    return (cluster.clock.now().astimezone(SHANGHAI) - timedelta(days=1)).date().isoformat()


def test_r_acc_6_what_one_instance_changes_the_other_enforces_at_its_very_next_request(
    cluster: Cluster,
) -> None:
    """A revocation (IT's console), a suspension, a departure date already past, a policy line
    removed and a certification that lapses (a failed reassessment), each made through A:
    B, whose processes have just served the people concerned, enforces each at once."""
    a, b, ids = cluster.a, cluster.b, cluster.floor.ids
    people = ("sup.a1", "intern.a", "col.a2", "col.a1", "col.b1")
    at_b = {who: cluster.token(b, who) for who in people}

    before = {
        "sup.a1": enforced_everywhere(lambda: cluster.view(b, at_b["sup.a1"], "C-001")[0]),
        "intern.a": enforced_everywhere(lambda: cluster.session(b, at_b["intern.a"])[0]),
        "col.a2": enforced_everywhere(lambda: cluster.view(b, at_b["col.a2"], "C-003")[0]),
    }
    assert before == {who: [200] * 6 for who in before}
    employer = enforced_everywhere(lambda: cluster.view(b, at_b["col.a1"], "C-001")[1])
    assert {body["fields"]["employer"] for body in employer} == {"杭州某某科技有限公司"}
    phones = enforced_everywhere(lambda: cluster.view(b, at_b["col.b1"], "C-004")[1])
    assert all("phones" in body["fields"] and not body["withheld"] for body in phones)

    it = Browser(a.base)
    it.sign_in("it", BY_USERNAME["it"].password)
    revoked = it.submit(
        f"/departures/accounts/{ids['sup.a1']}/revoke", {"reason": "laptop stolen", "confirm": "y"}
    )
    assert revoked.status == 302, revoked.body.decode()
    answers = enforced_everywhere(lambda: cluster.view(b, at_b["sup.a1"], "C-001"))
    assert {(status, body["error"]["code"]) for status, body in answers} == {
        (401, "session.invalid")  # the revocation ended every session of the account
    }
    assert cluster.signs_in(b, "sup.a1")[1]["error"]["code"] == "account.revoked"

    status, _ = request(
        f"{a.base}/api/v1/accounts/{ids['intern.a']}/suspension",
        {"kind": "security", "reason": "suspected leak"},
        headers=bearer(cluster.token(a, "it")),
    )
    assert status == 200
    assert enforced_everywhere(lambda: cluster.session(b, at_b["intern.a"])[0]) == [401] * 6
    assert cluster.signs_in(b, "intern.a")[1]["error"]["code"] == "account.suspended"

    status, body = request(
        f"{a.base}/api/v1/staff/1005/departure",
        {"date": yesterday(cluster)},
        headers=bearer(cluster.token(a, "hr")),
        method="PUT",
    )
    assert (status, body["state"]) == (200, "revoked")
    answers = enforced_everywhere(lambda: cluster.view(b, at_b["col.a2"], "C-003")[0])
    assert answers == [401] * 6
    assert cluster.signs_in(b, "col.a2")[1]["error"]["code"] == "account.departed"

    status, body = request(
        f"{a.base}/api/v1/access/policy",
        {"remove": [["p", "collector", "*", "employer", "full"]]},
        headers=bearer(cluster.token(a, "padmin")),
    )
    assert status == 200, body
    answers = enforced_everywhere(lambda: cluster.view(b, at_b["col.a1"], "C-001")[1])
    assert all(withheld(body).get("employer") == "role.field.none" for body in answers)
    assert all("employer" not in body["fields"] for body in answers)

    status, body = request(
        f"{a.base}/api/v1/exams/CMP-CONDUCT/results",
        {"account_id": ids["col.b1"], "score": 50},
        headers=bearer(cluster.token(a, "trainer")),
    )
    assert status == 201, body
    answers = enforced_everywhere(lambda: cluster.view(b, at_b["col.b1"], "C-004")[1])
    assert all(withheld(body).get("phones") == "training.compliance.missing" for body in answers)
    assert all("phones" not in body["fields"] for body in answers)


@contextmanager
def burst(cluster: Cluster, name: str, views: list[View]) -> Iterator[None]:
    """col.a1 views a debtor again and again through A and B at once (four viewers each,
    every view with a request id of its own, `name-a-...`), until the block ends."""
    stopped = threading.Event()
    viewers = []
    for label, instance in (("a", cluster.a), ("b", cluster.b)):
        token = cluster.token(instance, "col.a1")
        url = f"{instance.base}/api/v1/debtors/{cluster.floor.debtors['C-002']}"
        viewers += [
            threading.Thread(
                target=view_until_stopped,
                args=(url, token, f"{name}-{label}-{n}", views, stopped),
            )
            for n in range(4)
        ]
    for viewer in viewers:
        viewer.start()
    try:
        yield
    finally:
        stopped.set()
        for viewer in viewers:
            viewer.join(timeout=60)


def answered_since(views: list[View], count: int, since: float = 0.0, name: str = "") -> None:
    """Wait until `count` views started after `since` (monotonic), of those whose request id
    starts with `name`, were answered 200."""
    deadline = time.monotonic() + 90
    while (
        sum(v.status == 200 and v.started > since and v.request_id.startswith(name) for v in views)
        < count
    ):
        assert time.monotonic() < deadline, "the burst stopped being answered"
        time.sleep(0.02)


def recorded_views(cluster: Cluster, name: str) -> list[str]:
    """The request ids of the `debtor.viewed` events of the burst called `name`."""
    return [r for r in viewed_request_ids(cluster.owner) if r.startswith(f"{name}-")]


def sequence(owner: Engine) -> tuple[int, int, int]:
    """(how many events, the first number, the last)."""
    with owner.connect() as connection:
        return connection.execute(
            select(func.count(), func.min(events.c.seq), func.max(events.c.seq))
        ).one()


def test_r_aud_2_both_instances_writing_at_once_leave_the_trail_gap_free_and_sound(
    cluster: Cluster,
) -> None:
    """A burst of debtor views through A and B at once: every view answered has its one
    event, the numbers run 1..N without a gap, the worker's checkpoints sign them and the
    trail verifies."""
    views: list[View] = []
    with burst(cluster, "burst", views):
        answered_since(views, 200)

    assert {view.status for view in views} == {200}
    assert {view.request_id.split("-")[1] for view in views} == {"a", "b"}  # both wrote
    assert sorted(recorded_views(cluster, "burst")) == sorted(v.request_id for v in views)
    count, first, last = sequence(cluster.owner)
    assert (first, last) == (1, count)  # gap-free
    assert anchored(cluster.owner, last)
    report = cluster.floor.agency.services.trail.verify()
    assert report.ok and report.events == count


def anchored(owner: Engine, size: int, seconds: float = 30) -> bool:
    """Whether the worker signs a checkpoint of at least `size` events within `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with owner.connect() as connection:
            signed = connection.execute(select(func.max(checkpoints.c.tree_size))).scalar()
        if (signed or 0) >= size:
            return True
        time.sleep(0.1)
    return False


def test_r_acc_3_two_instances_issuing_one_persons_account_at_once_make_one_account(
    cluster: Cluster,
) -> None:
    """The general manager asks A and B at the same instant for the clerk's account. The
    trail's lock is held meanwhile, so that the first is inside its transaction, its account
    inserted, while the second meets it at the one-live-account key: one account, one event;
    the second is answered with the same account (200), as any repeated issue is."""
    body = {"employee_number": BY_USERNAME["clerk"].number}
    asks = [
        (cluster.a, cluster.token(cluster.a, "gm")),
        (cluster.b, cluster.token(cluster.b, "gm")),
    ]
    answers: list[tuple[int, dict]] = []

    def issue(instance: Instance, token: str) -> None:
        answers.append(request(f"{instance.base}/api/v1/accounts", body, headers=bearer(token)))

    with holding_the_trail(cluster.owner):
        issuing = [threading.Thread(target=issue, args=ask) for ask in asks]
        for thread in issuing:
            thread.start()
        until_waiting(cluster.owner, "advisory")  # the first, its account inserted
        until_waiting(cluster.owner, "transactionid")  # the second, at the first's key
    for thread in issuing:
        thread.join(timeout=60)

    assert sorted(status for status, _ in answers) == [200, 201]
    assert answers[0][1]["id"] == answers[1][1]["id"]
    with cluster.owner.connect() as connection:
        accounts = connection.execute(
            select(Account.id).where(Account.employee_number == body["employee_number"])
        ).scalars()
        issued = connection.execute(
            select(events.c.object).where(events.c.action == "account.issued")
        ).scalars()
        assert list(accounts) == [answers[0][1]["id"]]
        assert list(issued).count(answers[0][1]["id"]) == 1


def stalled(views: list[View], quiet: float = 0.5, seconds: float = 8) -> None:
    """Wait until no view has ended for `quiet` seconds: every viewer is in the middle of one."""
    deadline = time.monotonic() + seconds
    ended, since = len(views), time.monotonic()
    while time.monotonic() - since < quiet:
        assert time.monotonic() < deadline, "the views go on being answered"
        time.sleep(0.05)
        if len(views) != ended:
            ended, since = len(views), time.monotonic()


def test_r_acs_3_kill_9_of_web_processes_in_a_burst_loses_no_event_of_a_view_they_answered(
    cluster: Cluster,
) -> None:
    """A's processes are killed outright (no drain) in the middle of a burst of views through
    A and B, each with views under way: the trail's lock is held meanwhile, so that every view
    waits for its event's group commit. gunicorn replaces them, B goes on, A serves again.

    What the design promises (docs/audit.md): a read's event is durable before its answer
    leaves, so every view answered 200 has exactly one event; a view a kill cuts off was never
    answered, and its event may be in the trail (durable, the answer lost with the process) or
    not, never twice. The group commits the kill interrupted are rolled back whole: the trail
    stays gap-free and verifies."""
    views: list[View] = []
    with burst(cluster, "kill", views):
        answered_since(views, 60)
        victims = cluster.a.workers()
        with holding_the_trail(cluster.owner):
            stalled(views)  # each viewer waits for its event: none is answered meanwhile
            for victim in victims:
                os.kill(victim, signal.SIGKILL)
            killed_at = time.monotonic()
        answered_since(views, 20, killed_at, name="kill-a-")  # A's new processes
        answered_since(views, 60, since=killed_at)
    replaced = cluster.a.workers()

    assert len(replaced) == 2 and not set(victims) & set(replaced)  # gunicorn replaced them
    answered = {view.request_id for view in views if view.status == 200}
    cut = {view.request_id for view in views if view.status is None}
    assert {view.status for view in views} == {200, None}
    assert {r.split("-")[1] for r in cut} == {"a"}  # B lost nothing
    recorded = recorded_views(cluster, "kill")
    assert len(recorded) == len(set(recorded))  # never two events for one view
    assert answered <= set(recorded)  # every answered view has its event
    assert set(recorded) - answered <= cut  # and nothing else but views a kill cut off
    count, first, last = sequence(cluster.owner)
    assert (first, last) == (1, count)
    assert cluster.floor.agency.services.trail.verify().ok


def states(cluster: Cluster, account_ids: list[str]) -> set[str]:
    with cluster.owner.connect() as connection:
        query = select(Account.state).where(Account.id.in_(account_ids))
        return set(connection.execute(query).scalars())


def test_r_acc_4_the_hosts_clock_stepped_past_a_departure_instant_revokes_each_once(
    cluster: Cluster,
) -> None:
    """The auditor and a head leave tomorrow. The host's time is stepped to an hour before
    their instant (nothing happens), they sign in, one at A, one at B; then it is stepped two
    hours on. A and B refuse their sessions at the next request; the leading worker's watch
    (and two sweeps that start the moment their clock reads the instant) revoke each account
    once, its departure due at the instant, as if the instant had passed normally; the
    standby worker waits to lead. APScheduler's job at the instant is planned by the host's
    unstepped time, as APScheduler keeps it: the watch, which decides by Govern's clock, is
    what looks after a step."""
    leaving = {"auditor": cluster.a, "head.b": cluster.b}
    account_ids = sorted(cluster.floor.ids[who] for who in leaving)
    day = (cluster.clock.now().astimezone(SHANGHAI) + timedelta(days=1)).date()
    for who in leaving:
        cluster.directory.set(who, "governDepartureDate", f"{day:%Y%m%d}000000Z")
    cluster.floor.agency.sync(confirm=True)
    instant = cluster.floor.agency.services.settings.departures.instant(day)
    at_instant = {**cluster.env, "GOVERN_TEST_SWEEP_AT": str(instant.timestamp())}
    sweeps = [
        subprocess.Popen(SWEEP, env=at_instant, cwd=REPO, stdout=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    try:
        cluster.clock.step(seconds=(instant - cluster.clock.now()).total_seconds() - 3600)
        tokens = {who: cluster.token(instance, who) for who, instance in leaving.items()}
        assert [cluster.session(leaving[who], tokens[who])[0] for who in leaving] == [200, 200]
        assert states(cluster, account_ids) == {"active"}  # nothing is due an hour before
        with cluster.owner.connect() as connection:  # one worker leads, the other waits
            assert connection.execute(LEADER_HELD, LEADER_HALVES).scalar() == 1
        for sweep in sweeps:
            assert sweep.stdout.readline() == "waiting\n"  # for their clock to read the instant

        cluster.clock.step(hours=2)  # an hour past: their 8-hour sessions have not expired
        for who in leaving:
            status, body = cluster.session(leaving[who], tokens[who])
            assert (status, body["error"]["code"]) in {
                (403, "account.departed"),  # refused by the session check, by the clock
                (401, "session.invalid"),  # or the revocation ended the session already
            }
        deadline = time.monotonic() + 60
        while states(cluster, account_ids) != {"revoked"}:
            assert time.monotonic() < deadline, states(cluster, account_ids)
            time.sleep(0.1)
        swept = [int(sweep.communicate(timeout=60)[0]) for sweep in sweeps]
    finally:
        for sweep in sweeps:
            sweep.kill()
    assert sum(swept) <= len(leaving)  # their share; the leader's watch revoked the rest
    status, body = cluster.signs_in(cluster.b, "auditor")
    assert (status, body["error"]["code"]) == (403, "account.departed")
    with cluster.owner.connect() as connection:
        revoked = connection.execute(
            select(events.c.object).where(events.c.action == "account.revoked")
        ).scalars()
        assert sorted(r for r in revoked if r in account_ids) == account_ids  # each once
        departures = connection.execute(
            select(Departure.due_at, Departure.revoked_at, Departure.attempts).where(
                Departure.account_id.in_(account_ids)
            )
        ).all()
        sessions = connection.execute(
            select(func.count())
            .select_from(LoginSession)
            .where(LoginSession.account_id.in_(account_ids))
        ).scalar()
    assert sessions == 0
    assert len(departures) == len(leaving)
    for due_at, revoked_at, attempts in departures:
        assert (due_at, attempts) == (instant, 1)
        assert revoked_at >= instant  # by Govern's clock, stepped past the instant
