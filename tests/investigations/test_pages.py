"""The auditor's pages (`/audit`): the same queries as the API's, audited the same way, shown
in words (Chinese by default)."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime, timedelta

import pytest
from sqlalchemy import Connection, select, update

from audit import store
from govern.clock import FixedClock
from govern.investigations.models import Investigation
from govern.investigations.questions import Window
from govern.investigations.service import Scope, new_leak_investigation
from govern.runs import Run
from tests.auditing.test_events import trail
from tests.investigations.test_investigations import view
from tests.support.agency import Agency
from tests.support.clock import NOW
from tests.support.database import as_owner_without_triggers
from tests.support.floor import Floor
from tests.support.pages import HTTPS, csrf_token, keep_run, page_session, wait_for

ENGLISH = {"Accept-Language": "en"}


@pytest.fixture
def ids(agency: Agency) -> dict[str, str]:
    found = agency.with_accounts("col.a1", "col.a2", "col.b1", "auditor")
    page_session(agency, "auditor")
    return found


def get(agency: Agency, path: str, **params: str):
    return agency.client.get(f"/audit/{path}", query_string=params, base_url=HTTPS)


def post(agency: Agency, path: str, data: dict, **headers: str):
    form = agency.client.get(f"/audit/{path}", base_url=HTTPS).get_data(as_text=True)
    return agency.client.post(
        f"/audit/{path}",
        base_url=HTTPS,
        data={"csrf_token": csrf_token(form), **data},
        headers={"Referer": f"{HTTPS}/audit/{path}", **headers},
    )


def leaked_views(agency: Agency, ids: dict[str, str]) -> None:
    """col.a1 saw four of the leaked records, col.a2 two, col.b1 one."""
    day = NOW - timedelta(days=10)
    for n in range(1, 5):
        view(agency, ids["col.a1"], f"D-{n}", day + timedelta(hours=n))
    for n in (1, 2):
        view(agency, ids["col.a2"], f"D-{n}", day)
    view(agency, ids["col.b1"], "D-5", day)
    view(agency, ids["col.b1"], "D-9", day)  # not leaked


def queries(agency: Agency) -> list[dict]:
    return [e for e in trail(agency) if e["action"] == "audit.queried"]


def test_r_aud_3_leak_triage_from_a_pasted_list_ranks_the_likely_source_first(
    agency: Agency, ids: dict[str, str]
) -> None:
    leaked_views(agency, ids)
    opened = post(
        agency,
        "leaks",
        {"pasted": "D-1\nD-2, D-3\r\nD-4；D-5\n\nD-1", "fields": "phones", "unregistered": "y"},
    )
    assert opened.status_code == 302, opened.get_data(as_text=True)
    first = agency.client.get(opened.headers["Location"], base_url=HTTPS)
    assert "已打开调查" in first.get_data(as_text=True)  # the ranking is under way, or done
    page = wait_for(agency.client, opened.headers["Location"])
    assert "嫌疑人" in page
    rows = page.split('<table class="ranking">')[1].split("</table>")[0]
    order = [ids[n] for n in ("col.a1", "col.a2", "col.b1")]
    assert [rows.index(account) for account in order] == sorted(rows.index(a) for a in order)
    assert rows.index(ids["col.a1"]) < rows.index(ids["col.a2"])
    ranking = agency.client.get(opened.headers["Location"] + "?format=csv", base_url=HTTPS)
    assert ranking.headers["Content-Type"] == "text/csv; charset=utf-8"
    lines = list(csv.DictReader(io.StringIO(ranking.get_data(as_text=True).lstrip("\ufeff"))))
    assert [(r["rank"], r["account"], r["debtors"]) for r in lines] == [
        ("1", ids["col.a1"], "4"),
        ("2", ids["col.a2"], "2"),
        ("3", ids["col.b1"], "1"),
    ]
    shown_first = rows.split(ids["col.a1"])[1].split("<td>")[3].split("<")[0]  # company time
    first = datetime.fromisoformat(lines[0]["first"])
    assert first.utcoffset() == timedelta(hours=8) and lines[0]["first"].endswith("+08:00")
    assert first.strftime("%Y-%m-%d %H:%M:%S") == shown_first
    opened_events = [e for e in trail(agency) if e["action"] == "audit.investigation_opened"]
    assert opened_events[-1]["actor"] == ids["auditor"]
    assert opened_events[-1]["details"]["debtors"] == 5


def test_r_aud_3_leak_triage_from_an_uploaded_file(agency: Agency, ids: dict[str, str]) -> None:
    leaked_views(agency, ids)
    upload = (io.BytesIO("\ufeffD-5\nD-9\n".encode()), "leak.csv")
    opened = post(agency, "leaks", {"pasted": "", "upload": upload, "unregistered": "y"})
    assert opened.status_code == 302, opened.get_data(as_text=True)
    page = wait_for(agency.client, opened.headers["Location"])
    assert ids["col.b1"] in page and ids["col.a1"] not in page


@pytest.mark.parametrize(
    "table",
    [
        "id,name,phone\nD-5,张三,13800000000\nD-9,李四,13900000000\n",  # a header names it
        "姓名,债务人编号\n张三,D-5\n李四,D-9\n",
        "D-5,张三,13800000000\nD-9,李四,13900000000\n",  # no header: the first column
    ],
)
def test_r_aud_3_a_leaked_table_is_read_by_its_id_column_and_nothing_else_is_kept(
    agency: Agency, ids: dict[str, str], table: str
) -> None:
    leaked_views(agency, ids)
    upload = (io.BytesIO(table.encode()), "leak.csv")
    opened = post(agency, "leaks", {"pasted": "", "upload": upload, "unregistered": "y"})
    assert opened.status_code == 302, opened.get_data(as_text=True)
    page = wait_for(agency.client, opened.headers["Location"])
    assert ids["col.b1"] in page and ids["col.a1"] not in page
    assert "13800000000" not in page and "张三" not in page
    with agency.services.sessions() as db:
        kept = db.get(Investigation, opened.headers["Location"].rsplit("/", 1)[1])
        assert kept.debtor_ids == ["D-5", "D-9"]  # never a name or a phone


def test_a_leaked_file_of_fifty_thousand_rows_fits_and_too_large_says_the_limit(
    agency: Agency, ids: dict[str, str]
) -> None:
    rows = "".join(
        f"DB-{n:04d}-{n:04d},某某{n},1380000{n:04d},某市某区某街道{n}号\n" for n in range(50_000)
    )
    assert len(rows.encode()) > 3 * 1024 * 1024  # the 2.9 MB file a review found refused
    upload = (io.BytesIO(rows.encode()), "leak.csv")
    answer = post(agency, "leaks", {"pasted": "", "upload": upload}, **ENGLISH)
    assert (
        answer.status_code == 400
    )  # read (its ids are not in the register), not refused as too large
    assert 'data-code="leaks.unregistered"' in answer.get_data(as_text=True)
    huge = (io.BytesIO(b"D-1\n" * 3_000_000), "leak.csv")
    refused = post(agency, "leaks", {"pasted": "", "upload": huge}, **ENGLISH)
    assert refused.status_code == 413
    assert "at most 8 MB" in refused.get_data(as_text=True)


@pytest.mark.parametrize(
    ("data", "code", "words"),
    [
        ({"pasted": " \n , "}, "leaks.empty", "Paste or upload at least one debtor id."),
        ({"pasted": "D-1\n" + "X" * 129}, "leaks.malformed_ids", "These are not debtor"),
        ({"pasted": "D-1", "fields": "Phone!"}, "leaks.malformed_fields", "not field"),
        (
            {"pasted": "D-1", "upload": (io.BytesIO("D-1".encode("utf-16")), "leak.txt")},
            "leaks.unreadable",
            "not text in UTF-8",
        ),
        (
            {
                "pasted": "D-1",
                "unregistered": "y",
                "start": "2026-11-28T10:00",
                "end": "2026-11-01T10:00",
            },
            "window.invalid",
            "",
        ),
    ],
)
def test_bad_leak_lists_are_refused_in_words_and_change_nothing(
    agency: Agency, ids: dict[str, str], data: dict, code: str, words: str
) -> None:
    before = len(trail(agency))
    refused = post(agency, "leaks", data, **ENGLISH)
    assert refused.status_code == 400
    page = refused.get_data(as_text=True)
    assert f'data-code="{code}"' in page and words in page
    assert [e["action"] for e in trail(agency)[before:]] == []


def test_r_aud_3_leak_triage_of_revealed_debtors_and_ids_not_in_the_register(
    agency: Agency, floor: Floor
) -> None:
    """Real reveals through the debtor API; an id not in the register is named, not ranked."""
    for who, case in (("col.a1", "C-001"), ("col.a1", "C-002"), ("col.a2", "C-003")):
        assert floor.reveal(who, case, ["phones"])[0] == 200
    floor.clock.advance(minutes=1)  # a window ends before now: the reveals are in it
    page_session(agency, "auditor")
    leaked = "\n".join(floor.debtors[case] for case in ("C-001", "C-002", "C-003"))
    refused = post(agency, "leaks", {"pasted": f"{leaked}\nX-404"}, **ENGLISH)
    told = refused.get_data(as_text=True)
    assert refused.status_code == 400 and 'data-code="leaks.unregistered"' in told
    assert "1 of these ids is not in the debtor register: X-404. Correct it," in told
    two = post(agency, "leaks", {"pasted": f"{leaked}\nX-404\nX-405"}, **ENGLISH)
    assert "2 of these ids are not in the debtor register: X-404, X-405." in two.get_data(
        as_text=True
    )
    assert not floor.events("audit.investigation_opened")
    opened = post(agency, "leaks", {"pasted": leaked})
    assert opened.status_code == 302
    page = wait_for(agency.client, opened.headers["Location"])
    rows = page.split('<table class="ranking">')[1]
    assert rows.index(floor.ids["col.a1"]) < rows.index(floor.ids["col.a2"])


def test_a_ranking_under_way_shows_how_far_it_is_and_is_ranked_again_on_asking(
    agency: Agency, ids: dict[str, str], clock: FixedClock
) -> None:
    leaked_views(agency, ids)
    opened = post(agency, "leaks", {"pasted": "D-1\nD-2", "unregistered": "y"})
    address = opened.headers["Location"]
    first = wait_for(agency.client, address)
    assert ids["col.a1"] in first
    investigation_id = address.rsplit("/", 1)[1]
    keep_run(
        agency,
        "ranking",
        "leak_triage",
        started_by=ids["auditor"],
        subject=investigation_id,
        started_at=NOW + timedelta(hours=1),
        total=2000,
        done=500,
    )
    under_way = agency.client.get(address, base_url=HTTPS, headers=ENGLISH)
    assert under_way.headers["Refresh"] == "2"
    page = under_way.get_data(as_text=True)
    assert "500 of 2000 leaked debtors checked" in page and "Rank again" not in page
    assert "table" not in page.split("Suspects")[1]  # the older ranking is not shown as now
    with agency.services.sessions() as db:
        db.delete(db.get(Run, "ranking"))
        db.commit()
    view(agency, ids["col.b1"], "D-2", NOW - timedelta(days=1))
    clock.advance(minutes=5)  # ranked again later: the newest ranking is the one shown
    again = post(agency, f"leaks/{investigation_id}", {}, **{})
    assert again.status_code == 405  # the page itself is not a form's target
    form = agency.client.get(address, base_url=HTTPS).get_data(as_text=True)
    ranked = agency.client.post(
        f"{address}/rank",
        base_url=HTTPS,
        data={"csrf_token": csrf_token(form)},
        headers={"Referer": f"{HTTPS}{address}"},
    )
    assert ranked.status_code == 302
    assert ids["col.b1"] in wait_for(agency.client, address)  # the trail as it is now


def test_too_many_leaked_ids_are_refused(agency: Agency, ids: dict[str, str]) -> None:
    pasted = "\n".join(f"D{n}" for n in range(50_001))
    refused = post(agency, "leaks", {"pasted": pasted}, **ENGLISH)
    assert refused.status_code == 400
    assert "At most 50000 debtor ids at a time." in refused.get_data(as_text=True)


def test_as_many_leaked_ids_as_taken_fit_in_a_request(agency: Agency, ids: dict[str, str]) -> None:
    """The most ids an investigation takes, written as debtor ids are (DB-7K3M-9Q2X), one a
    line, fit in one request: a list refused for its size would be lost on a 413."""
    pasted = "\r\n".join(f"DB-{n:04d}-{n:04d}"[-12:] for n in range(50_000))
    answer = post(agency, "leaks", {"pasted": pasted}, **ENGLISH)
    assert answer.status_code != 413


def test_the_leak_form_needs_its_csrf_token(agency: Agency, ids: dict[str, str]) -> None:
    refused = agency.client.post("/audit/leaks", base_url=HTTPS, data={"pasted": "D-1"})
    assert refused.status_code == 400
    assert not [e for e in trail(agency) if e["action"] == "audit.investigation_opened"]


def test_r_aud_3_the_events_search_pages_and_exports_the_same_rows_as_csv(
    agency: Agency, ids: dict[str, str]
) -> None:
    for n in range(3):
        view(agency, ids["col.a1"], "D-1", NOW - timedelta(hours=n + 1))
    view(agency, ids["col.a2"], "D-2", NOW - timedelta(hours=1))
    found = get(agency, "events", debtor="D-1", field="phones")
    page = found.get_data(as_text=True)
    assert found.status_code == 200 and page.count("<td>debtor.viewed</td>") == 3
    assert "导出 CSV" in page
    exported = get(agency, "events", debtor="D-1", field="phones", format="csv")
    assert exported.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in exported.headers["Content-Disposition"]
    body = exported.get_data()
    assert body.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    assert [(r["actor"], r["object"]) for r in rows] == [(ids["col.a1"], "D-1")] * 3
    assert queries(agency)[-1]["details"] == {
        "query": "events",
        "filters": {"debtor": "D-1", "field": "phones"},
        "results": 3,
    }


def test_an_event_without_an_actor_is_shown_as_the_systems_in_both_languages(
    agency: Agency, ids: dict[str, str]
) -> None:
    """A directory sync acts for no one: its actor is worded, never `None`."""
    window = {"action": "directory.synced", "start": "2000-01-01T00:00", "end": "2030-01-01T00:00"}
    chinese = get(agency, "events", **window).get_data(as_text=True)
    assert "<td>directory.synced</td>" in chinese
    assert "<td>系统</td>" in chinese and "None" not in chinese
    english = agency.client.get(
        "/audit/events", query_string=window, base_url=HTTPS, headers=ENGLISH
    ).get_data(as_text=True)
    assert "<td>system</td>" in english and "None" not in english


def test_the_action_input_offers_the_actions_the_trail_holds(
    agency: Agency, ids: dict[str, str]
) -> None:
    view(agency, ids["col.a1"], "D-1", NOW - timedelta(hours=1))
    searched = get(agency, "events", start="", end="")  # empty dates: the default window
    assert searched.status_code == 200
    page = searched.get_data(as_text=True)
    assert 'list="trail-actions"' in page
    offered = page.split('<datalist id="trail-actions">')[1].split("</datalist>")[0]
    names = re.findall(r'<option value="([^"]+)">', offered)
    held = sorted({event["action"] for event in trail(agency)} - {"audit.queried"})
    assert set(held) <= set(names) and names == sorted(names)
    assert {"debtor.viewed", "directory.synced", "account.issued"} <= set(names)


def test_r_aud_3_who_saw_and_what_seen_are_audited_like_the_api(
    agency: Agency, ids: dict[str, str]
) -> None:
    view(agency, ids["col.a1"], "D-1", NOW - timedelta(days=3), phones="full")
    view(agency, ids["col.a2"], "D-1", NOW - timedelta(days=2), phones="masked")
    who = get(agency, "who-saw", debtor="D-1", field="phones").get_data(as_text=True)
    assert ids["col.a1"] in who and ids["col.a2"] not in who
    assert queries(agency)[-1]["actor"] == ids["auditor"]
    assert queries(agency)[-1]["details"] == {
        "query": "who_saw",
        "filters": {"debtor": "D-1", "field": "phones", "level": "full"},
        "results": 1,
    }
    seen = get(agency, "seen", account=ids["col.a1"]).get_data(as_text=True)
    assert "<code>D-1</code>" in seen and "phones (1)" in seen
    assert queries(agency)[-1]["details"]["query"] == "what_seen"
    for path, asked, counted in (
        ("who-saw", {"debtor": "D-1", "field": "phones"}, "phones of debtor D-1: 1 view</h2>"),
        ("seen", {"account": ids["col.a1"]}, f"Account {ids['col.a1']} revealed 1 debtor</h2>"),
    ):
        english = agency.client.get(
            f"/audit/{path}", query_string=asked, base_url=HTTPS, headers=ENGLISH
        )
        assert counted in english.get_data(as_text=True)  # one, not "1 views"


def test_a_search_with_bad_fields_says_so_and_queries_nothing(
    agency: Agency, ids: dict[str, str]
) -> None:
    before = len(queries(agency))
    missing = get(agency, "who-saw", debtor="D-1", field="")
    assert missing.status_code == 400 and 'role="alert"' in missing.get_data(as_text=True)
    wrong = get(agency, "seen", account="x", start="2026-11-28T00:00", end="2026-11-01T00:00")
    assert wrong.status_code == 400 and 'data-code="window.invalid"' in wrong.get_data(as_text=True)
    assert len(queries(agency)) == before


def test_unusual_access_shows_off_hours_views(agency: Agency, ids: dict[str, str]) -> None:
    view(agency, ids["col.a1"], "D-1", NOW.replace(hour=3))
    page = get(agency, "unusual", search="1").get_data(as_text=True)
    off_hours = page.split('id="off_hours"')[1].split("</section>")[0]
    assert ids["col.a1"] in off_hours and "(1)" in off_hours
    assert queries(agency)[-1]["details"]["query"] == "unusual"


def test_the_chart_draws_views_per_hour_against_the_groups_usual(
    agency: Agency, ids: dict[str, str]
) -> None:
    hour = NOW.replace(minute=0) - timedelta(hours=5)
    for n in range(4):
        view(agency, ids["col.a1"], f"D-{n}", hour + timedelta(minutes=n))
    view(agency, ids["col.a2"], "D-1", hour)
    page = get(agency, "chart", account=ids["col.a1"]).get_data(as_text=True)
    assert 'id="views-data"' in page and "vendor/echarts-6.0.0/echarts.min.js" in page
    assert "<script>" not in page  # the CSP allows no inline script
    assert "<tr><td>2026-11-28 05:00</td><td>4</td><td>1.0</td></tr>" in page
    assert queries(agency)[-1]["details"] == {
        "query": "views_per_hour",
        "filters": {"account": ids["col.a1"]},
        "results": 4,
    }
    too_long = get(agency, "chart", account=ids["col.a1"], start="2026-09-01T00:00")
    assert too_long.status_code == 400
    assert 'data-code="window.too_long"' in too_long.get_data(as_text=True)


def verify(agency: Agency, **headers: str) -> str:
    """Press "Verify now"; the verification's page once it is done."""
    started = post(agency, "verify", {})
    assert started.status_code == 302, started.get_data(as_text=True)
    assert started.headers["Location"].startswith("/audit/verify/")
    return wait_for(agency.client, started.headers["Location"], **headers)


