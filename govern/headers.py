"""Security headers and caching on every answer Govern gives: pages, API, errors and files.

flask-talisman sets the Content-Security-Policy (everything from this origin only, framed by
nobody), X-Frame-Options, X-Content-Type-Options and the Referrer-Policy. Govern adds the rest
itself: HSTS only when the request really came over TLS (`request.is_secure`, which believes a
proxy's X-Forwarded-Proto only behind `GOVERN_PROXY_HOPS` trusted proxies), and
`Cache-Control: no-store` on every answer, since pages and API answers carry personal data.
"""

from __future__ import annotations

from flask import Flask, Response, request
from flask_talisman import DENY, Talisman

CONTENT_SECURITY_POLICY = {
    "default-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'none'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}
# Same-origin requests keep their Referer: Flask-WTF's CSRF check over HTTPS insists on one.
REFERRER_POLICY = "same-origin"
HSTS = "max-age=31536000; includeSubDomains"


def register_security_headers(app: Flask) -> None:
    """Put the security and caching headers on every answer of `app`.

    Never redirects to HTTPS (the demo serves http://127.0.0.1) and leaves the session
    cookie's flags as `create_app` set them.
    """
    Talisman(
        app,
        force_https=False,
        strict_transport_security=False,  # ours: request.is_secure only, see below
        frame_options=DENY,
        content_security_policy=CONTENT_SECURITY_POLICY,
        referrer_policy=REFERRER_POLICY,
        session_cookie_secure=False,  # leave SESSION_COOKIE_SECURE to GOVERN_COOKIE_SECURE
        session_cookie_samesite=app.config["SESSION_COOKIE_SAMESITE"],
    )
    app.after_request(_no_store_and_hsts)


def _no_store_and_hsts(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    if request.is_secure:
        response.headers["Strict-Transport-Security"] = HSTS
    return response
