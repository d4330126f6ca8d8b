"""Sign-in, two-factor sign-in, sign-out, and the profile page (password, 2FA, tokens)."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import abort, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from onward.core import auth, tokens, totp
from onward.core.access import effective_roles, get_or_404
from onward.core.auth import limiter
from onward.core.db import db
from onward.core.errors import ValidationFailed
from onward.core.models import ApiToken, User
from onward.core.passwords import verify_password
from onward.core.users import set_password
from onward.core.views import blueprint
from onward.core.views.forms import CodeForm, ConfirmForm, PasswordForm, SignInForm, TokenForm

PENDING = "onward_pending_sign_in"


def _safe_next(target: str | None) -> str:
    """Only follow ``next`` to a path on this site.

    Browsers read a backslash as a slash, so a backslash could lead off the site.
    """
    if target and "\\" not in target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/"):
            return target
    return url_for("core.home")


def _pending_user() -> User | None:
    pending = session.get(PENDING)
    if not pending:
        return None
    return auth.load_user(pending["identity"])


def _sign_in_rate_key() -> str:
    return (request.form.get("email") or "").strip().lower()


@blueprint.route("/sign-in", methods=["GET", "POST"])
@limiter.limit(auth.rate_limit, methods=["POST"])
@limiter.limit(auth.rate_limit, methods=["POST"], key_func=_sign_in_rate_key)
def sign_in():
    """Email and password; then the second factor when the user has or needs one."""
    if current_user.is_authenticated:
        return redirect(_safe_next(request.args.get("next")))
    form = SignInForm()
    if form.validate_on_submit():
        user = auth.check_credentials(form.email.data, form.password.data)
        if user is None:
            db.session.commit()
            flash("Wrong email or password.", "error")
        else:
            step = auth.needs_two_factor(user)
            if step is None:
                auth.complete_sign_in(user, remember=form.remember.data)
                db.session.commit()
                return redirect(_safe_next(request.args.get("next")))
            session[PENDING] = {
                "identity": user.get_id(),
                "remember": bool(form.remember.data),
                "next": _safe_next(request.args.get("next")),
            }
            if step == "enrol":
                session[PENDING]["secret"] = totp.new_secret()
                return redirect(url_for("core.two_factor_enrol"))
            return redirect(url_for("core.two_factor"))
    return render_template("core/sign_in.html", form=form)


@blueprint.route("/sign-in/two-factor", methods=["GET", "POST"])
@limiter.limit(auth.rate_limit, methods=["POST"])
def two_factor():
    """The second step: a TOTP code or a recovery code."""
    user = _pending_user()
    if user is None or not user.totp_enabled:
        return redirect(url_for("core.sign_in"))
    form = CodeForm()
    if form.validate_on_submit():
        if totp.verify(user, form.code.data):
            pending = session.pop(PENDING)
            auth.complete_sign_in(user, remember=pending["remember"])
            db.session.commit()
            if totp.remaining_recovery_codes(user) <= 2:
                flash("You are running out of recovery codes; make new ones in your profile.",
                      "warning")
            return redirect(pending["next"])
        auth.log_security_event("sign_in_failed", user=user, detail="wrong two-factor code")
        db.session.commit()
        flash("That code is not valid. Try the current code, or a recovery code.", "error")
    return render_template("core/two_factor.html", form=form, user=user)


@blueprint.route("/sign-in/two-factor/set-up", methods=["GET", "POST"])
@limiter.limit(auth.rate_limit, methods=["POST"])
def two_factor_enrol():
    """Admins must set up two-factor sign-in before their first session starts."""
    user = _pending_user()
    pending = session.get(PENDING) or {}
    if user is None or "secret" not in pending:
        return redirect(url_for("core.sign_in"))
    form = CodeForm()
    if form.validate_on_submit():
        if totp.confirm_code(pending["secret"], form.code.data):
            codes = totp.enable(user, pending["secret"])
            session.pop(PENDING)
            auth.complete_sign_in(user, remember=pending["remember"])
            db.session.commit()
            return render_template("core/recovery_codes.html", codes=codes, next=pending["next"])
        flash("That code does not match; check the time on your phone and try again.", "error")
    uri = totp.provisioning_uri(pending["secret"], user.email)
    return render_template(
        "core/two_factor_enrol.html", form=form, secret=pending["secret"], uri=uri,
        qr=totp.qr_data_uri(uri),
    )


@blueprint.route("/sign-out", methods=["POST"])
def sign_out():
    """End this session."""
    ConfirmForm()  # the CSRF check already ran for this POST
    auth.sign_out(current_user if current_user.is_authenticated else None)
    db.session.commit()
    flash("You are signed out.", "info")
    return redirect(url_for("core.sign_in"))


# --- profile ----------------------------------------------------------------------------


def _profile(**forms):
    user = current_user._get_current_object()
    own_tokens = db.session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.created_at.desc())
    ).all()
    context = {
        "password_form": PasswordForm(prefix="pw"),
        "token_form": TokenForm(prefix="token"),
        "confirm_form": ConfirmForm(),
        "code_form": CodeForm(prefix="totp"),
        "tokens": own_tokens,
        "recovery_left": totp.remaining_recovery_codes(user) if user.totp_enabled else 0,
    }
    context.update(forms)
    return render_template("core/profile.html", **context)


@blueprint.route("/profile")
@login_required
def profile():
    """The user's own page: password, sessions, two-factor sign-in and API tokens."""
    return _profile()


