"""The general manager's creditors page: recording a creditor, ending its contract with its
name typed again, the certificate; Chinese first, English by the toggle, CSRF on every form."""

from __future__ import annotations

import re

from flask.testing import FlaskClient

from govern.creditors.certificate import verify
from tests.support.floor import Floor
from tests.support.pages import HTTPS, csrf_token, page_session

ENGLISH = {"Accept-Language": "en"}
BANK = "某银行信用卡中心"


def post(client: FlaskClient, path: str, form_page: str, **data: object) -> object:
    page = client.get(form_page, base_url=HTTPS).get_data(as_text=True)
    return client.post(
        path,
        base_url=HTTPS,
        headers={"Referer": f"{HTTPS}{form_page}"},
        data={"csrf_token": csrf_token(page), **data},
    )


def record(client: FlaskClient, **data: object) -> object:
    form = {
        "name": BANK,
        "project_groups": "pg-a1, pg-a2",
        "contract_start": "2026-01-01",
        "contract_end": "2027-06-30",
        "purposes": ["scheduled_call", "dispute"],
    }
    return post(client, "/creditors/", "/creditors/", **(form | data))


def creditor_id(html: str) -> str:
    found = re.search(r'<tr data-creditor="([^"]+)" data-state="([^"]+)">', html)
    assert found, html
    return found.group(1)


def test_the_general_manager_records_a_creditor_and_ends_its_contract(floor: Floor) -> None:
    client = floor.agency.client
    page_session(floor.agency, "gm")
    page = client.get("/creditors/", base_url=HTTPS).get_data(as_text=True)
    assert "<h1>委托方（甲方）</h1>" in page and "尚未登记委托方" in page
    english = client.get("/creditors/", base_url=HTTPS, headers=ENGLISH).get_data(as_text=True)
    assert "No creditor is recorded yet." in english

    refused = record(client, contract_end="2025-01-01")
    assert refused.status_code == 400
    assert 'data-code="creditor.period_reversed"' in refused.get_data(as_text=True)
    done = record(client, name=f"  {BANK}\u3000")  # trimmed, as the API trims it
    assert done.status_code == 302
    assert [c["name"] for c in floor.call("GET", "/api/v1/creditors", "gm")[1]["creditors"]] == [
        BANK
    ]
    page = client.get("/creditors/", base_url=HTTPS).get_data(as_text=True)
    assert "已登记，并有自己的数据密钥" in page
    ident = creditor_id(page)
    assert f'data-creditor="{ident}" data-state="running"' in page
    assert "约定回访" in page  # its agreed purposes by their names

    end_page = f"/creditors/{ident}/end"
    wrong = post(client, end_page, end_page, name="某信托", confirm="y")
    assert wrong.status_code == 400
    assert 'data-code="creditor.name_mismatch"' in wrong.get_data(as_text=True)
    unconfirmed = post(client, end_page, end_page, name=BANK)
    assert unconfirmed.status_code == 400
    assert floor.view("col.a1", "C-001")[0] == 200  # nothing destroyed yet

    ended = post(client, end_page, end_page, name=BANK, confirm="y")
    assert ended.status_code == 302
    certificate = client.get(ended.headers["Location"], base_url=HTTPS).get_data(as_text=True)
    assert "删除证明" in certificate
    assert '<dd data-count="debtors">4</dd>' in certificate
    download = client.get(
        f"/creditors/{ident}/certificate", base_url=HTTPS, query_string={"download": 1}
    )
    assert verify(download.get_json(), download.get_json()["public_key"].encode())
    assert floor.view("col.a1", "C-001")[1]["error"]["code"] == "creditor.contract_ended"
    page = client.get("/creditors/", base_url=HTTPS).get_data(as_text=True)
    assert f'data-creditor="{ident}" data-state="ended"' in page


def test_the_forms_need_their_csrf_token(floor: Floor) -> None:
    client = floor.agency.client
    page_session(floor.agency, "gm")
    answer = client.post(
        "/creditors/",
        base_url=HTTPS,
        headers={"Referer": f"{HTTPS}/creditors/"},
        data={
            "name": BANK,
            "project_groups": "pg-a1",
            "contract_start": "2026-01-01",
            "contract_end": "2027-06-30",
            "purposes": ["scheduled_call"],
        },  # all it needs but the token
    )
    assert answer.status_code == 400
    assert "The CSRF token is missing." in answer.get_data(as_text=True)
    assert floor.call("GET", "/api/v1/creditors", "gm")[1]["creditors"] == []


def test_the_auditor_reads_the_page_but_is_offered_no_form(floor: Floor) -> None:
    client = floor.agency.client
    page_session(floor.agency, "auditor")
    page = client.get("/creditors/", base_url=HTTPS)
    assert page.status_code == 200
    assert 'name="csrf_token"' not in page.get_data(as_text=True)
    assert client.get("/creditors/", base_url=HTTPS).status_code == 200
    page_session(floor.agency, "col.a1")
    assert client.get("/creditors/", base_url=HTTPS).status_code == 403


def test_each_creditors_change_of_end_has_a_field_of_its_own_its_label_pointing_to_it(
    floor: Floor,
) -> None:
    client = floor.agency.client
    page_session(floor.agency, "gm")
    assert record(client).status_code == 302
    assert record(client, name="某消费金融公司").status_code == 302
    page = client.get("/creditors/", base_url=HTTPS).get_data(as_text=True)
    ids = re.findall(r'<tr data-creditor="([^"]+)"', page)
    assert len(ids) == 2
    for found in ids:
        assert page.count(f'id="contract_end-{found}"') == 1
        assert page.count(f'for="contract_end-{found}"') == 1
    assert page.count('id="contract_end"') == 1  # the form recording a creditor's
    assert 'id="csrf_token"' not in page


def test_a_contract_not_started_says_so_on_the_page(floor: Floor) -> None:
    client = floor.agency.client
    page_session(floor.agency, "gm")
    assert record(client, contract_start="2026-12-01").status_code == 302
    page = client.get("/creditors/", base_url=HTTPS).get_data(as_text=True)
    assert 'data-state="not_started"' in page and "尚未开始" in page
