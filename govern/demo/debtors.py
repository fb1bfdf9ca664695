"""The demo's ~1,000 fictitious debtors, generated the same way every time (seeded) and
imported through the same path as `govern debtors import`."""

from __future__ import annotations

import csv
import io
import random

from govern.debtors.importer import COLUMNS, check_character

PROJECT_GROUPS = ("bank-a", "bank-b", "card-c", "card-d")
CLIENTS = {
    "bank-a": "甲银行信用卡中心",
    "bank-b": "乙银行消费金融部",
    "card-c": "丙消费金融有限公司",
    "card-d": "丁小额贷款有限公司",
}
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建文辉"
CITIES = ("浙江省杭州市", "江苏省南京市", "广东省深圳市", "四川省成都市", "湖北省武汉市")
STREETS = ("文三路", "中山路", "解放路", "人民路", "建设路", "和平街")
EMPLOYERS = ("某某科技有限公司", "某某贸易有限公司", "某某物流有限公司", "某某餐饮管理有限公司")
RELATIONS_FAMILY = ("配偶", "父亲", "母亲", "子女")
RELATIONS_OTHER = ("朋友", "同事", "亲属")


def demo_debtors_csv(count: int = 1000, seed: int = 2026) -> str:
    """`count` fictitious debtor cases as the CSV an operator would import."""
    rng = random.Random(seed)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS)
    writer.writeheader()
    for number in range(1, count + 1):
        group = PROJECT_GROUPS[number % len(PROJECT_GROUPS)]
        writer.writerow(_case(rng, number, group))
    return out.getvalue()


def _case(rng: random.Random, number: int, group: str) -> dict[str, str]:
    city = rng.choice(CITIES)
    return {
        "case_no": f"DEMO-{number:05d}",
        "client": CLIENTS[group],
        "name": _name(rng),
        "phones": ";".join(_phone(rng) for _ in range(rng.choice((1, 1, 2)))),
        "id_number": _id_number(rng),
        "address": f"{city}{rng.choice(STREETS)}{rng.randint(1, 999)}号",
        "employer": city[3:] + rng.choice(EMPLOYERS),
        "family": f"{_name(rng)}|{rng.choice(RELATIONS_FAMILY)}|{_phone(rng)}",
        "emergency_contacts": f"{_name(rng)}|{rng.choice(RELATIONS_OTHER)}|{_phone(rng)}",
        "amount_owed": f"{rng.randint(500, 300_000)}.{rng.randint(0, 99):02d}",
        "days_overdue": str(rng.randint(1, 720)),
        "project_group": group,
    }


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def _phone(rng: random.Random) -> str:
    """A mobile number in the 170 range (virtual operators): fictitious, but well-formed."""
    return f"170{rng.randint(0, 99_999_999):08d}"


def _id_number(rng: random.Random) -> str:
    """A well-formed identity number (check character included) of a fictitious person."""
    body = f"{rng.choice((110101, 310104, 330106, 440305, 510107))}"
    body += f"{rng.randint(1960, 2002)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
    body += f"{rng.randint(0, 999):03d}"
    return body + check_character(body)
