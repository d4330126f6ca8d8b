"""Password policy and hashing: a minimum length and a shipped list of common passwords."""

from __future__ import annotations

from functools import cache
from importlib import resources

from flask import current_app
from werkzeug.security import check_password_hash, generate_password_hash

from onward.core.errors import ValidationFailed


@cache
def common_passwords() -> frozenset[str]:
    """The 10,000 most common passwords, shipped in ``core/data/common-passwords.txt``."""
    text = resources.files("onward.core").joinpath("data/common-passwords.txt").read_text()
    return frozenset(line.strip().lower() for line in text.splitlines() if line.strip())


def password_problems(password: str, *, email: str = "") -> list[str]:
    """What is wrong with ``password``; an empty list means it may be used."""
    minimum = current_app.config["PASSWORD_MIN_LENGTH"]
    problems = []
    if len(password) < minimum:
        problems.append(f"Use at least {minimum} characters.")
    lowered = password.lower()
    if lowered in common_passwords():
        problems.append("This password is one of the most common ones; choose another.")
    if email and lowered in {email.lower(), email.split("@")[0].lower()}:
        problems.append("Do not use your email address as your password.")
    return problems


def hash_password(password: str, *, email: str = "") -> str:
    """Check ``password`` against the policy and hash it.

    Raises:
        ValidationFailed: the password breaks the policy (``fields["password"]`` says how).
    """
    problems = password_problems(password, email=email)
    if problems:
        raise ValidationFailed(" ".join(problems), fields={"password": problems})
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


def verify_password(password_hash: str, password: str) -> bool:
    """Whether ``password`` matches ``password_hash`` (never for an empty hash)."""
    return bool(password_hash) and check_password_hash(password_hash, password)
