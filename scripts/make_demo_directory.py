"""Write govern/demo/directory.ldif: the demo's fictitious staff of three departments.

Run once when the demo staff change: `.venv/bin/python scripts/make_demo_directory.py`.
Every demo login's password is `govern-demo`.
"""

from __future__ import annotations

import base64
from pathlib import Path

from ldap3 import HASHED_SALTED_SHA
from ldap3.utils.hashed import hashed

BASE = "dc=govern,dc=demo"
PASSWORD = "govern-demo"
OUT = Path(__file__).resolve().parent.parent / "govern" / "demo" / "directory.ldif"

# employee number, username, name, department, project group, title, track, hire, departure, groups
STAFF = [
    (
        "10001",
        "gm.wang",
        "王建国",
        "operations",
        "",
        "总经理",
        "management",
        "2015-03-02",
        "",
        ["general-managers"],
    ),
    (
        "10002",
        "hr.li",
        "李秀英",
        "operations",
        "",
        "人事部负责人",
        "management",
        "2016-05-09",
        "",
        ["hr"],
    ),
    (
        "10003",
        "it.zhang",
        "张伟",
        "operations",
        "",
        "IT 管理员",
        "ordinary",
        "2018-07-16",
        "",
        ["it"],
    ),
    (
        "10004",
        "audit.liu",
        "刘洋",
        "operations",
        "",
        "审计专员",
        "ordinary",
        "2019-02-18",
        "",
        ["auditors"],
    ),
    (
        "10005",
        "office.chen",
        "陈静",
        "operations",
        "",
        "办公室主任",
        "management",
        "2017-09-04",
        "",
        ["training-office"],
    ),
    (
        "10006",
        "trainer.yang",
        "杨帆",
        "operations",
        "",
        "培训讲师",
        "ordinary",
        "2020-03-09",
        "",
        ["trainers"],
    ),
    (
        "10007",
        "policy.zhao",
        "赵磊",
        "operations",
        "",
        "权限管理员",
        "ordinary",
        "2021-06-07",
        "",
        ["policy-admins"],
    ),
    (
        "10008",
        "hr.huang",
        "黄丽",
        "operations",
        "",
        "人事专员",
        "ordinary",
        "2022-04-11",
        "",
        ["hr"],
    ),
    (
        "10009",
        "it.zhou",
        "周杰",
        "operations",
        "",
        "IT 工程师",
        "ordinary",
        "2023-08-21",
        "",
        ["it"],
    ),
    (
        "10010",
        "office.xu",
        "徐芳",
        "operations",
        "",
        "培训专员",
        "ordinary",
        "2024-02-26",
        "",
        ["training-office"],
    ),
    (
        "20001",
        "head1.zhou",
        "周敏",
        "collections-1",
        "bank-a",
        "催收一部负责人",
        "management",
        "2016-10-10",
        "",
        ["department-heads"],
    ),
    (
        "20002",
        "sup1.wu",
        "吴强",
        "collections-1",
        "bank-a",
        "催收主管",
        "management",
        "2018-03-05",
        "",
        ["supervisors"],
    ),
    (
        "20003",
        "c1.ma",
        "马超",
        "collections-1",
        "bank-a",
        "催收员",
        "ordinary",
        "2021-05-17",
        "",
        [],
    ),
    (
        "20004",
        "c1.hu",
        "胡静",
        "collections-1",
        "bank-a",
        "催收员",
        "ordinary",
        "2022-01-10",
        "",
        [],
    ),
    (
        "20005",
        "c1.guo",
        "郭鹏",
        "collections-1",
        "bank-b",
        "催收员",
        "ordinary",
        "2022-09-05",
        "",
        [],
    ),
    (
        "20006",
        "c1.he",
        "何雪",
        "collections-1",
        "bank-b",
        "催收员",
        "ordinary",
        "2023-03-13",
        "2026-12-31",
        [],
    ),
    (
        "20007",
        "c1.lin",
        "林涛",
        "collections-1",
        "bank-b",
        "催收员",
        "ordinary",
        "2023-11-20",
        "",
        [],
    ),
    (
        "20008",
        "c1.luo",
        "罗娟",
        "collections-1",
        "bank-a",
        "实习催收员",
        "intern",
        "2026-11-02",
        "",
        [],
    ),
    (
        "20009",
        "c1.gao",
        "高峰",
        "collections-1",
        "bank-b",
        "实习催收员",
        "intern",
        "2026-11-16",
        "",
        [],
    ),
    (
        "20010",
        "c1.liang",
        "梁宇",
        "collections-1",
        "bank-a",
        "催收员",
        "ordinary",
        "2020-06-01",
        "2026-06-30",
        [],
    ),
    (
        "30001",
        "head2.sun",
        "孙丽",
        "collections-2",
        "card-c",
        "催收二部负责人",
        "management",
        "2017-04-17",
        "",
        ["department-heads"],
    ),
    (
        "30002",
        "sup2.zheng",
        "郑涛",
        "collections-2",
        "card-c",
        "催收主管",
        "management",
        "2019-08-12",
        "",
        ["supervisors"],
    ),
    (
        "30003",
        "c2.xie",
        "谢敏",
        "collections-2",
        "card-c",
        "催收员",
        "ordinary",
        "2021-02-22",
        "",
        [],
    ),
    (
        "30004",
        "c2.song",
        "宋杰",
        "collections-2",
        "card-c",
        "催收员",
        "ordinary",
        "2021-12-06",
        "",
        [],
    ),
    (
        "30005",
        "c2.tang",
        "唐丽",
        "collections-2",
        "card-d",
        "催收员",
        "ordinary",
        "2022-07-18",
        "",
        [],
    ),
    (
        "30006",
        "c2.han",
        "韩冰",
        "collections-2",
        "card-d",
        "催收员",
        "ordinary",
        "2023-05-08",
        "",
        [],
    ),
    (
        "30007",
        "c2.feng",
        "冯军",
        "collections-2",
        "card-d",
        "催收员",
        "ordinary",
        "2024-01-15",
        "",
        [],
    ),
    (
        "30008",
        "c2.cao",
        "曹颖",
        "collections-2",
        "card-c",
        "催收员",
        "ordinary",
        "2024-10-21",
        "",
        [],
    ),
    (
        "30009",
        "c2.deng",
        "邓超",
        "collections-2",
        "card-d",
        "实习催收员",
        "intern",
        "2026-11-09",
        "",
        [],
    ),
    (
        "30010",
        "c2.peng",
        "彭静",
        "collections-2",
        "card-c",
        "实习催收员",
        "intern",
        "2026-11-23",
        "",
        [],
    ),
]

