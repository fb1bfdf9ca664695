"""A debtor's notes and the contact check in a browser (Flask's test client): the language
check shown inline (R-NTE-3), the guard's answer in words before dialling (R-CON-1)."""

from __future__ import annotations

from datetime import datetime

from flask.testing import FlaskClient

from tests.support.clock import SHANGHAI
from tests.support.floor import Floor
from tests.support.notes import TEXT, notes
from tests.support.pages import HTTPS, csrf_token, page_session

PHONE = "13812345678"  # C-001's own number


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=SHANGHAI)


def notes_page(floor: Floor, who: str, case: str = "C-001") -> tuple[FlaskClient, str, str]:
    page_session(floor.agency, who)
    client, path = floor.agency.client, f"/debtors/{floor.debtors[case]}"
    got = client.get(f"{path}/notes", base_url=HTTPS)
    return client, path, got.get_data(as_text=True)


def post(client: FlaskClient, path: str, html: str, **form: object) -> tuple[int, str]:
    sent = {"csrf_token": csrf_token(html)} | form
    posted = client.post(path, base_url=HTTPS, headers={"Referer": HTTPS + path}, data=sent)
    return posted.status_code, posted.get_data(as_text=True)


def add(client: FlaskClient, path: str, html: str, text: str, **form: object) -> tuple[int, str]:
    note = {"party": "debtor", "direction": "none", "outcome": "none", "text": text}
    return post(client, f"{path}/notes", html, **(note | form))


def test_r_nte_3_a_note_naming_a_lawyer_is_refused_inline_with_its_text_kept(
    floor: Floor,
) -> None:
    client, path, html = notes_page(floor, "col.a1")
    text = "客户说要找律师处理。"
    status, refused = add(client, path, html, text)
    assert status == 400
    assert 'data-code="note.forbidden_language"' in refused
    terms = refused.split('class="error forbidden-terms"')[1].split("</div>")[0]
    assert '<strong class="term">律师</strong>' in terms and "R-NTE-3" in terms
    assert f"{text}</textarea>" in refused  # the text kept, to rewrite
    assert notes(floor, "col.a1", "C-001")[1]["notes"] == []  # nothing recorded


def test_r_nte_1_a_note_is_recorded_and_listed_with_its_server_time(floor: Floor) -> None:
    floor.clock.set(at(27, 10, 30))
    client, path, html = notes_page(floor, "col.a1")
    status, _ = add(client, path, html, TEXT, purpose="remind_due")
    assert status == 302
    listed = client.get(f"{path}/notes", base_url=HTTPS).get_data(as_text=True)
    assert "催收记录已保存。" in listed and TEXT in listed
    assert "2026-11-27 10:30" in listed
    (recorded,) = notes(floor, "col.a1", "C-001")[1]["notes"]
    assert (recorded["text"], recorded["account_id"]) == (TEXT, floor.ids["col.a1"])


def test_a_note_without_its_csrf_token_is_not_recorded(floor: Floor) -> None:
    client, path, html = notes_page(floor, "col.a1")
    status, _ = add(client, path, html, TEXT, csrf_token="forged")
    assert status == 400
    assert notes(floor, "col.a1", "C-001")[1]["notes"] == []


def test_r_con_1_the_check_before_dialling_says_why_not_and_from_when(floor: Floor) -> None:
    floor.clock.set(at(28, 7, 59))
    client, path, html = notes_page(floor, "col.a1")
    status, answer = post(client, f"{path}/contact-check", html, party="debtor", phone=PHONE)
    assert status == 200
    denied = answer.split('data-allowed="false"')[1].split("</div>")[0]
    assert 'data-reason="contact.quiet_hours"' in answer and "R-CON-1" in denied
    said = denied.split("<p>")[1].split("</p>")[0]
    assert "现在不允许拨打。" in said and "contact." not in said  # the reason in words
    assert "最早可拨打时间：2026-11-28 08:00" in denied
    floor.clock.set(at(28, 8, 0))
    status, answer = post(client, f"{path}/contact-check", html, party="debtor", phone=PHONE)
    assert 'data-allowed="true"' in answer and "允许：现在可以拨打。" in answer


def test_a_number_not_the_partys_is_refused_in_words(floor: Floor) -> None:
    floor.clock.set(at(27, 10, 0))
    client, path, html = notes_page(floor, "col.a1")
    status, answer = post(
        client, f"{path}/contact-check", html, party="debtor", phone="13900009999"
    )
    assert status == 400 and 'data-code="contact.not_party_number"' in answer


def test_r_acs_2_a_collector_of_another_project_group_gets_the_doors_refusal_in_words(
    floor: Floor,
) -> None:
    _, _, html = notes_page(floor, "col.a2")
    assert 'data-code="debtor.not_assigned"' in html
    assert TEXT not in html


def test_the_debtors_page_offers_the_check_before_dialling(floor: Floor) -> None:
    floor.clock.set(at(28, 7, 59))
    client, path, _ = notes_page(floor, "col.a1")
    record = client.get(path, base_url=HTTPS).get_data(as_text=True)
    check = record.split('class="contact-check"')[1].split("</form>")[0]
    assert 'name="party"' in check and 'name="phone"' in check
    status, answer = post(client, f"{path}/contact-check", check, party="debtor", phone=PHONE)
    assert (status, 'data-reason="contact.quiet_hours"' in answer) == (200, True)
