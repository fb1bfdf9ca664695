"""The collector's debtor pages in a browser (Flask's test client): the caseload masked, a
debtor field by field as the door decides, reveal with a purpose (R-ACS-1, R-ACS-2, R-ACS-3)."""

from __future__ import annotations

import re

from flask.testing import FlaskClient

from tests.support.floor import Floor
from tests.support.pages import HTTPS, csrf_token, page_session

PHONE, MASKED = "13812345678", "138****5678"
ENGLISH = {"Accept-Language": "en"}
CHINESE = re.compile("[\u4e00-\u9fff]")


def signed_in(floor: Floor, who: str) -> FlaskClient:
    page_session(floor.agency, who)
    return floor.agency.client


def record(floor: Floor, who: str, case: str = "C-001", **kwargs: object) -> tuple[int, str]:
    got = signed_in(floor, who).get(f"/debtors/{floor.debtors[case]}", base_url=HTTPS, **kwargs)
    return got.status_code, got.get_data(as_text=True)


def reveal(floor: Floor, html: str, case: str = "C-001", **form: object) -> tuple[int, str]:
    sent = {"csrf_token": csrf_token(html), "fields_": ["phones"], "purpose": "scheduled_call"}
    posted = floor.agency.client.post(
        f"/debtors/{floor.debtors[case]}/reveal",
        base_url=HTTPS,
        headers={"Referer": f"{HTTPS}/debtors/{floor.debtors[case]}"},
        data=sent | form,
    )
    return posted.status_code, posted.get_data(as_text=True)


def withheld_words(html: str) -> str:
    """The words of the first withheld field's reason (after "Withheld:"), never its code."""
    words = html.split('class="withheld"')[1].split(">", 1)[1].split("</span>")[0]
    words = words.split("：", 1)[-1].split(":", 1)[-1].strip()
    assert words and not re.fullmatch(r"[a-z0-9_.-]+", words), words
    return words


def row(html: str, field: str) -> str:
    """The record's row of one field."""
    return html.split(f'<tr data-field="{field}">')[1].split("</tr>")[0]


def test_r_acs_1_an_intern_without_the_certification_sees_no_phone_but_the_reason(
    floor: Floor,
) -> None:
    status, html = record(floor, "intern.a")
    assert status == 200
    phones = row(html, "phones")
    assert 'data-reason="training.system-use.missing"' in phones
    assert "不予显示：" in phones and re.search(CHINESE, withheld_words(phones))  # in words
    assert PHONE not in html and MASKED not in html
    assert "pg-a1" in row(html, "project_group")  # a field needing no training is shown


def test_r_acs_2_a_certified_collector_sees_the_phone_masked_and_may_reveal_it(
    floor: Floor,
) -> None:
    status, html = record(floor, "col.a1")
    assert status == 200
    assert MASKED in row(html, "phones") and PHONE not in html
    assert "张三" in row(html, "name")  # a collector's name is in full
    assert 'value="phones"' in html and "约定回访" in html  # the reveal form, its purposes


def test_r_acs_3_a_reveal_with_a_purpose_shows_it_once_and_is_audited_like_the_apis(
    floor: Floor,
) -> None:
    _, html = record(floor, "col.a1")
    status, shown = reveal(floor, html)
    assert status == 200
    assert PHONE in row(shown, "phones")
    assert "约定回访" in shown  # the purpose it was revealed for
    revealed = floor.events("debtor.revealed")
    assert len(revealed) == 1
    event = revealed[0]
    assert (event["actor"], event["object"]) == (floor.ids["col.a1"], floor.debtors["C-001"])
    assert event["details"]["fields"] == {"phones": "full"}
    assert event["details"]["purpose"] == "scheduled_call"
    assert PHONE not in str(event)
    _, again = record(floor, "col.a1")
    assert PHONE not in again  # shown once: the record is masked again


def test_a_reveal_without_its_csrf_token_reveals_nothing(floor: Floor) -> None:
    _, html = record(floor, "col.a1")
    status, shown = reveal(floor, html, csrf_token="forged")
    assert status == 400 and PHONE not in shown
    assert floor.events("debtor.revealed") == []


def test_a_reveal_without_a_purpose_of_the_list_is_refused_in_words(floor: Floor) -> None:
    _, html = record(floor, "col.a1")
    status, shown = reveal(floor, html, purpose="curiosity")
    assert status == 400 and PHONE not in shown
    assert 'class="error"' in shown
    assert floor.events("debtor.revealed") == []


def test_r_acs_2_a_collector_of_another_project_group_gets_the_doors_refusal_in_words(
    floor: Floor,
) -> None:
    status, html = record(floor, "col.a2")
    assert status == 403
    assert 'data-code="debtor.not_assigned"' in html
    assert "张三" not in html and MASKED not in html
    denial = floor.events("access.denied")[-1]
    assert (denial["actor"], denial["object"], denial["details"]["code"]) == (
        floor.ids["col.a2"],
        floor.debtors["C-001"],
        "debtor.not_assigned",
    )


def test_r_acs_2_my_caseload_lists_my_groups_debtors_masked(floor: Floor) -> None:
    client = signed_in(floor, "col.a1")
    got = client.get("/debtors", base_url=HTTPS)
    html = got.get_data(as_text=True)
    assert got.status_code == 200
    assert "C-001" in html and "C-002" in html and "C-003" not in html
    assert "张*" in html and MASKED in html
    assert "张三" not in html and PHONE not in html
    assert floor.events("debtor.listed")  # the list is audited as the API's


def test_an_interns_caseload_shows_each_withheld_field_with_its_reason(floor: Floor) -> None:
    client = signed_in(floor, "intern.a")
    html = client.get("/debtors", base_url=HTTPS, headers=ENGLISH).get_data(as_text=True)
    assert "C-001" in html
    assert 'data-reason="training.system-use.missing"' in html
    assert "Withheld:" in html and MASKED not in html


def test_the_caseload_is_in_the_menu_of_a_collector(floor: Floor) -> None:
    client = signed_in(floor, "col.a1")
    home = client.get("/", base_url=HTTPS).get_data(as_text=True)
    assert 'href="/debtors">我的案件</a>' in home


def test_a_page_of_the_caseload_starts_after_the_last_debtor_of_the_one_before(
    floor: Floor,
) -> None:
    client = signed_in(floor, "col.a1")
    first, second = sorted([floor.debtors["C-001"], floor.debtors["C-002"]])
    html = client.get(f"/debtors?after={first}", base_url=HTTPS).get_data(as_text=True)
    assert second in html and f'data-debtor="{first}"' not in html


def test_a_reveal_of_no_field_is_refused_in_words(floor: Floor) -> None:
    _, html = record(floor, "col.a1")
    status, shown = reveal(floor, html, fields_=[])
    assert status == 400 and "请至少选择一项。" in shown
    assert floor.events("debtor.revealed") == []


def test_the_debtor_page_speaks_english_when_asked(floor: Floor) -> None:
    status, html = record(floor, "intern.a", headers=ENGLISH)
    assert status == 200
    assert '<th scope="row">Phone</th>' in html
    assert "Withheld:" in html and not re.search(CHINESE, withheld_words(row(html, "phones")))
