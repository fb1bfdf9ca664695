"""What the training pages share: their blueprint, the words of tracks and attendance, the
plain forms, today in company time, the catalogue, and a refused form's reason in words."""

from __future__ import annotations

from datetime import date

from flask import Blueprint
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField
from wtforms.validators import DataRequired

from govern.errors import BadRequest, GovernError, Unprocessable
from govern.training.catalogue import Catalogue, load_catalogue
from govern.training.rules import ABSENT, LEFT_EARLY, PRESENT
from govern.web import services

bp = Blueprint("training_pages", __name__, url_prefix="/training")

TRACK_LABELS = {
    "intern": _l("Intern"),
    "ordinary": _l("Ordinary staff"),
    "management": _l("Management"),
}
STATUS_LABELS = {PRESENT: _l("Present"), ABSENT: _l("Absent"), LEFT_EARLY: _l("Left early")}


class ConfirmForm(FlaskForm):
    """A destructive or binding action: the person ticks the box first."""

    confirm = BooleanField(_l("I confirm"), validators=[DataRequired()])


class PlainForm(FlaskForm):
    """A button (CSRF only)."""


def expired() -> BadRequest:
    """The refusal of a form whose CSRF token expired."""
    return BadRequest("csrf.invalid", gettext("The form expired; reload the page."))


def form_refusal(form: FlaskForm) -> GovernError:
    """Why a form was refused: expired (its CSRF token), else a field's problem, in words."""
    if "csrf_token" in form.errors:
        return expired()
    problems = "; ".join(str(p) for errors in form.errors.values() for p in errors)
    return Unprocessable("request.invalid", problems or gettext("Fill in the form again."))


def today() -> date:
    """Today in company time."""
    settings = services().settings
    return services().clock.now().astimezone(settings.timezone).date()


def book() -> Catalogue:
    """The training catalogue (policies/training/)."""
    return load_catalogue(services().settings.policies_dir)