def test_verification_is_one_button_and_says_the_trail_is_intact(
    agency: Agency, ids: dict[str, str]
) -> None:
    agency.services.trail.checkpoint_now()
    size = len(trail(agency))
    verified = verify(agency)
    assert 'data-result="intact"' in verified and "审计记录完好" in verified
    started = [e for e in trail(agency) if e["action"] == "audit.verification"]
    assert [(e["actor"], e["object"]) for e in started] == [
        (ids["auditor"], verified_run(agency).id)
    ]
    run = verified_run(agency)
    assert run.report["events"] > size  # the trail as it stood, the verification's start in it
    assert run.total == run.done == 2 * run.report["events"]  # each event, then its index


def verified_run(agency: Agency) -> Run:
    with agency.services.sessions() as db:
        return db.scalars(select(Run).where(Run.kind == "verification")).one()


def test_a_verification_under_way_shows_how_far_it_is_and_asks_again(
    agency: Agency, ids: dict[str, str]
) -> None:
    keep_run(
        agency,
        "checking",
        "verification",
        started_by=ids["auditor"],
        started_at=NOW,
        total=400,
        done=100,
    )
    response = agency.client.get("/audit/verify/checking", base_url=HTTPS, headers=ENGLISH)
    assert response.headers["Refresh"] == "2"
    page = response.get_data(as_text=True)
    assert 'data-run="running"' in page and '<progress max="400" value="100">' in page
    assert "25% checked" in page and "Verify now" not in page  # one at a time from this page


