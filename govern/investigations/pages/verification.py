"""The trail's verification at the console (`/audit/verify`): one button starts it in the
background (as `govern audit verify`); its page shows how far it is, then the result in words."""

from __future__ import annotations

from typing import Any

from flask import Response, redirect, url_for
from flask_wtf import FlaskForm

from govern.console import page, run_page
from govern.investigations import runs
from govern.investigations.pages.shared import auditor, bp
from govern.web import app_itself, db, services


class VerifyForm(FlaskForm):
    pass


@bp.route("/verify", methods=["GET", "POST"])
@page("audit", "query")
def verify() -> Any:
    """One button: every event checked against the signed checkpoints, and the searchable
    columns against the entries (as `govern audit verify`), in the background; the page that
    follows shows how far it is, then the result in words. Asked for, it shows the newest
    verification: the last result, or the one under way (whoever started it)."""
    form = VerifyForm()
    if not form.validate_on_submit():
        newest = runs.latest_verification(db(), services().clock)
        return run_page("investigations/verify.html", newest, form=form)
    run_id = runs.start_verification(app_itself(), db(), auditor())
    return redirect(url_for(".verification", verification_id=run_id))


@bp.get("/verify/<string:verification_id>")
@page("audit", "query")
def verification(verification_id: str) -> Response:
    """A verification under way (how many events are checked), then its report."""
    found = runs.verification(db(), services().clock, verification_id)
    return run_page("investigations/verify.html", found, form=VerifyForm())
