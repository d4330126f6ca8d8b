"""Two-factor sign-in: TOTP secrets, QR codes for enrolment and one-time recovery codes."""

from __future__ import annotations

import hashlib
import hmac
import secrets

import pyotp
import segno
from flask import current_app
from sqlalchemy import select

from onward.core.db import db, utcnow
from onward.core.models import RecoveryCode, User

RECOVERY_CODE_COUNT = 10


def new_secret() -> str:
    """A fresh base32 TOTP secret."""
    return pyotp.random_base32()


def provisioning_uri(secret: str, email: str) -> str:
    """The ``otpauth://`` URI an authenticator app reads."""
    return pyotp.TOTP(secret).provisioning_uri(
        name=email, issuer_name=current_app.config["TOTP_ISSUER"]
    )


def qr_data_uri(uri: str) -> str:
    """The URI as a QR code in an SVG ``data:`` URI (allowed by the page's CSP)."""
    return segno.make(uri, error="m").svg_data_uri(scale=5, border=2)


def _matching_step(secret: str, code: str) -> int | None:
    totp = pyotp.TOTP(secret)
    code = "".join(code.split())
    now = totp.timecode(utcnow())
    for step in (now, now - 1, now + 1):  # one step of clock drift either way
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def confirm_code(secret: str, code: str) -> bool:
    """Whether ``code`` is valid now for ``secret`` (used while enrolling)."""
    return _matching_step(secret, code) is not None


def verify(user: User, code: str) -> bool:
    """Check a TOTP code or, failing that, an unused recovery code, and use it up.

    A TOTP code is accepted once: a code from the same or an earlier time step is
    refused, so an overheard code cannot be replayed.
    """
    if user.totp_secret:
        step = _matching_step(user.totp_secret, code)
        if step is not None and (user.totp_last_step is None or step > user.totp_last_step):
            user.totp_last_step = step
            return True
    return use_recovery_code(user, code)


def _hash(code: str) -> str:
    return hashlib.sha256("".join(code.split()).lower().encode()).hexdigest()


def new_recovery_codes(user: User) -> list[str]:
    """Replace the user's recovery codes; returns the new ones, shown to the user once."""
    db.session.execute(RecoveryCode.__table__.delete().where(RecoveryCode.user_id == user.id))
    codes = [f"{secrets.token_hex(3)}-{secrets.token_hex(3)}" for _ in range(RECOVERY_CODE_COUNT)]
    db.session.add_all(RecoveryCode(user_id=user.id, code_hash=_hash(code)) for code in codes)
    return codes


def use_recovery_code(user: User, code: str) -> bool:
    """Use up one of the user's recovery codes, if ``code`` is one."""
    record = db.session.scalar(
        select(RecoveryCode).where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == _hash(code),
            RecoveryCode.used_at.is_(None),
        )
    )
    if record is None:
        return False
    record.used_at = utcnow()
    return True


def remaining_recovery_codes(user: User) -> int:
    """How many unused recovery codes the user has left."""
    return len(
        db.session.scalars(
            select(RecoveryCode.id).where(
                RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)
            )
        ).all()
    )


def enable(user: User, secret: str) -> list[str]:
    """Turn two-factor sign-in on with a confirmed secret; returns fresh recovery codes."""
    user.totp_secret = secret
    user.totp_last_step = None
    return new_recovery_codes(user)


def disable(user: User) -> None:
    """Turn two-factor sign-in off and drop the recovery codes."""
    user.totp_secret = None
    user.totp_last_step = None
    db.session.execute(RecoveryCode.__table__.delete().where(RecoveryCode.user_id == user.id))
