"""Leave to approve: a head's (the general manager's, for heads) list of leave asked from
sessions still ahead, each approved with one click (R-TRN-6)."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext
from werkzeug.wrappers import Response as BaseResponse

from govern.console import page, page_caller, paged
from govern.errors import GovernError
from govern.training import attendance
from govern.training.pages.shared import PlainForm, bp, expired
from govern.web import context, db


@bp.get("/leave")
@page("training", "approve_leave")
def leave() -> str:
    return _leave_page()


@bp.post("/leave/<int:leave_id>/approval")
@page("training", "approve_leave")
def approve_leave(leave_id: int) -> BaseResponse | tuple[str, int]:
    if not PlainForm().validate_on_submit():
        return _leave_page(expired()), 400
    try:
        attendance.approve_leave(db(), context(), page_caller().actor, leave_id)
    except GovernError as error:
        return _leave_page(error), error.status
    flash(gettext("Leave approved."))
    return redirect(url_for(".leave"))


def _leave_page(error: GovernError | None = None) -> str:
    shown = paged(attendance.leave_to_approve(db(), context(), page_caller().staff))
    return render_template(
        "training/leave.html",
        lines=shown.rows,
        page=shown.number,
        more=shown.more,
        form=PlainForm(formdata=None),
        error=error,
    )
