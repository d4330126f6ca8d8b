"""The password policy: a minimum length, no common password, not the email address."""

import pytest

from onward import ValidationFailed
from onward.core.passwords import (
    common_passwords,
    hash_password,
    password_problems,
    verify_password,
)


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield


def test_the_shipped_list_holds_ten_thousand_common_passwords():
    passwords = common_passwords()
    assert len(passwords) == 10_000
    assert {"123456", "password", "qwerty"} <= passwords


@pytest.mark.usefixtures("ctx")
@pytest.mark.parametrize(("password", "problem"), [
    ("short", "at least 12 characters"),
    ("1qaz2wsx3edc", "most common"),
    ("q1w2e3r4t5y6", "most common"),
    ("a long unusual passphrase", None),
])
def test_password_problems(password, problem):
    problems = " ".join(password_problems(password))
    if problem:
        assert problem in problems
    else:
        assert problems == ""


@pytest.mark.usefixtures("ctx")
def test_common_passwords_are_refused_whatever_their_case():
    assert any("most common" in p for p in password_problems("1QAZ2WSX3EDC"))


@pytest.mark.usefixtures("ctx")
def test_the_email_address_is_not_a_password():
    assert any("email" in p for p in password_problems("ada.lovelace@example.com",
                                                         email="ada.lovelace@example.com"))


@pytest.mark.onward_config(PASSWORD_MIN_LENGTH=20)
@pytest.mark.usefixtures("ctx")
def test_the_minimum_length_is_a_setting():
    assert "at least 20" in password_problems("unusual passphrase")[0]


@pytest.mark.usefixtures("ctx")
def test_hash_password_refuses_with_field_errors_and_verifies():
    with pytest.raises(ValidationFailed) as refused:
        hash_password("password")
    assert "password" in refused.value.fields
    hashed = hash_password("a long unusual passphrase")
    assert verify_password(hashed, "a long unusual passphrase")
    assert not verify_password(hashed, "something else entirely")
    assert not verify_password("", "")
