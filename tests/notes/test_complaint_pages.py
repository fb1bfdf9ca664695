"""The complaint desk's and supervisors' pages (R-CON-5): the open cases with their deadlines,
resuming collection with a reason, once confirmed, the client report; the calls left without
a note (R-NTE-1); and the collector's own unnoted calls to pick on the note form."""

from __future__ import annotations

from datetime import datetime

import pytest
from flask.testing import FlaskClient

from tests.notes.test_complaints import REASON, cases, complain
from tests.support.calls import record_call
from tests.support.clock import SHANGHAI
from tests.support.floor import Floor
from tests.support.notes import TEXT, note, notes
from tests.support.pages import HTTPS, csrf_token, page_session


@pytest.fixture
def desk(floor: Floor) -> Floor:
    """The floor with the complaint desk's account."""
    floor.ids["desk"] = floor.agency.issue("desk", "gm")
    return floor


def opened(floor: Floor, who: str, path: str) -> tuple[FlaskClient, int, str]:
    page_session(floor.agency, who)
    got = floor.agency.client.get(path, base_url=HTTPS)
    return floor.agency.client, got.status_code, got.get_data(as_text=True)


def post(client: FlaskClient, path: str, html: str, **form: object) -> tuple[int, str]:
    sent = {"csrf_token": csrf_token(html)} | form
    posted = client.post(path, base_url=HTTPS, headers={"Referer": HTTPS + path}, data=sent)
    return posted.status_code, posted.get_data(as_text=True)


def row(html: str, case_id: str) -> str:
    return html.split(f'data-case="{case_id}"')[1].split("</tr>")[0]


def test_r_con_5_the_desk_sees_an_open_case_with_its_deadline_in_company_time(desk: Floor) -> None:
    complain(desk)
    [case] = cases(desk, "desk")
    _, status, html = opened(desk, "desk", "/complaints")
    assert status == 200 and "投诉案件" in html
    shown = row(html, case["id"])
    deadline = datetime.fromisoformat(case["deadline"]).astimezone(SHANGHAI)
    assert deadline.strftime("%Y-%m-%d %H:%M") in shown
    assert desk.debtors["C-001"] in shown and "恢复催收" in shown
    assert 'href="/complaints"' in html  # the menu entry
    client = desk.agency.client
    client.get("/language/en", base_url=HTTPS)
    english = client.get("/complaints", base_url=HTTPS).get_data(as_text=True)
    assert "Complaint cases" in english and "Resume collection" in english


def test_r_con_5_resuming_takes_a_reason_and_a_confirmation_then_collection_resumes(
    desk: Floor,
) -> None:
    complain(desk)
    [case] = cases(desk, "desk")
    client, _, html = opened(desk, "sup.a1", "/complaints")
    path = f"/complaints/{case['id']}/resume"
    status, answer = post(client, path, html, reason=REASON)  # not confirmed
    assert status == 400 and cases(desk, "desk")[0]["state"] == "open"
    status, answer = post(client, path, html, reason="  好了  ", confirm="y")
    assert status == 422 and 'data-code="justification.too_short"' in row(answer, case["id"])
    assert "justification.too_short</p>" not in answer  # in words
    assert cases(desk, "desk")[0]["state"] == "open"
    status, _ = post(client, path, html, reason=REASON, confirm="y")
    assert status == 302 and cases(desk, "desk") == []
    listed = client.get("/complaints", base_url=HTTPS).get_data(as_text=True)
    assert "已恢复催收" in listed


def test_r_con_5_a_resume_without_its_csrf_token_changes_nothing(desk: Floor) -> None:
    complain(desk)
    [case] = cases(desk, "desk")
    client, _, html = opened(desk, "desk", "/complaints")
    path = f"/complaints/{case['id']}/resume"
    status, _ = post(client, path, html, reason=REASON, confirm="y", csrf_token="forged")
    assert status == 400 and cases(desk, "desk")[0]["state"] == "open"


