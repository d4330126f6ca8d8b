"""Personal API tokens: made once, shown once, stored as a hash, revocable."""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import select

from onward.core.access import require
from onward.core.db import db, utcnow
from onward.core.errors import ValidationFailed
from onward.core.models import ApiToken, User

TOKEN_PREFIX = "onw_"


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
    token.last_used_at = utcnow()
    return token.user
