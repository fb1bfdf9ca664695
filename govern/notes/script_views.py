"""HTTP: call scripts (R-CON-6, R-NTE-3). Everyone reads the active scripts; trainers and the
training office write, revise and retire them (policies/actions.toml [script])."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from govern.bounds import Text
from govern.notes import scripts
from govern.web import context, current_caller, db, documents_refusals, requires

blp = Blueprint(
    "scripts",
    __name__,
    url_prefix="/api/v1/scripts",
    description="Call scripts: the agent statement first, no forbidden language (R-CON-6).",
)

SCRIPT_ID = "<string:script_id>"
TEXT_LIMIT = 20_000


class ScriptInSchema(Schema):
    title = Text(required=True, validate=validate.Length(min=1, max=200))
    text = Text(
        required=True,
        validate=validate.Length(min=1, max=TEXT_LIMIT),
        metadata={"description": "opens with the agent statement (policies/contact/)"},
    )


class ScriptSchema(ScriptInSchema):
    id = fields.String()
    version = fields.Integer()
    state = fields.String(metadata={"description": "active | retired"})
    changed_at = fields.AwareDateTime()
    changed_by = fields.String()


class ScriptListSchema(Schema):
    scripts = fields.List(fields.Nested(ScriptSchema))


class ScriptQuerySchema(Schema):
    retired = fields.Boolean(load_default=False, metadata={"description": "list retired too"})


@blp.route("", methods=["GET"])
@requires("script", "view")
@blp.arguments(ScriptQuerySchema, location="query")
@blp.response(200, ScriptListSchema)
@documents_refusals(blp, 401)
def list_scripts(query: dict[str, Any]) -> dict[str, Any]:
    """The active call scripts, by title (`retired=true`: the retired ones too)."""
    return {"scripts": scripts.list_scripts(db(), query["retired"])}


@blp.route("", methods=["POST"])
@requires("script", "manage")
@blp.arguments(ScriptInSchema)
@blp.response(201, ScriptSchema)
@documents_refusals(blp, 400, 401, 403)
def create_script(body: dict[str, Any]) -> Any:
    """A new script; 400 `script.forbidden_language` (R-NTE-3) or `script.no_agent_statement`
    (R-CON-6) when it may not be used."""
    return scripts.create_script(db(), context(), current_caller().account_id, **body)


@blp.route(f"/{SCRIPT_ID}", methods=["GET"])
@requires("script", "view")
@blp.response(200, ScriptSchema)
@documents_refusals(blp, 401, 404)
def show_script(script_id: str) -> Any:
    return scripts.show_script(db(), script_id)


@blp.route(f"/{SCRIPT_ID}", methods=["PUT"])
@requires("script", "manage")
@blp.arguments(ScriptInSchema)
@blp.response(200, ScriptSchema)
@documents_refusals(blp, 400, 401, 403, 404, 409)
def update_script(body: dict[str, Any], script_id: str) -> Any:
    """The script's next version (version + 1), checked as a new one."""
    caller = current_caller().account_id
    return scripts.update_script(db(), context(), caller, script_id, **body)


@blp.route(f"/{SCRIPT_ID}/retirement", methods=["POST"])
@requires("script", "manage")
@blp.response(200, ScriptSchema)
@documents_refusals(blp, 401, 403, 404)
def retire_script(script_id: str) -> Any:
    """Takes the script out of use (idempotent); it stays readable by id."""
    return scripts.retire_script(db(), context(), current_caller().account_id, script_id)
