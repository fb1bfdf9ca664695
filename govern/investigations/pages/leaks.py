"""Leak triage at the console (`/audit/leaks`): a pasted or uploaded list of debtor ids (of a
leaked table, its id column only) opens an investigation; its ranking of who revealed most of
them runs in the background and is shown, likely source first, a page at a time or as CSV."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext, ngettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, DateTimeLocalField, StringField, TextAreaField
from wtforms.validators import Length, Optional, Regexp

from govern.console import in_govern_years, page, run_page
from govern.errors import BadRequest, GovernError, NotFound
from govern.investigations import holds, runs
from govern.investigations import service as inv
from govern.investigations.pages.shared import (
    ACCOUNT_ID,
    FIELD_NAME,
    ID_CHARS,
    LOCAL_INPUT,
    OPTIONAL_TIME,
    auditor,
    bp,
    paged_list,
    searched_window,
    status,
)
from govern.web import app_itself, context, db, download, services

SEPARATORS = re.compile(r"[\s,;，；、]+")
#: A leaked table's header cells that name its debtor id column (lower case).
ID_HEADERS = frozenset({"id", "debtor", "debtor_id", "debtor id", "债务人编号", "债务人id", "编号"})


class LeakForm(FlaskForm):
    pasted = TextAreaField(_l("Leaked debtor ids (one a line, or separated by commas)"))
    upload = FileField(_l("Or a file of debtor ids (CSV or TXT)"))
    fields = StringField(
        _l("Leaked fields (separated by commas; empty: any)"), validators=[Length(max=1000)]
    )
    unregistered = BooleanField(_l("Rank ids not in the register too"))
    suspect = StringField(
        _l("Or a suspect account (its id; with no ids, what it was shown)"),
        validators=[
            Optional(),
            Length(max=ID_CHARS),
            Regexp(ACCOUNT_ID, message=_l("Not an account id (GV-XXXX-XXXX).")),
        ],
    )
    start = DateTimeLocalField(
        _l("From"), format=LOCAL_INPUT, validators=[Optional(), in_govern_years]
    )
    end = DateTimeLocalField(_l("To"), format=LOCAL_INPUT, validators=OPTIONAL_TIME)


class RankForm(FlaskForm):
    pass


@bp.route("/leaks", methods=["GET", "POST"])
@page("audit", "investigate")
def leaks() -> Any:
    """Leak triage: a pasted or uploaded list of debtor ids (or a suspect account) opens an
    investigation that ranks who revealed most of them (it opens no debtor's fields); the
    ranking runs in the background, its page shows how far it is."""
    form = LeakForm()
    if not form.validate_on_submit():
        return render_template("investigations/leaks.html", form=form), status(form)
    try:
        fields, suspect = _fields(form.fields.data or ""), form.suspect.data or None
        leaked = _leaked(form) if form.pasted.data or form.upload.data or not suspect else []
        scope = inv.Scope(leaked, fields, searched_window(form), suspect)
        if not form.unregistered.data:
            _registered(scope.debtors)
        opened = inv.new_leak_investigation(db(), context(), auditor(), scope)
    except GovernError as error:
        return render_template("investigations/leaks.html", form=form, error=error), error.status
    runs.start_triage(app_itself(), db(), auditor(), opened.id)
    flash(gettext("Investigation %(id)s opened.", id=opened.id))
    return redirect(url_for(".investigation", investigation_id=opened.id))


@bp.get("/leaks/<investigation_id>")
@page("audit", "investigate")
def investigation(investigation_id: str) -> Any:
    """An investigation and its newest ranking: how far it is while it runs, then the
    suspects, likely source first, a page at a time or as CSV."""
    found = inv.investigation(db(), investigation_id)
    ranked = runs.latest_triage(db(), services().clock, found.id)
    ranking = ranked.report["ranking"] if ranked and ranked.report else None
    if request.args.get("format") == "csv":
        if ranking is None:
            raise NotFound("ranking.none", "This investigation has no ranking yet.")
        return download(
            inv.ranking_csv(ranking, services().settings.timezone), f"leak-triage-{found.id}.csv"
        )
    shown = paged_list(ranking) if ranking is not None else {}
    held = holds.standing_hold(db(), found.id)
    return run_page(
        "investigations/investigation.html",
        ranked,
        investigation=found,
        form=RankForm(),
        hold=held,
        **shown,
    )


@bp.post("/leaks/<investigation_id>/rank")
@page("audit", "investigate")
def rank(investigation_id: str) -> Any:
    """Rank an investigation again (the trail has grown, or the last ranking failed)."""
    found = inv.investigation(db(), investigation_id)  # its CSRF token checked for every form
    runs.start_triage(app_itself(), db(), auditor(), found.id)
    return redirect(url_for(".investigation", investigation_id=found.id))


@bp.post("/leaks/<investigation_id>/hold")
@page("audit", "hold")
def place_hold(investigation_id: str) -> Any:
    """Place a legal hold: the investigation's events are kept past retention."""
    held = holds.place_hold(db(), context(), auditor(), investigation_id)
    flash(gettext("Legal hold placed on %(id)s.", id=held.investigation_id))
    return redirect(url_for(".investigation", investigation_id=held.investigation_id))


@bp.post("/leaks/<investigation_id>/hold/release")
@page("audit", "release_hold")
def release_hold(investigation_id: str) -> Any:
    """Release a legal hold another auditor placed (four eyes)."""
    held = holds.release_hold(db(), context(), auditor(), investigation_id)
    flash(gettext("Legal hold on %(id)s released.", id=held.investigation_id))
    return redirect(url_for(".investigation", investigation_id=held.investigation_id))


def _leaked(form: LeakForm) -> list[str]:
    """The debtor ids pasted and uploaded (of a table, its id column only: `_id_cells`), in
    their order, once each.

    Raises BadRequest `leaks.unreadable`, `leaks.empty`,
    `leaks.malformed_ids`, `leaks.too_many`."""
    cells = _id_cells(form.pasted.data or "", pasted=True)
    upload = form.upload.data
    if upload:
        try:
            cells += _id_cells(upload.read().decode("utf-8-sig"), pasted=False)
        except UnicodeDecodeError:
            raise BadRequest(
                "leaks.unreadable",
                gettext("The file is not text in UTF-8; save it as CSV (UTF-8) or TXT."),
            ) from None
    ids = list(dict.fromkeys(i for cell in cells for i in SEPARATORS.split(cell) if i))
    if not ids:
        raise BadRequest("leaks.empty", gettext("Paste or upload at least one debtor id."))
    malformed = [i for i in ids if len(i) > ID_CHARS or not i.isprintable()]
    if malformed:
        raise BadRequest(
            "leaks.malformed_ids",
            gettext(
                "These are not debtor ids: %(ids)s.", ids=", ".join(i[:40] for i in malformed[:5])
            ),
        )
    if len(ids) > inv.MAX_LEAKED:
        raise BadRequest(
            "leaks.too_many",
            gettext("At most %(most)d debtor ids at a time.", most=inv.MAX_LEAKED),
        )
    return ids


def _id_cells(text: str, pasted: bool) -> list[str]:
    """The cells holding debtor ids. A leaked file is often a table (id, name, phone…): its
    other cells must be neither ranked nor kept nor shown. The column a header row names
    (`ID_HEADERS`) is read; else a file whose every row has several cells gives its first
    column; else (a list, one a line or separated by commas) every cell."""
    rows = [[cell.strip().strip('"') for cell in row] for row in csv.reader(io.StringIO(text))]
    rows = [row for row in rows if any(row)]
    header = [cell.lower() for cell in rows[0]] if rows else []
    named = next((n for n, cell in enumerate(header) if cell in ID_HEADERS), None)
    if named is not None:
        return [row[named] for row in rows[1:] if len(row) > named]
    if not pasted and len(rows) > 1 and all(len(row) > 1 for row in rows):
        return [row[0] for row in rows]
    return [cell for row in rows for cell in row]


def _registered(debtors: Sequence[str]) -> None:
    """Raises BadRequest `leaks.unregistered` naming the ids not in the debtor register."""
    unknown = inv.unregistered_debtors(db(), debtors)
    if unknown:
        raise BadRequest(
            "leaks.unregistered",
            ngettext(
                "%(num)d of these ids is not in the debtor register: %(ids)s. Correct it, "
                "or tick “Rank ids not in the register too”.",
                "%(num)d of these ids are not in the debtor register: %(ids)s. Correct them, "
                "or tick “Rank ids not in the register too”.",
                len(unknown),
                ids=", ".join(unknown[:10]) + (" …" if len(unknown) > 10 else ""),
            ),
        )


def _fields(text: str) -> list[str]:
    """The leaked field names. Raises BadRequest `leaks.malformed_fields`."""
    names = [name for name in SEPARATORS.split(text.strip()) if name]
    wrong = [name for name in names if not re.match(FIELD_NAME, name)]
    if wrong:
        raise BadRequest(
            "leaks.malformed_fields",
            gettext("These are not field names: %(names)s.", names=", ".join(wrong[:5])),
        )
    return names
