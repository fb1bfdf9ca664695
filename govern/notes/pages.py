"""Pages for collectors in a browser: a debtor's notes and adding one, with the language check
shown inline and the collector's own calls to pick from (R-NTE-1, R-NTE-3); the contact check
before dialling (R-CON-1, R-CON-2, R-CON-4, R-CON-5). For supervisors and the complaint desk
(`complaint_pages`): the open complaint cases, resuming collection, the client report (R-CON-5);
the calls left without a note (R-NTE-1).

Each page calls the service function its API route calls (govern/notes/views.py,
govern/contact/views.py) through the debtors' gate, so the door, the language check and the
contact guard decide exactly as for the API.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from govern.console import choices, company_time, page, page_caller, page_number
from govern.contact import guard
from govern.debtors.views import gate
from govern.errors import GovernError
from govern.notes import complaints
from govern.notes import service as notes
from govern.notes.rules import DIRECTIONS, FLAGS, OUTCOMES, PURPOSES, TEXT_LIMIT, NoteAsked
from govern.web import context, db

bp = Blueprint("notes_pages", __name__, url_prefix="/debtors")
complaint_bp = Blueprint("complaint_pages", __name__)

#: Rows a list shows at a time.
PAGE_SIZE = 50
#: How many of the caller's recent calls the note form looks through for unnoted ones.
OWN_CALLS = 100

#: Refusals shown on the form itself; the others (the door's 403, a 409, 503) are the error
#: page, where a 403 or 409 is recorded as a denial as for the API (govern/web.py).
INLINE = (400, 404, 422, 429)
DIRECTION_LABELS = {
    "outbound": _l("Outbound call"),
    "inbound": _l("Inbound call"),
    "none": _l("No call (a letter, a visit)"),
}
OUTCOME_LABELS = {
    "connected": _l("Connected"),
    "no_answer": _l("No answer"),
    "busy": _l("Busy"),
    "invalid_number": _l("Invalid number"),
    "voicemail": _l("Voicemail"),
    "hung_up": _l("Hung up"),
    "none": _l("None (no call)"),
}
PURPOSE_LABELS = {
    "demand_payment": _l("Ask for payment"),
    "remind_due": _l("Remind of the due date"),
    "confirm_details": _l("Confirm details"),
    "locate_debtor": _l("Locate the debtor"),
    "pass_message": _l("Pass on a message"),
    "offers_to_pay": _l("Offers to pay"),
}
FLAG_LABELS = {
    "do_not_call": _l("Do not call this party again (R-CON-4)"),
    "complaint": _l("Complaint (stops collection, R-CON-5)"),
    "complaint_tendency": _l("Tends to complain (stops collection, R-CON-5)"),
}


#: The contact guard's deny reasons in words, for as long as govern/messages.py has none of its
#: own for them (a verdict is an answer, not an error; docs/collectors.md lists them).
def _choices(codes: tuple[str, ...], labels: dict[str, Any]) -> list[SelectChoice]:
    return choices({code: labels.get(code, code) for code in codes})


class NoteForm(FlaskForm):
    party = StringField(
        _l("Party"),
        default="debtor",
        validators=[DataRequired(), Length(max=32)],
    )
    direction = SelectField(_l("Direction"), choices=_choices(DIRECTIONS, DIRECTION_LABELS))
    outcome = SelectField(_l("Outcome"), choices=_choices(OUTCOMES, OUTCOME_LABELS))
    purpose = SelectField(
        _l("Purpose"),
        choices=[SelectChoice("", "—"), *_choices(PURPOSES, PURPOSE_LABELS)],
        default="",
    )
    flags = SelectMultipleField(
        _l("Flags"),
        choices=_choices(FLAGS, FLAG_LABELS),
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )
    call_id = SelectField(
        _l("Call (for a call note)"),
        choices=[],
        validate_choice=False,  # the service decides which call a note may name
        validators=[Optional(), Length(max=16)],
    )
    text = TextAreaField(_l("Note"), validators=[DataRequired(), Length(max=TEXT_LIMIT)])


class ResumeForm(FlaskForm):
    """A complaint case's "resume collection" form: a reason, and the step confirmed."""

    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=2000)])
    confirm = BooleanField(_l("I confirm: collection on this debtor resumes"), [DataRequired()])


class ContactCheckForm(FlaskForm):
    """What the contact check's form (templates/notes/forms.html `check_form`) posts."""

    party = StringField(
        _l("Party"),
        default="debtor",
        validators=[DataRequired(), Length(max=32)],
    )
    phone = StringField(_l("Number to dial"), validators=[DataRequired(), Length(min=3, max=32)])


@bp.get("/<debtor_id>/notes")
@page("note", "view")
def notes_of(debtor_id: str) -> str:
    """A debtor's notes, oldest first; the forms to check a number and to add a note."""
    shown = notes.read_notes(db(), gate(), page_caller().actor, debtor_id)
    return _render(
        "notes/notes.html",
        debtor_id=debtor_id,
        shown=shown,
        form=_note_form(debtor_id),
    )


@bp.post("/<debtor_id>/notes")
@page("note", "add")
def add(debtor_id: str) -> Response | tuple[str, int]:
    """Record a note; a refused one (the language check, R-NTE-3) comes back with its text
    kept and each forbidden term and its rule named."""
    form = _note_form(debtor_id)
    if not form.validate_on_submit():
        return _render("notes/add.html", debtor_id=debtor_id, form=form), 400
    try:
        notes.add_note(db(), gate(), page_caller().actor, debtor_id, _asked(form), form.text.data)
    except GovernError as error:
        if error.status not in INLINE:
            raise  # the error page; a 403 or 409 recorded as a denial, as for the API
        page_ = _render("notes/add.html", debtor_id=debtor_id, form=form, error=error)
        return page_, error.status
    flash(gettext("Note recorded."))
    return redirect(url_for("notes_pages.notes_of", debtor_id=debtor_id))  # type: ignore[return-value]


