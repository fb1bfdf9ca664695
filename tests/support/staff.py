"""The tests' staff, written as real directory entries: into slapd, or into an LDIF file.

Each test gets its own subtree (`ou=tN,dc=govern,dc=test`), so tests may change the
directory freely. Every password is `<username>-secret`.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from pathlib import Path

from ldap3 import HASHED_SALTED_SHA, MODIFY_ADD, MODIFY_DELETE, MODIFY_REPLACE, Connection, Server
from ldap3.utils.hashed import hashed
from ldif import LDIFWriter

from tests.support.slapd import ADMIN_DN, SUFFIX, Slapd

_trees = itertools.count(1)


@dataclass(frozen=True)
class Person:
    number: str
    username: str
    name: str
    department: str
    project_group: str | None = None
    track: str | None = "ordinary"  # None: no governTrack, as in most real directories
    hire: str = "20240101000000Z"
    departure: str | None = None
    groups: tuple[str, ...] = field(default_factory=tuple)
    title: str = "催收员"

    @property
    def password(self) -> str:
        return f"{self.username}-secret"


STAFF = [
    Person(
        "1001", "gm", "王总", "operations", track="management", groups=("govern-general-managers",)
    ),
    Person(
        "1002",
        "head.a",
        "周敏",
        "dept-a",
        "pg-a1",
        "management",
        groups=("govern-department-heads",),
    ),
    Person(
        "1003",
        "head.b",
        "孙丽",
        "dept-b",
        "pg-b1",
        "management",
        groups=("govern-department-heads",),
    ),
    Person("1004", "col.a1", "马超", "dept-a", "pg-a1"),
    Person("1005", "col.a2", "胡静", "dept-a", "pg-a2"),
    Person("1006", "col.b1", "谢敏", "dept-b", "pg-b1"),
    Person("1007", "hr", "李秀英", "operations", groups=("govern-hr",)),
    Person("1008", "it", "张伟", "operations", groups=("govern-it",)),
    Person("1009", "auditor", "刘洋", "operations", groups=("govern-auditors",)),
    Person("1010", "intern.a", "罗娟", "dept-a", "pg-a1", "intern", hire="20261102000000Z"),
    Person("1011", "left.a", "梁宇", "dept-a", "pg-a1", departure="20260630000000Z"),
    Person("1012", "clerk", "徐芳", "operations"),
    Person("1013", "trainer", "陈静", "operations", groups=("govern-trainers",)),
    Person("1014", "office", "杨帆", "operations", groups=("govern-training-office",)),
    Person("1015", "sup.a1", "吴刚", "dept-a", "pg-a1", groups=("govern-supervisors",)),
    Person("1016", "padmin", "郑洁", "operations", groups=("govern-policy-admins",)),
    Person("1018", "desk", "何平", "operations", groups=("govern-complaint-desk",)),
]
BY_USERNAME = {person.username: person for person in STAFF}
GROUPS = [
    "govern-general-managers",
    "govern-department-heads",
    "govern-hr",
    "govern-it",
    "govern-auditors",
    "govern-trainers",
    "govern-training-office",
    "govern-supervisors",
    "govern-policy-admins",
    "govern-complaint-desk",
]


@dataclass(frozen=True)
class Tree:
    """One test's own subtree of the directory."""

    base: str

    @property
    def people(self) -> str:
        return f"ou=people,{self.base}"

    @property
    def groups(self) -> str:
        return f"ou=groups,{self.base}"

    def dn(self, username: str) -> str:
        return f"uid={username},{self.people}"


def entries(tree: Tree, staff: list[Person]) -> list[tuple[str, dict[str, list[str]]]]:
    """The directory entries for `staff` under `tree`, in the order they must be added."""
    out: list[tuple[str, dict[str, list[str]]]] = [
        (tree.base, {"objectClass": ["organizationalUnit"], "ou": [tree.base.split(",")[0][3:]]}),
        (tree.people, {"objectClass": ["organizationalUnit"], "ou": ["people"]}),
        (tree.groups, {"objectClass": ["organizationalUnit"], "ou": ["groups"]}),
    ]
    out += [(tree.dn(person.username), person_attributes(person)) for person in staff]
    for group in GROUPS:
        members = [tree.dn(p.username) for p in staff if group in p.groups] or [
            f"cn=nobody,{SUFFIX}"
        ]
        out.append(
            (
                f"cn={group},{tree.groups}",
                {"objectClass": ["groupOfNames"], "cn": [group], "member": members},
            )
        )
    return out


def person_attributes(person: Person) -> dict[str, list[str]]:
    attributes = {
        "objectClass": ["inetOrgPerson", "governPerson"],
        "uid": [person.username],
        "cn": [person.name],
        "sn": [person.name[0]],
        "employeeNumber": [person.number],
        "departmentNumber": [person.department],
        "title": [person.title],
        "governHireDate": [person.hire],
        "userPassword": [hashed(HASHED_SALTED_SHA, person.password)],
    }
    if person.track:
        attributes["governTrack"] = [person.track]
    if person.project_group:
        attributes["governProjectGroup"] = [person.project_group]
    if person.departure:
        attributes["governDepartureDate"] = [person.departure]
    return attributes


class LiveDirectory:
    """Writes to the test's subtree in slapd as the directory's administrator."""

    def __init__(self, slapd: Slapd, staff: list[Person] | None = None) -> None:
        self.tree = Tree(f"ou=t{next(_trees)},{SUFFIX}")
        self._connection = Connection(
            Server(slapd.url), ADMIN_DN, slapd.admin_password, auto_bind=True, raise_exceptions=True
        )
        for dn, attributes in entries(self.tree, STAFF if staff is None else staff):
            self._connection.add(dn, attributes=attributes)

    def add_unit(self, dn: str) -> None:
        self._connection.add(
            dn, attributes={"objectClass": ["organizationalUnit"], "ou": [dn.split(",")[0][3:]]}
        )

    def add(self, person: Person) -> None:
        self._connection.add(self.tree.dn(person.username), attributes=person_attributes(person))

    def set(self, username: str, attribute: str, value: str | None) -> None:
        change = (MODIFY_REPLACE, [value]) if value is not None else (MODIFY_DELETE, [])
        self._connection.modify(self.tree.dn(username), {attribute: [change]})

    def set_values(self, username: str, attribute: str, values: list[str]) -> None:
        """Give a multi-valued attribute exactly `values`."""
        self._connection.modify(self.tree.dn(username), {attribute: [(MODIFY_REPLACE, values)]})

    def rename(self, username: str, new_username: str) -> None:
        self._connection.modify_dn(self.tree.dn(username), f"uid={new_username}")

    def remove(self, username: str) -> None:
        self._connection.delete(self.tree.dn(username))

    def add_to_group(self, group: str, username: str) -> None:
        self._connection.modify(
            f"cn={group},{self.tree.groups}", {"member": [(MODIFY_ADD, [self.tree.dn(username)])]}
        )

    def remove_from_group(self, group: str, username: str) -> None:
        self._connection.modify(
            f"cn={group},{self.tree.groups}",
            {"member": [(MODIFY_DELETE, [self.tree.dn(username)])]},
        )

    def close(self) -> None:
        self._connection.unbind()


def write_ldif(path: Path, tree: Tree, staff: list[Person]) -> None:
    with path.open("wb") as handle:
        writer = LDIFWriter(handle)
        for dn, attributes in entries(tree, staff):
            writer.unparse(dn, attributes)
