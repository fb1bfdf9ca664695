"""Who ends a transaction (docs/architecture.md, "The path of a request"): the use case.

A use case owns its unit of work: it commits, or rolls back. The modules allowed to call
`commit()` are the capabilities' use cases: `accounts/service.py`, `access/service.py`,
`sessions/service.py`, `debtors/service.py` and `debtors/sealing.py` (the import, a
re-seal or a rotation a batch per transaction), `deprovision/service.py`,
`deprovision/reconcile.py`, `runs.py` (the console's long actions: the run kept with its
event, then its progress on a session of its own),
`directory/sync.py`, separation of duties' exceptions (`directory/separation.py`: accepted,
ended), the auditors' use cases (`investigations/service.py`, `questions.py`,
`unusual.py`, `leak_report.py`, `holds.py`: legal holds, the archive's event),
`contact/calls.py` (lines and calls), the contact check (`contact/guard.py`), the notes' use
cases (`notes/service.py`, `notes/complaints.py`, `notes/scripts.py`), the creditors' use
cases (`creditors/service.py`) and the training use cases
(`training/plans.py`, `exams.py`, `certifications.py`, `attendance.py`, `feedback.py`); one
entry, `access/views.py` (explain ends its read before its event is made durable); and
`deprovision/scheduler.py`, whose leader lock is held on a connection of its own.
The access reviews' use cases (`reviews/service.py`, which closes each item at a deadline in a
transaction of its own, and `reviews/report.py`) commit too.
Repositories (`repository.py`), rules modules (`rules.py`) and the audit door
(`auditing/trail.py`, whose durable append goes through the group committer's own connection)
never commit.
"""

from __future__ import annotations

import ast
from pathlib import Path

GOVERN = Path(__file__).resolve().parent.parent / "govern"

#: The modules that may commit, relative to govern/ (named in this module's docstring).
ALLOWED = {
    "accounts/service.py",
    "access/service.py",
    "access/views.py",
    "contact/calls.py",
    "contact/guard.py",
    "creditors/service.py",
    "investigations/service.py",
    "investigations/holds.py",
    "investigations/questions.py",
    "investigations/unusual.py",
    "investigations/leak_report.py",
    "notes/scripts.py",
    "debtors/service.py",
    "debtors/sealing.py",
    "deprovision/reconcile.py",
    "deprovision/scheduler.py",
    "deprovision/service.py",
    "directory/separation.py",
    "directory/sync.py",
    "notes/complaints.py",
    "notes/service.py",
    "reviews/report.py",
    "reviews/service.py",
    "runs.py",
    "sessions/service.py",
    "training/attendance.py",
    "training/certifications.py",
    "training/exams.py",
    "training/feedback.py",
    "training/plans.py",
}

#: Modules that never commit, whatever is allowed above.
NEVER = ("repository.py", "rules.py")
THE_AUDIT_DOOR = "auditing/trail.py"


def committing_modules() -> dict[str, list[int]]:
    """Each module of govern/ that calls `.commit()`, with the lines where it does."""
    found: dict[str, list[int]] = {}
    for path in sorted(GOVERN.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        lines = [
            node.lineno
            for node in ast.walk(tree)
            if isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "commit"
        ]
        if lines:
            found[path.relative_to(GOVERN).as_posix()] = lines
    return found


def test_no_repository_rules_module_or_the_audit_door_commits() -> None:
    committing = committing_modules()
    forbidden = {
        name: lines
        for name, lines in committing.items()
        if name.endswith(NEVER) or name == THE_AUDIT_DOOR
    }
    assert forbidden == {}, f"only a use case commits; these must leave it to theirs: {forbidden}"


def test_only_the_use_cases_commit() -> None:
    strangers = {n: lines for n, lines in committing_modules().items() if n not in ALLOWED}
    assert strangers == {}, (
        f"a helper, cache or door commits {strangers}: move the commit to the use case that "
        "calls it (or, for a new use case module, name it in ALLOWED and this docstring)"
    )


def test_the_check_sees_a_commit() -> None:
    """The checks above can fail: the committing modules they find include a known one."""
    assert "accounts/service.py" in committing_modules()
