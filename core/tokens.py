"""Personal API tokens: made once, shown once, stored as a hash, revocable."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import select, update

from onward.core.access import require
from onward.core.db import db, utcnow
from onward.core.errors import ValidationFailed
from onward.core.models import ApiToken, User

TOKEN_PREFIX = "onw_"  # noqa: S105 -- a public marker, not a secret
#: how often a token's ``last_used_at`` is written (not on every request)
TOUCH_INTERVAL = timedelta(minutes=1)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(user: User, name: str) -> tuple[ApiToken, str]:
    """Make a token for ``user``; returns the record and the token text (shown once)."""
    name = (name or "").strip()
    if not name:
        raise ValidationFailed("Name the token.", fields={"name": ["Name the token."]})
    text = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user.id,
        domain_id=user.domain_id,
        name=name[:120],
        prefix=text[:12],
        token_hash=_hash(text),
    )
    require("create", token)
    db.session.add(token)
    db.session.flush()
    return token, text


def revoke_token(token: ApiToken) -> None:
    """Revoke ``token``; it never works again."""
    require("write", token)
    if token.revoked_at is None:
        token.revoked_at = utcnow()


def user_for_token(text: str) -> User | None:
    """The active user a valid, unrevoked token belongs to; notes when it was last used."""
    if not text.startswith(TOKEN_PREFIX):
        return None
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == _hash(text)))
    if token is None or token.revoked_at is not None or not token.user.active:
        return None
    now = utcnow()
    if token.last_used_at is None or now - token.last_used_at > TOUCH_INTERVAL:
        # A plain UPDATE: no ORM flush, so no flush hook asks who the actor is while the
        # actor is still being loaded.
        db.session.execute(update(ApiToken).where(ApiToken.id == token.id).values(last_used_at=now))
    return token.user
