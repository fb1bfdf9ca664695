"""How a masked field looks (R-ACS-2): enough to recognise a debtor, not to contact or
identify them. Plain functions of the value."""

from __future__ import annotations

from typing import Any

STAR = "*"


def mask(kind: str, value: Any) -> Any:
    """`value` masked the way `kind` (from policies/access/fields.toml) says."""
    return _MASKS[kind](value)


def mask_name(name: str) -> str:
    """张三 → 张*, 欧阳娜娜 → 欧***."""
    return name[:1] + STAR * max(len(name) - 1, 1)


def mask_phone(phone: str) -> str:
    """13812345678 → 138****5678; other numbers keep their last four digits."""
    if len(phone) == 11 and phone.startswith("1"):
        return f"{phone[:3]}****{phone[-4:]}"
    return STAR * max(len(phone) - 4, 4) + phone[-4:]


def mask_id_number(number: str) -> str:
    """110101199003071234 → 1101**********1234."""
    return number[:4] + STAR * max(len(number) - 8, 4) + number[-4:]


def mask_address(address: str) -> str:
    """The first six characters (province and city, usually), the rest starred."""
    return address[:6] + STAR * 4


def mask_employer(employer: str) -> str:
    return employer[:2] + STAR * 4


def mask_contacts(contacts: list[dict[str, str]]) -> list[dict[str, str]]:
    """Each contact's name and phone masked; the relation kept."""
    return [
        {
            "name": mask_name(c.get("name", "")),
            "relation": c.get("relation", ""),
            **({"phone": mask_phone(c["phone"])} if c.get("phone") else {}),
        }
        for c in contacts
    ]


_MASKS = {
    "name": mask_name,
    "phone": lambda phones: [mask_phone(p) for p in phones],
    "id_number": mask_id_number,
    "address": mask_address,
    "employer": mask_employer,
    "contacts": mask_contacts,
    "none": lambda value: value,
}
