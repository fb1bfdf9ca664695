"""The policy admin's pages: the policy as a grid, a decision explained field by field
(R-ACS-2, R-ACS-4)."""

from __future__ import annotations

import re

from flask.testing import FlaskClient

from tests.support.floor import Floor
from tests.support.pages import HTTPS, csrf_token, page_session

ENGLISH = {"Accept-Language": "en"}


def cell(html: str, role: str, group: str, field: str) -> str:
    row = re.search(
        rf'<tr data-role="{role}" data-group="{re.escape(group)}">(.*?)</tr>', html, re.S
    )
    assert row, (role, group)
    found = re.search(rf'<td data-field="{field}">(.*?)</td>', row.group(1), re.S)
    assert found, field
    return found.group(1)


def test_r_acs_2_the_grid_shows_a_line_of_the_default_policy(floor: Floor) -> None:
    page_session(floor.agency, "padmin")
    html = floor.agency.client.get("/access/policy", base_url=HTTPS).get_data(as_text=True)
    # policies/access/policy.csv: p, collector, *, phones, on_purpose
    assert "level-on_purpose" in cell(html, "collector", "*", "phones")
    assert "level-full" in cell(html, "collector", "*", "name")
    assert "level-none" in cell(html, "supervisor", "*", "name")  # its own lines only
    assert "supervisor" in html and "包含" in html  # supervisor includes collector
    english = floor.agency.client.get("/access/policy", base_url=HTTPS, headers=ENGLISH)
    assert "Supervisor includes Collector in project group *" in english.get_data(as_text=True)


def row_label(html: str, role: str) -> str:
    found = re.search(
        rf'<tr data-role="{role}" data-group="\*">\s*<th scope="row">(.*?)</th>', html
    )
    assert found, role
    return found.group(1)


def test_the_grid_names_its_roles_in_the_pages_language_and_scrolls_in_one_box(
    floor: Floor,
) -> None:
    page_session(floor.agency, "padmin")
    html = floor.agency.client.get("/access/policy", base_url=HTTPS).get_data(as_text=True)
    assert row_label(html, "collector").startswith("催收员")
    assert row_label(html, "department_head").startswith("部门负责人")
    english = floor.agency.client.get("/access/policy", base_url=HTTPS, headers=ENGLISH)
    assert row_label(english.get_data(as_text=True), "collector").startswith("Collector")
    # one scroll box: a second one inside it hid the last columns at 1366 px
    assert html.count('class="wide"') == 1


def explain(client: FlaskClient, **data: str) -> object:
    page = client.get("/access/explain", base_url=HTTPS).get_data(as_text=True)
    return client.post(
        "/access/explain",
        base_url=HTTPS,
        headers={"Referer": f"{HTTPS}/access/explain"},
        data={"csrf_token": csrf_token(page), **data},
    )


def reasons(html: str) -> dict[str, str]:
    return dict(re.findall(r'<tr data-field="([^"]+)" data-reason="([^"]*)">', html))


def test_r_acs_4_explain_gives_the_doors_reason_field_by_field(floor: Floor) -> None:
    page_session(floor.agency, "padmin")
    asked = {"account": floor.ids["intern.a"], "debtor": floor.debtors["C-001"]}
    answer = explain(floor.agency.client, field="", **asked)
    assert answer.status_code == 200
    found = reasons(answer.get_data(as_text=True))
    assert found["phones"] == "training.system-use.missing"
    assert {"name", "phones", "project_group"} <= set(found)
    assert len(floor.events("access.explained")) == len(found)  # each question recorded

    other = {"account": floor.ids["col.b1"], "debtor": floor.debtors["C-001"]}
    answer = explain(floor.agency.client, field="phones", **other)
    assert reasons(answer.get_data(as_text=True)) == {"phones": "debtor.not_assigned"}


def test_explain_refuses_an_unknown_debtor_in_words_and_needs_csrf(floor: Floor) -> None:
    page_session(floor.agency, "padmin")
    unknown = "DB-7K3M-9Q2X"  # well formed, no such debtor
    answer = explain(floor.agency.client, account=floor.ids["col.a1"], debtor=unknown, field="")
    assert answer.status_code == 404
    assert 'data-code="debtor.unknown"' in answer.get_data(as_text=True)
    malformed = explain(floor.agency.client, account=floor.ids["col.a1"], debtor="D-?", field="")
    assert 'data-code="debtor.id_malformed"' in malformed.get_data(as_text=True)
    forged = floor.agency.client.post(
        "/access/explain",
        base_url=HTTPS,
        data={"account": floor.ids["col.a1"], "debtor": floor.debtors["C-001"]},
    )
    assert forged.status_code == 400
    assert floor.events("access.explained") == []


def test_a_collector_gets_403_and_no_menu_entry_the_auditor_reads(floor: Floor) -> None:
    page_session(floor.agency, "col.a1")
    client = floor.agency.client
    for path in ("/access/policy", "/access/explain"):
        assert client.get(path, base_url=HTTPS).status_code == 403
    assert "/access/" not in client.get("/", base_url=HTTPS).get_data(as_text=True)
    page_session(floor.agency, "auditor")
    home = client.get("/", base_url=HTTPS).get_data(as_text=True)
    assert 'href="/access/policy"' in home and 'href="/access/explain"' in home
    assert client.get("/access/policy", base_url=HTTPS).status_code == 200
