"""Signing in and out in a real browser."""

import re

import pyotp
from playwright.sync_api import expect


def test_sign_in_see_home_and_sign_out(page, live_server, sign_in, make_user):
    make_user("exemplar_viewer", email="ada@example.com", name="Ada Lovelace")
    page.goto(live_server + "/")
    expect(page).to_have_url(re.compile(r"/sign-in"))  # the home page asks to sign in
    sign_in("ada@example.com")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Ada Lovelace")
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/sign-in$"))
    expect(page.get_by_text("You are signed out.")).to_be_visible()
    page.goto(live_server + "/")
    expect(page).to_have_url(re.compile(r"/sign-in"))
    assert page.console_errors == []


def test_wrong_password_is_refused(page, sign_in, make_user):
    make_user(email="bob@example.com")
    sign_in("bob@example.com", password="not the password")
    expect(page.get_by_text("Wrong email or password.")).to_be_visible()
    assert page.console_errors == []


def test_admin_sets_up_two_factor_on_first_sign_in(page, sign_in, make_user):
    make_user("admin", email="root@example.com", name="Root Admin")
    sign_in("root@example.com")
    expect(page.get_by_role("heading", name="Set up two-factor sign-in")).to_be_visible()
    secret = page.get_by_test_id("totp-secret").inner_text().strip()
    page.get_by_label("Code").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Turn on and sign in").click()
    expect(page.get_by_test_id("recovery-codes").locator("li")).to_have_count(10)
    page.get_by_role("link", name="I have stored them").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Root Admin")
    assert page.console_errors == []