def test_one_desk_never_sees_the_others_runs(agency: Agency) -> None:
    ids = agency.with_accounts("auditor", "it")
    page_session(agency, "auditor")
    for kind in ("sweep", "verification"):
        keep_run(agency, kind, kind, dry_run=True, started_by=ids["auditor"], started_at=NOW)
    refused = get(agency, "verify/sweep")
    assert refused.status_code == 404
    assert 'data-code="run.unknown"' in refused.get_data(as_text=True)
    page_session(agency, "it")
    assert get(agency, "verify/verification").status_code == 403
    sweep = agency.client.get("/departures/runs/verification", base_url=HTTPS)
    assert sweep.status_code == 404


def test_a_collector_gets_403_and_no_audit_menu(agency: Agency) -> None:
    agency.with_accounts("col.a1")
    page_session(agency, "col.a1")
    for path in ("events", "who-saw", "seen", "leaks", "unusual", "chart", "verify"):
        refused = get(agency, path)
        assert refused.status_code == 403, path
        assert 'data-code="role.action_denied"' in refused.get_data(as_text=True)
    home = agency.client.get("/", base_url=HTTPS).get_data(as_text=True)
    assert "/audit/" not in home


def test_the_auditor_sees_the_audit_menu(agency: Agency, ids: dict[str, str]) -> None:
    home = agency.client.get("/", base_url=HTTPS).get_data(as_text=True)
    for path in ("events", "who-saw", "seen", "leaks", "unusual", "chart", "verify"):
        assert f'href="/audit/{path}"' in home, path