@bp.route("/<debtor_id>/contact-check", methods=["GET", "POST"])
@page("contact", "check")
def contact_check(debtor_id: str) -> str | tuple[str, int]:
    """May this party be called on this number now? Allowed (a permit taken) or not, why
    in words and from when."""
    form = ContactCheckForm()
    if not form.validate_on_submit():
        status = 400 if form.is_submitted() else 200
        return _render("notes/contact.html", debtor_id=debtor_id, form=form), status
    try:
        checked = guard.check_contact(
            db(),
            gate(),
            page_caller().actor,
            guard.Ask(debtor_id, form.party.data or "", form.phone.data or ""),
        )
    except GovernError as error:
        if error.status not in INLINE:
            raise
        page_ = _render("notes/contact.html", debtor_id=debtor_id, form=form, error=error)
        return page_, error.status
    return _render("notes/contact.html", debtor_id=debtor_id, form=form, checked=checked)


def _note_form(debtor_id: str) -> NoteForm:
    """The note form, its calls the caller's own recent ones with this debtor no note records
    yet (the service behind `GET /api/v1/calls/mine`), newest first, or no call."""
    form = NoteForm()
    found = complaints.own_calls(db(), context(), page_caller().actor, None, OWN_CALLS)
    form.call_id.choices = [
        SelectChoice("", gettext("No call")),
        *(
            SelectChoice(item.call.id, _call_label(item))
            for item in found
            if not item.noted and item.call.debtor_id == debtor_id
        ),
    ]
    return form


def _call_label(item: complaints.OwnCall) -> str:
    """A call as the picker offers it: when, which way, with whom, its id."""
    call = item.call
    direction = DIRECTION_LABELS.get(call.direction, call.direction)
    return f"{company_time(call.started_at)} · {direction} · {call.party or '—'} · {call.id}"


def _asked(form: NoteForm) -> NoteAsked:
    return NoteAsked(
        form.party.data or "",
        form.direction.data or "",
        form.outcome.data or "",
        form.purpose.data or None,
        tuple(form.flags.data or ()),
        form.call_id.data or None,
        None,
    )


def _render(template: str, **values: Any) -> str:
    return render_template(
        template,
        direction_labels=DIRECTION_LABELS,
        outcome_labels=OUTCOME_LABELS,
        purpose_labels=PURPOSE_LABELS,
        flag_labels=FLAG_LABELS,
        **values,
    )


# ---- complaint cases and unnoted calls (supervisors, the complaint desk, heads, IT) -----------


@complaint_bp.get("/complaints")
@page("complaint", "view")
def cases() -> str:
    """The open complaint cases the caller reaches, the nearest deadline first, paged;
    `?report=1`: the cases not yet reported to the client."""
    return _cases_page(ResumeForm(formdata=None), None, None)[0]


@complaint_bp.post("/complaints/<case_id>/resume")
@page("complaint", "resume")
def resume(case_id: str) -> Response | tuple[str, int]:
    """Close a case with a reason (the justification rule), once confirmed."""
    form = ResumeForm()
    if not form.validate_on_submit():
        return _cases_page(form, case_id, None, 400)
    try:
        complaints.resume(db(), gate(), page_caller().actor, case_id, form.reason.data or "")
    except GovernError as error:
        if error.status not in INLINE:
            raise
        return _cases_page(form, case_id, error, error.status)
    flash(gettext("Collection resumed: case %(case)s is closed.", case=case_id))
    return redirect(url_for("complaint_pages.cases"))  # type: ignore[return-value]


@complaint_bp.post("/complaints/<case_id>/reported")
@page("complaint", "report")
def reported(case_id: str) -> Response | tuple[str, int]:
    """Record that a case was reported to the client."""
    form = FlaskForm()
    if not form.validate_on_submit():
        return _cases_page(ResumeForm(formdata=None), None, None, 400)
    try:
        complaints.mark_reported(db(), gate(), page_caller().actor, case_id)
    except GovernError as error:
        if error.status not in INLINE:
            raise
        return _cases_page(ResumeForm(formdata=None), case_id, error, error.status)
    flash(gettext("Case %(case)s is recorded as reported to the client.", case=case_id))
    return redirect(url_for("complaint_pages.cases", report=1))  # type: ignore[return-value]


@complaint_bp.get("/calls/unnoted")
@page("note", "unnoted")
def unnoted() -> str:
    """The calls the caller watches whose note is overdue, oldest first, paged."""
    found = complaints.unnoted_calls(db(), context(), page_caller().actor)
    number = page_number()
    return _render(
        "notes/unnoted.html",
        calls=found[(number - 1) * PAGE_SIZE : number * PAGE_SIZE],
        page=number,
        more=len(found) > number * PAGE_SIZE,
        total=len(found),
    )


def _cases_page(
    form: ResumeForm, case_id: str | None, error: GovernError | None, status: int = 200
) -> tuple[str, int]:
    """The cases' list; `form`, `case_id` and `error`: a form just posted for that case."""
    report = request.args.get("report") == "1"
    listing = complaints.cases_to_report if report else complaints.open_cases
    found = listing(db(), gate(), page_caller().actor)
    number = page_number()
    html = _render(
        "notes/complaints.html",
        cases=found[(number - 1) * PAGE_SIZE : number * PAGE_SIZE],
        page=number,
        more=len(found) > number * PAGE_SIZE,
        total=len(found),
        report=report,
        form=form,
        posted=case_id,
        error=error,
        report_form=FlaskForm(formdata=None),
    )
    return html, status
