"""Pages for people in a browser: sign in, see your account, sign out.

Pages authenticate with a Secure, HttpOnly cookie only, and every form carries a CSRF token
(govern/console.py).
"""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    g,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from govern.auditing.trail import AuditNotWritten
from govern.console import SESSION_COOKIE, page, page_caller
from govern.errors import GovernError
from govern.sessions.service import log_out, why_ended
from govern.sessions.views import open_session
from govern.web import context, db, services

bp = Blueprint("pages", __name__)

#: The account this browser last signed in as, in Flask's signed session cookie: only to say
#: why its session ended (`_reason`); it opens nothing.
SIGNED_IN_AS = "signed_in_as"


class LoginForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=128)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=1024)])


class LogoutForm(FlaskForm):
    pass


@bp.get("/")
@page("session", "view")
def home() -> str:
    return render_template("home.html", caller=page_caller(), form=LogoutForm())


@bp.route("/login", methods=["GET", "POST"])
def login() -> Response | tuple[str, int] | str:
    form = LoginForm()
    if not form.validate_on_submit():
        if request.method != "POST":
            return render_template("login.html", form=form, reason=_reason())
        g.refusal_code = "login.form_invalid"  # audited as a refused sign-in
        return render_template("login.html", form=form), 400
    try:
        new = open_session(form.username.data or "", form.password.data or "", "page")
    except GovernError as error:
        return render_template("login.html", form=form, error=error), error.status
    session[SIGNED_IN_AS] = new.caller.account_id
    response = make_response(redirect(url_for("pages.home")))
    response.set_cookie(
        SESSION_COOKIE,
        new.token,
        expires=new.expires_at,
        httponly=True,
        secure=services().settings.cookie_secure,
        samesite="Lax",
    )
    return response


def _reason() -> str:
    """Why the sign-in page is shown: the code a page sent (`?reason=`), or, when the session
    ended with its account (revoking or suspending an account ends its sessions, so the page
    only saw an unknown session), why that account may no longer act, read afresh for the
    account this browser last signed in as (kept in Flask's signed session cookie)."""
    reason = request.args.get("reason", "")
    account_id = session.pop(SIGNED_IN_AS, None)
    if reason == "session.invalid" and account_id:
        return why_ended(db(), context(), account_id) or reason
    return reason


@bp.post("/logout")
def logout() -> Response:
    """Sign out and forget the cookie. While the audit trail cannot be written the session
    stays open and the cookie kept: the error page says you are still signed in."""
    if LogoutForm().validate_on_submit():
        try:
            log_out(db(), services().trail, page_caller())
        except AuditNotWritten:
            raise
        except GovernError:
            pass  # an ended or refused session is as signed out as it gets
    session.pop(SIGNED_IN_AS, None)
    response = make_response(redirect(url_for("pages.login")))
    response.delete_cookie(SESSION_COOKIE)
    return response