def test_r_aud_2_verification_names_the_first_bad_event_in_words(
    agency: Agency, ids: dict[str, str], owner_engine
) -> None:
    agency.services.trail.checkpoint_now()

    def change(connection: Connection) -> None:
        forged = b'{"seq":3,"forged":true}'
        connection.execute(update(store.events).where(store.events.c.seq == 3).values(entry=forged))

    as_owner_without_triggers(owner_engine, change)
    page = verify(agency, **ENGLISH)
    assert 'data-result="tampered"' in page
    assert "The trail has been tampered with: the first bad event is number 3" in page


def test_a_run_whose_process_died_is_shown_interrupted_and_can_be_started_again(
    agency: Agency, ids: dict[str, str], clock: FixedClock
) -> None:
    leaked_views(agency, ids)
    opened = post(agency, "leaks", {"pasted": "D-1", "unregistered": "y"})
    address = opened.headers["Location"]
    wait_for(agency.client, address)
    clock.advance(minutes=1)  # a ranking asked again later
    keep_run(
        agency,
        "orphan",
        "leak_triage",
        started_by=ids["auditor"],
        subject=address.rsplit("/", 1)[1],
        started_at=clock.now(),
        updated_at=clock.now(),
        total=10,
        done=3,
    )
    assert 'data-run="running"' in agency.client.get(address, base_url=HTTPS).get_data(True)
    clock.advance(minutes=16)  # a worker restarted under it: nothing written since
    page = agency.client.get(address, base_url=HTTPS, headers=ENGLISH).get_data(as_text=True)
    assert 'data-code="run.interrupted"' in page and "start it again" in page
    assert "Rank again" in page


