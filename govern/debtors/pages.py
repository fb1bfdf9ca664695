"""Pages for collectors in a browser: my caseload, a debtor as the door shows it, reveal with a
purpose (R-ACS-1..3).

Each page calls the service function its API route calls (govern/debtors/views.py), with the
same gate; what is shown, masked or withheld, and what is audited, is decided there. A
refusal of the door is the error page in words (403, recorded as the API records it).
"""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, render_template, request
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, SelectMultipleField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired
from wtforms.widgets import CheckboxInput, ListWidget

from govern.access.policy import access_policy
from govern.access.rules import FieldRule
from govern.console import at_least_one, language, page, page_caller
from govern.debtors import service
from govern.debtors.views import gate
from govern.errors import GovernError
from govern.messages import message_for
from govern.web import db, services

bp = Blueprint("debtors_pages", __name__, url_prefix="/debtors")

#: A caseload page's length.
PAGE = 50

#: The debtor fields' names, in the order a record shows them (policies/access/fields.toml).
#: The reveal purposes' names (their codes are policies/access/fields.toml [purposes]).
PURPOSE_LABELS: dict[str, Any] = {
    "scheduled_call": _l("Scheduled call"),
    "debtor_request": _l("The debtor called or asked"),
    "dispute": _l("Handling a dispute"),
    "complaint_handling": _l("Handling a complaint"),
    "address_verification": _l("Verifying an address"),
}
TRAINING_MISSING = re.compile(r"training\.(.+)\.missing")
LEVEL_LABELS: dict[str, Any] = {"full": _l("in full"), "masked": _l("masked")}


class RevealForm(FlaskForm):
    fields_ = SelectMultipleField(
        _l("Fields to reveal"),
        choices=[],  # the masked fields of the debtor shown (`_reveal_form`)
        validators=[at_least_one],
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )
    purpose = SelectField(_l("Purpose"), validators=[DataRequired()])


@bp.get("")
@page("debtor", "list")
def caseload() -> str:
    """My caseload, a page at a time (after the last debtor of the page before), masked."""
    after = request.args.get("after", "")[:16]
    shown = service.caseload(db(), gate(), page_caller().actor, after, PAGE)
    more = shown[-1].debtor.id if len(shown) == PAGE else None
    return _render("debtors/caseload.html", shown=shown, after=after, more=more)


@bp.get("/<debtor_id>")
@page("debtor", "view")
def record(debtor_id: str) -> str:
    """One debtor, field by field as the door decides; the reveal form for masked fields."""
    shown = service.view_debtor(db(), gate(), page_caller().actor, debtor_id)
    return _render("debtors/record.html", shown=shown, form=_reveal_form(shown))


@bp.post("/<debtor_id>/reveal")
@page("debtor", "reveal")
def reveal(debtor_id: str) -> tuple[str, int] | str:
    """The fields asked for, in full, for a purpose: shown once on this answer, never kept."""
    form = _reveal_form(None)
    if not form.validate_on_submit():
        return _render("debtors/reveal.html", debtor_id=debtor_id, form=form), 400
    try:
        shown = service.reveal_fields(
            db(), gate(), page_caller().actor, debtor_id, form.fields_.data, form.purpose.data
        )
    except GovernError as error:
        if error.status not in (400, 422):
            raise  # the door's refusal: the error page, recorded as a denial like the API's
        page_ = _render("debtors/reveal.html", debtor_id=debtor_id, form=form, error=error)
        return page_, error.status
    return _render("debtors/revealed.html", shown=shown, purpose=form.purpose.data)


def _reveal_form(shown: service.Shown | None) -> RevealForm:
    """The reveal form: the masked fields of `shown` offered, the policy's purposes to choose."""
    form = RevealForm()
    purposes = access_policy(services().settings.policies_dir).purposes
    form.purpose.choices = [
        SelectChoice(code, purpose_label(code, name)) for code, name in purposes.items()
    ]
    if shown is None:  # a reveal asked: any field of the policy may be named
        offered = list(_field_rules())
    else:
        offered = [name for name, level in shown.levels.items() if level == "masked"]
    form.fields_.choices = [SelectChoice(name, field_label(name)) for name in offered]
    return form


def field_label(name: str) -> str:
    """A debtor field's name in the page's language (policies/access/fields.toml; its code
    for a field the policy lacks)."""
    rule = _field_rules().get(name)
    return rule.label_in(language()) if rule else name


def _field_rules() -> dict[str, FieldRule]:
    return access_policy(services().settings.policies_dir).fields


def purpose_label(code: str, policy_name: str = "") -> Any:
    """A reveal purpose's name in the page's language (the policy's own name otherwise)."""
    return PURPOSE_LABELS.get(code, policy_name or code)


def reason_words(code: str) -> str:
    """Why a field is withheld, in words: a missing certification named, else the code's
    message, else the code itself."""
    missing = TRAINING_MISSING.fullmatch(code)
    if missing:
        return gettext(
            "Needs the %(certification)s certification: pass its exam in training first.",
            certification=missing.group(1),
        )
    return message_for(code) or gettext("Not shown to you (%(code)s).", code=code)


def ordered(names: Any) -> list[str]:
    """Field names in the policy's order, those it does not know last."""
    order = list(_field_rules())
    return sorted(names, key=lambda name: order.index(name) if name in order else len(order))


def _render(template: str, **values: Any) -> str:
    return render_template(
        template,
        field_label=field_label,
        purpose_label=purpose_label,
        ordered_fields=ordered,
        reason_words=reason_words,
        level_labels=LEVEL_LABELS,
        **values,
    )