GROUPS = [
    "department-heads",
    "general-managers",
    "hr",
    "it",
    "auditors",
    "training-office",
    "trainers",
    "supervisors",
    "policy-admins",
]


def attr(name: str, value: str) -> str:
    """One LDIF line; non-ASCII values are base64 (`name:: …`) as RFC 2849 requires."""
    if value.isascii():
        return f"{name}: {value}"
    return f"{name}:: {base64.b64encode(value.encode()).decode()}"


def person_dn(username: str) -> str:
    return f"uid={username},ou=people,{BASE}"


def person(row: tuple) -> str:
    number, uid, name, dept, group, title, track, hire, leave, _ = row
    lines = [
        f"dn: {person_dn(uid)}",
        "objectClass: inetOrgPerson",
        "objectClass: governPerson",
        f"uid: {uid}",
        attr("cn", name),
        attr("sn", name[0]),
        f"employeeNumber: {number}",
        f"departmentNumber: {dept}",
        attr("title", title),
        f"governTrack: {track}",
        f"governHireDate: {hire.replace('-', '')}000000Z",
        f"userPassword: {hashed(HASHED_SALTED_SHA, PASSWORD)}",
    ]
    if group:
        lines.append(f"governProjectGroup: {group}")
    if leave:
        lines.append(f"governDepartureDate: {leave.replace('-', '')}000000Z")
    return "\n".join(lines)


def group(cn: str) -> str:
    members = [person_dn(row[1]) for row in STAFF if cn in row[9]]
    lines = [
        f"dn: cn=govern-{cn},ou=groups,{BASE}",
        "objectClass: groupOfNames",
        f"cn: govern-{cn}",
    ]
    lines += [f"member: {dn}" for dn in members or [f"cn=nobody,{BASE}"]]
    return "\n".join(lines)


def main() -> None:
    blocks = [
        f"dn: {BASE}\nobjectClass: dcObject\nobjectClass: organization\ndc: govern\no: Govern demo",
        f"dn: ou=people,{BASE}\nobjectClass: organizationalUnit\nou: people",
        f"dn: ou=groups,{BASE}\nobjectClass: organizationalUnit\nou: groups",
    ]
    blocks += [person(row) for row in STAFF] + [group(cn) for cn in GROUPS]
    header = "# The Govern demo directory: fictitious staff. Generated by scripts/make_demo_directory.py.\n"
    OUT.write_text(header + "version: 1\n\n" + "\n\n".join(blocks) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
