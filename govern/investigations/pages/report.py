"""The leak report at the console (`/audit/leaks/<id>/report`): an investigation's report
(PIPL Art. 57) with its 4-hour reporting clock, graded by the auditor in a GET form, and its
downloads (JSON, PDF, the affected debtors' CSV), each produced and audited as the API's
`POST /api/v1/audit/investigations/<id>/report` produces it."""

from __future__ import annotations

import json
from typing import Any

from flask import render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField

from govern.console import choices, language, page
from govern.investigations import exposure, leak_report, rules
from govern.investigations.leak_pdf import report_pdf
from govern.investigations.pages.shared import auditor, bp, limited, status
from govern.web import attachment, context, db, download, services

FORMATS = {"page": _l("On this page"), "json": "JSON", "pdf": "PDF", "csv": "CSV"}


class ReportForm(FlaskForm):
    """The grade the report is produced under, and what it is produced as: a GET form."""

    class Meta:
        csrf = False

    grade = SelectField(_l("Grade"), default="")
    format = SelectField(_l("As"), choices=choices(FORMATS), default="page")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.grade.choices = choices(grade_names())


def grade_names() -> dict[str, str]:
    """Each grade's name in the request's language, by the form's value ("": not graded)."""
    return {grade or "": rules.grade_name(grade, language()) for grade in rules.GRADE_NAMES}


@bp.get("/leaks/<investigation_id>/report")
@page("audit", "investigate")
def report(investigation_id: str) -> Any:
    """The investigation's leak report as it stands now, with the clock; or one of its
    downloads (`format`): each is produced from the trail and audited."""
    form = ReportForm(formdata=request.args)
    if not form.validate():
        return render_template("investigations/report.html", form=form), status(form)
    grade, wanted = form.grade.data or None, form.format.data
    with limited("leak_report", investigation=investigation_id):
        found = leak_report.leak_report(db(), context(), auditor(), investigation_id, grade, wanted)
    return _answer(found, wanted, form)


def _answer(found: dict[str, Any], wanted: str, form: ReportForm) -> Any:
    name = f"leak-report-{found['investigation']['id']}"
    if wanted == "csv":
        zone = services().settings.timezone
        return download(leak_report.affected_csv(found, zone), f"{name}-affected.csv")
    if wanted == "pdf":
        return attachment(
            report_pdf(found, services().settings.timezone), "application/pdf", f"{name}.pdf"
        )
    if wanted == "json":
        text = json.dumps(found, ensure_ascii=False, indent=1)
        return attachment(text.encode(), "application/json", f"{name}.json")
    return render_template(
        "investigations/report.html",
        form=form,
        report=found,
        grades=grade_names(),
        views={v: exposure.view_name(v, language()) for v in exposure.VIEW_NAMES},
    )
