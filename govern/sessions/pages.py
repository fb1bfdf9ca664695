"""Pages for people in a browser: sign in, see your account, sign out.

Pages authenticate with a Secure, HttpOnly cookie only, and every form carries a CSRF token.
"""

from __future__ import annotations

import contextlib

from flask import Blueprint, Response, make_response, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from govern.errors import GovernError, NotAuthenticated
from govern.sessions.service import Attempt, Caller, authenticate, log_in, log_out
from govern.web import client_address, db, services

COOKIE = "govern_session"

bp = Blueprint("pages", __name__)


def page_caller() -> Caller:
    """The caller behind the page cookie (never a Bearer token)."""
    s = services()
    return authenticate(db(), request.cookies.get(COOKIE, ""), s.clock, s.settings, s.trail, "page")


class LoginForm(FlaskForm):
    username = StringField("Username", validators=[DataRequired(), Length(max=128)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=1024)])


class LogoutForm(FlaskForm):
    pass


@bp.get("/")
def home() -> Response | str:
    try:
        caller = page_caller()
    except NotAuthenticated:
        return redirect(url_for("pages.login"))
    return render_template("home.html", caller=caller, form=LogoutForm())


@bp.route("/login", methods=["GET", "POST"])
def login() -> Response | tuple[str, int] | str:
    form = LoginForm()
    if not form.validate_on_submit():
        return render_template("login.html", form=form), 400 if request.method == "POST" else 200
    s = services()
    try:
        new = log_in(
            db(),
            s.directory,
            s.clock,
            s.settings,
            s.trail,
            Attempt(form.username.data or "", form.password.data or "", client_address(), "page"),
        )
    except GovernError as error:
        return render_template("login.html", form=form, error=error), error.status
    response = make_response(redirect(url_for("pages.home")))
    response.set_cookie(
        COOKIE,
        new.token,
        expires=new.expires_at,
        httponly=True,
        secure=s.settings.cookie_secure,
        samesite="Strict",
    )
    return response


@bp.post("/logout")
def logout() -> Response:
    if LogoutForm().validate_on_submit():
        # An ended or refused session is as signed out as it gets.
        with contextlib.suppress(GovernError):
            log_out(db(), services().trail, page_caller())
    response = make_response(redirect(url_for("pages.login")))
    response.delete_cookie(COOKIE)
    return response