def test_r_con_5_a_case_is_marked_reported_to_the_client_once(desk: Floor) -> None:
    complain(desk)
    [case] = cases(desk, "desk")
    client, _, html = opened(desk, "desk", "/complaints?report=1")
    assert case["id"] in html
    path = f"/complaints/{case['id']}/reported"
    status, _ = post(client, path, html)
    assert status == 302 and cases(desk, "desk", report="true") == []
    listed = client.get("/complaints?report=1", base_url=HTTPS).get_data(as_text=True)
    assert f'data-case="{case["id"]}"' not in listed and "没有待报告" in listed
    status, answer = post(client, path, html)
    assert status == 409 and 'data-code="complaint.reported"' in answer


def test_r_con_5_a_supervisor_cannot_resume_a_case_they_do_not_reach(desk: Floor) -> None:
    call = record_call(desk, "C-003", who="col.a2", number="15011112222")
    assert note(desk, "col.a2", "C-003", call_id=call, flags=["complaint"])[0] == 201
    [case] = cases(desk, "desk")
    complain(desk)  # C-001, sup.a1's project group: their page has a form
    client, _, html = opened(desk, "sup.a1", "/complaints")
    assert f'data-case="{case["id"]}"' not in html
    path = f"/complaints/{case['id']}/resume"
    status, answer = post(client, path, html, reason=REASON, confirm="y")
    assert status == 403 and 'data-code="debtor.not_assigned"' in answer
    assert [item["state"] for item in cases(desk, "desk")] == ["open", "open"]


def test_r_con_5_a_collector_gets_403_on_complaints_and_no_menu_entry(desk: Floor) -> None:
    _, status, html = opened(desk, "col.a1", "/complaints")
    assert status == 403 and 'data-code="role.action_denied"' in html
    home = desk.agency.client.get("/", base_url=HTTPS).get_data(as_text=True)
    assert 'href="/complaints"' not in home and 'href="/calls/unnoted"' not in home


def test_r_nte_1_a_supervisor_sees_a_call_left_without_a_note(floor: Floor) -> None:
    call = record_call(floor, "C-001", started_at=datetime(2026, 11, 28, 9, 30, tzinfo=SHANGHAI))
    floor.clock.set(datetime(2026, 11, 28, 18, 0, tzinfo=SHANGHAI))
    _, status, html = opened(floor, "sup.a1", "/calls/unnoted")
    assert status == 200 and "未写记录的通话" in html
    shown = html.split(f'data-call="{call}"')[1].split("</tr>")[0]
    assert "2026-11-28 09:30" in shown and "2026-11-28 18:00" in shown
    assert floor.ids["col.a1"] in shown
    _, status, _ = opened(floor, "col.a1", "/calls/unnoted")
    assert status == 403


def test_r_nte_1_the_note_form_offers_the_collectors_own_unnoted_calls_with_the_debtor(
    floor: Floor,
) -> None:
    mine = record_call(floor, "C-001")
    other = record_call(floor, "C-002", number="13987654321")  # another debtor
    path = f"/debtors/{floor.debtors['C-001']}/notes"
    client, _, html = opened(floor, "col.a1", path)
    picker = html.split('name="call_id"')[1].split("</select>")[0]
    assert f'value="{mine}"' in picker and other not in picker
    assert '<option selected value="">无通话</option>' in picker or 'value="">无通话' in picker
    sent = {"party": "debtor", "direction": "outbound", "outcome": "connected", "text": TEXT}
    status, _ = post(client, path, html, call_id=mine, purpose="remind_due", **sent)
    assert status == 302
    (recorded,) = notes(floor, "col.a1", "C-001")[1]["notes"]
    assert recorded["call_id"] == mine
    again = client.get(path, base_url=HTTPS).get_data(as_text=True)
    assert mine not in again.split('name="call_id"')[1].split("</select>")[0]  # noted now


def test_the_open_tabs_resume_form_posts_without_the_report_flag(desk: Floor) -> None:
    complain(desk)
    [case] = cases(desk, "desk")
    _, _, html = opened(desk, "desk", "/complaints")
    assert f'action="/complaints/{case["id"]}/resume"' in row(html, case["id"])
    _, _, html = opened(desk, "desk", "/complaints?report=1")
    assert f'action="/complaints/{case["id"]}/reported?report=1"' in row(html, case["id"])
