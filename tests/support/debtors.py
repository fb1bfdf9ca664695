"""Fictitious debtors for the tests, written as the CSV an operator imports."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from govern.debtors.importer import COLUMNS, OPTIONAL_COLUMNS, check_character


def id_number(seventeen: str) -> str:
    """A valid identity number: 17 digits and their check character (GB 11643)."""
    return seventeen + check_character(seventeen)


@dataclass(frozen=True)
class Case:
    case_no: str
    name: str
    phone: str
    id_number: str
    project_group: str
    address: str = "浙江省杭州市西湖区文三路 100 号"
    employer: str = "杭州某某科技有限公司"
    family: str = "王芳|配偶|13900001111"
    emergency_contacts: str = "李雷|朋友|13700002222"
    client: str = "某银行信用卡中心"
    amount_owed: str = "12800.50"
    days_overdue: str = "45"

    def row(self) -> dict[str, str]:
        return {
            "case_no": self.case_no,
            "client": self.client,
            "name": self.name,
            "phones": self.phone,
            "id_number": self.id_number,
            "address": self.address,
            "employer": self.employer,
            "family": self.family,
            "emergency_contacts": self.emergency_contacts,
            "amount_owed": self.amount_owed,
            "days_overdue": self.days_overdue,
            "project_group": self.project_group,
        }


CASES = [
    Case("C-001", "张三", "13812345678", id_number("11010119900307123"), "pg-a1"),
    Case("C-002", "李四", "13987654321", id_number("31010419851122456"), "pg-a1"),
    Case("C-003", "王五", "15011112222", id_number("44030519780815789"), "pg-a2"),
    Case("C-004", "赵六", "18633334444", id_number("51010719920101234"), "pg-b1"),
]


def as_csv(rows: list[dict[str, str]]) -> str:
    """The rows as a CSV file, with the optional columns some row gives."""
    optional = [column for column in OPTIONAL_COLUMNS if any(column in row for row in rows)]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=[*COLUMNS, *optional])
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()
