"""The auth layer: sessions, API tokens, CSRF, rate limits and security headers.

* Web UI: Flask-Login sessions whose identity carries the user's *session epoch*;
  bumping the epoch (sign out everywhere, password change, deactivation) ends every
  session at once.
* JSON API: ``Authorization: Bearer <token>`` only. A request that carries the header
  never reads or writes the session cookie, so it needs no CSRF token; everything else
  that changes state must carry one (Flask-WTF), forms and cookie-authenticated JSON alike.
* Sign-in attempts are rate limited (Flask-Limiter); headers and the CSP come from
  Flask-Talisman.
"""

from __future__ import annotations

from flask import Flask, current_app, request
from flask.sessions import SecureCookieSessionInterface
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager, login_user, logout_user
from flask_talisman import Talisman
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import select

from onward.core import tokens
from onward.core.access import effective_roles, log_security_event
from onward.core.actor import current_actor
from onward.core.db import db, utcnow
from onward.core.errors import Unauthenticated
from onward.core.models import User
from onward.core.passwords import verify_password

login_manager = LoginManager()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address, default_limits=[])
talisman = Talisman()

CONTENT_SECURITY_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


def bearer_token() -> str | None:
    """The token of an ``Authorization: Bearer`` header, if the request has one."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


class TokenAwareSessionInterface(SecureCookieSessionInterface):
    """Cookie sessions, except that a request with an ``Authorization`` header gets none."""

    def open_session(self, app, request):
        """Ignore the cookie when the request authenticates with a header."""
        if "Authorization" in request.headers:
            return self.session_class()
        return super().open_session(app, request)

    def save_session(self, app, session, response):
        """Never set a cookie in answer to a header-authenticated request."""
        if "Authorization" in request.headers:
            return
        super().save_session(app, session, response)


@login_manager.user_loader
def load_user(identity: str) -> User | None:
    """The active user a session identity (``id:epoch``) names, if the epoch is current."""
    user_id, _, epoch = identity.partition(":")
    if not user_id.isdigit() or not epoch.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.active or user.session_epoch != int(epoch):
        return None
    return user


@login_manager.request_loader
def _load_user_from_token(req) -> User | None:
    token = bearer_token()
    if token is None:
        return None
    user = tokens.user_for_token(token)
    if user is not None:
        db.session.commit()  # keep last_used_at; nothing else is pending this early
    return user


@login_manager.unauthorized_handler
def _unauthorized():
    raise Unauthenticated("Sign in first." if not bearer_token() else "Invalid API token.")


def _require_api_user() -> None:
    """Every JSON API endpoint (blueprints ``<plugin>_api``) needs a signed-in user.

    Runs before the CSRF check, so a request without credentials hears 401, not 400.
    The OpenAPI document is public.
    """
    if (request.blueprint or "").endswith("_api") and current_actor() is None:
        login_manager.unauthorized()


def _check_csrf() -> None:
    # csrf.protect() checks whatever the settings say, so honour WTF_CSRF_ENABLED here
    if not current_app.config["WTF_CSRF_ENABLED"]:
        return
    if request.method in SAFE_METHODS or "Authorization" in request.headers:
        return
    csrf.protect()


def init_app(app: Flask) -> None:
    """Install sessions, CSRF, rate limits and security headers on ``app``."""
    app.session_interface = TokenAwareSessionInterface()
    login_manager.init_app(app)
    login_manager.session_protection = "basic"
    csrf.init_app(app)
    app.before_request(_require_api_user)
    app.before_request(_check_csrf)
    limiter.init_app(app)
    talisman.init_app(
        app,
        content_security_policy=CONTENT_SECURITY_POLICY,
        force_https=app.config["FORCE_HTTPS"],
        # config.py sets SESSION_COOKIE_SECURE (and `onward serve` may relax it for a
        # loopback host); Talisman would force it back on at every request.
        session_cookie_secure=False,
        strict_transport_security=app.config["FORCE_HTTPS"],
        referrer_policy="same-origin",
        frame_options="DENY",
    )


def find_user(email: str) -> User | None:
    """The user with ``email`` (case-insensitive)."""
    email = (email or "").strip().lower()
    return db.session.scalar(select(User).where(User.email == email))


def check_credentials(email: str, password: str) -> User | None:
    """The active user whose email and password match, or ``None`` (failure is audited)."""
    user = find_user(email)
    if user is None or not user.active or not verify_password(user.password_hash, password):
        log_security_event("sign_in_failed", user=user, detail=f"email {email.strip()[:254]!r}")
        return None
    return user


def needs_two_factor(user: User) -> str | None:
    """``"verify"`` if the user has TOTP, ``"enrol"`` if it must set it up, else ``None``.

    Two-factor sign-in is required for admins and optional for other internal users;
    customers sign in with a password.
    """
    if user.totp_enabled:
        return "verify"
    if user.is_customer:
        return None
    return "enrol" if "admin" in effective_roles(user) else None


def complete_sign_in(user: User, *, remember: bool = False) -> None:
    """Start the session for ``user`` (password and second factor already checked)."""
    login_user(user, remember=remember)
    user.last_sign_in_at = utcnow()
    log_security_event("sign_in", user=user)


def sign_out(user: User | None) -> None:
    """End this session."""
    if user is not None:
        log_security_event("sign_out", user=user)
    logout_user()


def end_all_sessions(user: User) -> None:
    """End every session of ``user`` at once by bumping its session epoch."""
    user.session_epoch = (user.session_epoch or 0) + 1


def rate_limit() -> str:
    """The sign-in rate limit from the configuration (e.g. ``10 per minute``)."""
    return current_app.config["SIGN_IN_RATE_LIMIT"]
