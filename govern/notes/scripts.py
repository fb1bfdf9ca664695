"""Call scripts (R-CON-6, R-NTE-3): trainers and the training office write them, every
collector reads them. A script opens with the agent statement and holds no forbidden language;
saving it again makes a new version, retiring it takes it out of the collectors' list.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from govern.context import Context
from govern.errors import Conflict, NotFound
from govern.ids import new_id
from govern.notes import repository as repo
from govern.notes.agent_statement import agent_statement, missing_statement
from govern.notes.language import language_check, refusal
from govern.notes.models import Script
from govern.notes.repository import ACTIVE, RETIRED

FORBIDDEN = "script.forbidden_language"


def list_scripts(db: Session, retired: bool = False) -> Sequence[Script]:
    """The scripts collectors use (with `retired`, the retired ones too)."""
    return repo.scripts(db, retired)


def show_script(db: Session, script_id: str) -> Script:
    """One script, active or retired. Raises NotFound `script.unknown`."""
    return _known(repo.script(db, script_id), script_id)


def create_script(db: Session, ctx: Context, author: str, title: str, text: str) -> Script:
    """A new script, version 1, audited `script.saved` (ids only).

    Raises BadRequest `script.forbidden_language` (R-NTE-3) naming each term and its rule, or
    `script.no_agent_statement` (R-CON-6).
    """
    check_script(ctx, title, text)
    script = Script(id=new_id("SC"), title=title, text=text, version=1, state=ACTIVE)
    _stamp(script, ctx, author)
    db.add(script)
    db.flush()
    ctx.trail.record(db, "script.saved", author, script.id, version=1)
    db.commit()
    return script


def update_script(
    db: Session, ctx: Context, author: str, script_id: str, title: str, text: str
) -> Script:
    """The script's next version (the version goes up by one), audited `script.saved`.

    Raises NotFound `script.unknown`, Conflict `script.retired`, BadRequest as create_script.
    """
    script = _known(repo.script(db, script_id, lock=True), script_id)
    if script.state == RETIRED:
        raise Conflict("script.retired", f"Script {script_id} is retired; write a new one.")
    check_script(ctx, title, text)
    script.title, script.text, script.version = title, text, script.version + 1
    _stamp(script, ctx, author)
    ctx.trail.record(db, "script.saved", author, script.id, version=script.version)
    db.commit()
    return script


def retire_script(db: Session, ctx: Context, author: str, script_id: str) -> Script:
    """Takes the script out of the collectors' list, audited `script.retired`. Idempotent.

    Raises NotFound `script.unknown`.
    """
    script = _known(repo.script(db, script_id, lock=True), script_id)
    if script.state != RETIRED:
        script.state = RETIRED
        _stamp(script, ctx, author)
        ctx.trail.record(db, "script.retired", author, script.id, version=script.version)
        db.commit()
    return script


def check_script(ctx: Context, title: str, text: str) -> None:
    """A script (title and text) holds no forbidden language and its text opens with the
    agent statement. Raises BadRequest `script.forbidden_language` (R-NTE-3) or
    `script.no_agent_statement` (R-CON-6)."""
    policies = ctx.settings.policies_dir
    hits = language_check(policies).hits(title) + language_check(policies).hits(text)
    if hits:
        raise refusal(hits, FORBIDDEN)
    if not agent_statement(policies).opens(text):
        raise missing_statement()


def _known(script: Script | None, script_id: str) -> Script:
    if script is None:
        raise NotFound("script.unknown", f"No call script {script_id}.")
    return script


def _stamp(script: Script, ctx: Context, author: str) -> None:
    script.changed_at, script.changed_by = ctx.clock.now(), author