def test_the_verify_page_shows_the_newest_verification_and_one_runs_at_a_time(
    agency: Agency, ids: dict[str, str]
) -> None:
    assert "立即校验" in get(agency, "verify").get_data(as_text=True)  # none yet
    first = verify(agency, **ENGLISH)
    again = agency.client.get("/audit/verify", base_url=HTTPS, headers=ENGLISH)
    shown = again.get_data(as_text=True)
    assert 'data-result="intact"' in shown and "Verify again" in shown and first
    keep_run(
        agency,
        "checking",
        "verification",
        started_by=ids["col.a1"],
        started_at=NOW + timedelta(hours=1),
        total=100,
        done=10,
    )
    busy = agency.client.get("/audit/verify", base_url=HTTPS, headers=ENGLISH)
    assert 'data-run="running"' in busy.get_data(as_text=True)  # another auditor's, shown
    assert "Verify again" not in busy.get_data(as_text=True)
    token = csrf_token(get(agency, "leaks").get_data(as_text=True))  # a second tab's button
    started = agency.client.post(
        "/audit/verify",
        base_url=HTTPS,
        data={"csrf_token": token},
        headers={"Referer": f"{HTTPS}/audit/verify"},
    )
    assert started.headers["Location"] == "/audit/verify/checking"  # not a second one


def test_a_ranking_s_csv_before_any_ranking_and_a_page_out_of_range_are_answered_in_words(
    agency: Agency, ids: dict[str, str]
) -> None:
    with agency.services.sessions() as db:
        ctx = agency.services.context()
        scope = Scope(["D-1"], [], Window.of(None, None, ctx.clock))
        unranked = new_leak_investigation(db, ctx, ids["auditor"], scope)
    csv_first = get(agency, f"leaks/{unranked.id}", format="csv")
    assert csv_first.status_code == 404
    assert 'data-code="ranking.none"' in csv_first.get_data(as_text=True)
    for wrong in ("-1", "abc", "99999999999999999999"):
        shown = get(agency, f"leaks/{unranked.id}", page=wrong).get_data(as_text=True)
        assert "第 1 页" in shown or "Not ranked" in shown or "尚未排序" in shown
    huge = get(agency, "events", after="99999999999999999999999")
    assert huge.status_code == 400 and 'role="alert"' in huge.get_data(as_text=True)