@blueprint.route("/profile/password", methods=["POST"])
@login_required
def change_password():
    """Change one's own password; other sessions end, this one goes on."""
    form = PasswordForm(prefix="pw")
    user = current_user._get_current_object()
    if form.validate_on_submit():
        if not verify_password(user.password_hash, form.current.data):
            form.current.errors.append("This is not your current password.")
        else:
            try:
                set_password(user, form.password.data, by_self=True)
            except ValidationFailed as exc:
                form.password.errors.extend(exc.fields.get("password", [exc.message]))
            else:
                auth.complete_sign_in(user)  # a fresh identity with the new epoch
                db.session.commit()
                flash("Your password is changed; your other sessions are signed out.", "success")
                return redirect(url_for("core.profile"))
    return _profile(password_form=form), 422


@blueprint.route("/profile/sign-out-everywhere", methods=["POST"])
@login_required
def sign_out_everywhere():
    """End every session of the user, this one included."""
    ConfirmForm()
    user = current_user._get_current_object()
    auth.end_all_sessions(user)
    auth.sign_out(user)
    db.session.commit()
    flash("You are signed out on every device.", "info")
    return redirect(url_for("core.sign_in"))


@blueprint.route("/profile/two-factor", methods=["POST"])
@login_required
def profile_two_factor():
    """Turn two-factor sign-in on (step 1: show a secret; step 2: confirm a code) or off."""
    user = current_user._get_current_object()
    action = request.form.get("action")
    if action == "start":
        session["onward_enrol_secret"] = totp.new_secret()
    elif action == "confirm":
        secret = session.get("onward_enrol_secret")
        form = CodeForm(prefix="totp")
        if secret and form.validate_on_submit() and totp.confirm_code(secret, form.code.data):
            codes = totp.enable(user, secret)
            session.pop("onward_enrol_secret")
            db.session.commit()
            return render_template("core/recovery_codes.html", codes=codes,
                                   next=url_for("core.profile"))
        flash("That code does not match; try again.", "error")
    elif action == "recovery":
        if not user.totp_enabled:
            abort(400)
        codes = totp.new_recovery_codes(user)
        db.session.commit()
        return render_template("core/recovery_codes.html", codes=codes,
                               next=url_for("core.profile"))
    elif action == "disable":
        if "admin" in effective_roles(user):
            flash("Administrators must keep two-factor sign-in on.", "error")
        else:
            totp.disable(user)
            db.session.commit()
            flash("Two-factor sign-in is off.", "info")
    else:
        abort(400)
    secret = session.get("onward_enrol_secret")
    if secret and not user.totp_enabled:
        uri = totp.provisioning_uri(secret, user.email)
        return _profile(enrol_secret=secret, enrol_qr=totp.qr_data_uri(uri), enrol_uri=uri)
    return redirect(url_for("core.profile"))


@blueprint.route("/profile/tokens", methods=["POST"])
@login_required
def create_token():
    """Make a personal API token and show it once."""
    form = TokenForm(prefix="token")
    if not form.validate_on_submit():
        return _profile(token_form=form), 422
    token, text = tokens.create_token(current_user._get_current_object(), form.name.data)
    db.session.commit()
    return _profile(new_token=text, new_token_name=token.name)


@blueprint.route("/profile/tokens/<int:token_id>/revoke", methods=["POST"])
@login_required
def revoke_token(token_id: int):
    """Revoke one of one's own tokens."""
    token = get_or_404(ApiToken, token_id, right="write")
    tokens.revoke_token(token)
    db.session.commit()
    flash(f"Token “{token.name}” is revoked.", "info")
    return redirect(url_for("core.profile"))
