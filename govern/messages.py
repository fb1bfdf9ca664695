"""What each refusal says to a person, by its code, in the console's languages.

A refusal's code is stable and its English message, written where it is raised, may name the
thing refused. Here each code has its message as the person reads it (`lazy_gettext`: written
in English, translated in govern/translations/zh/LC_MESSAGES/messages.po); pages and the API's
error bodies use it in the request's language. A code missing here keeps the message it was
raised with.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

MESSAGES: dict[str, Any] = {
    # signing in, and why a page sends someone back to sign in (with whom to ask)
    "session.missing": _l("Sign in first."),
    "session.invalid": _l("Your session has ended. Sign in again."),
    "session.expired": _l("Your session has expired. Sign in again."),
    "login.failed": _l("Wrong username or password."),
    "account.revoked": _l(
        "Your Govern account has been revoked. If you think this is wrong, ask your "
        "department head."
    ),
    "account.departed": _l(
        "You have left the company: your Govern account was closed on your departure day. "
        "If this is wrong, ask HR."
    ),
    "account.suspended": _l(
        "Your Govern account is suspended. Ask whoever suspended it (IT for a security "
        "suspension, HR for the others) or your department head."
    ),
    "identity.gone": _l("You are no longer in the company directory. Ask IT."),
    "login.no_account": _l(
        "You have no Govern account yet. Your department head issues it; ask them."
    ),
}


def message_for(code: str, raised_with: str = "") -> str:
    """The message for `code` in the request's language; `raised_with` when it has none."""
    message = MESSAGES.get(code)
    return str(message) if message is not None else raised_with
