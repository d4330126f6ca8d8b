"""The data validation assist pages: each kind's options accepted and refused, plugin kinds."""

import re

import pytest
from csp_check import assert_csp_safe
from sqlalchemy import select

from onward import Validator, db, hookimpl
from onward.plugins.dataimport.models import ValidationRule


def phone(value, options):
    """A plugin's field kind: digits, spaces and a leading plus."""
    return None if re.fullmatch(r"\+?[\d ]+", str(value)) else f"{value!r} is not a phone number"


class PhonePlugin:
    """A third-party plugin adding a field-level kind."""

    @hookimpl
    def register_validators(self):
        return [Validator("phone_number", "Phone number", func=phone, kind="field",
                          description="Digits, spaces and a leading +.")]


@pytest.fixture
def onward_plugins():
    return [PhonePlugin()]


def html(response) -> str:
    return response.get_data(as_text=True)


def rules(app):
    with app.app_context():
        return [(r.target, r.level, r.kind, r.field, r.options, r.mandatory, r.active)
                for r in db.session.scalars(select(ValidationRule).order_by(ValidationRule.id))]


def post_rule(client, target="locations", **data):
    form = {"level": "field", "active": "y", **data}
    return client.post(f"/admin/imports/rules/new?target={target}", data=form)


def test_the_form_offers_every_kind_a_plugins_kind_and_the_record_validators(client, login_as):
    login_as("admin")
    page = html(client.get("/admin/imports/rules/new?target=locations"))
    assert_csp_safe(page, "new rule")
    for label in ("Reference", "Choice", "Date", "Date and time", "Maximum length", "Number",
                  "Phone number", "Account matches the case"):
        assert f">{label}</option>" in page, label
    assert 'value="phone_number"' in page and 'value="dataimport_account_matches_case"' in page
    assert 'data-show-when="kind:date"' in page and 'data-show-when="level:record"' in page


def test_without_a_target_a_picker_comes_first(client, login_as):
    login_as("admin")
    page = html(client.get("/admin/imports/rules/new"))
    assert_csp_safe(page, "rule target")
    assert '<option value="locations">Locations</option>' in page


@pytest.mark.parametrize(("data", "options"), [
    ({"kind": "date", "field": "name", "format": "%d/%m/%Y"}, {"format": "%d/%m/%Y"}),
    ({"kind": "datetime", "field": "name", "datetime_format": "%d/%m/%Y %H:%M"},
     {"format": "%d/%m/%Y %H:%M"}),
    ({"kind": "max_length", "field": "city", "max_length": "40"}, {"max_length": 40}),
    ({"kind": "reference", "field": "city", "reference": "onboarding_location.city"},
     {"table": "onboarding_location", "field": "city"}),
    ({"kind": "boolean", "field": "name"}, {}),
    ({"kind": "number", "field": "latitude"}, {}),
    ({"kind": "choice", "field": "country", "choices": "US\nDE\n"}, {"choices": ["US", "DE"]}),
    ({"kind": "phone_number", "field": "name"}, {}),
])
def test_each_kind_with_its_options_is_accepted(app, client, login_as, data, options):
    login_as("admin")
    response = post_rule(client, mandatory="y", **data)
    assert response.status_code == 302, html(response)
    assert rules(app) == [("locations", "field", data["kind"], data["field"], options, True,
                           True)]


@pytest.mark.parametrize(("data", "message"), [
    ({"kind": "date", "field": "name", "format": "day"}, "does not read back"),
    ({"kind": "date", "field": "name", "format": ""}, "needs a format"),
    ({"kind": "datetime", "field": "name", "datetime_format": "%H:%M"}, "does not read back"),
    ({"kind": "max_length", "field": "city", "max_length": "0"}, "from 1 to 32767"),
    ({"kind": "max_length", "field": "city", "max_length": "9" * 30}, "from 1 to 32767"),
    ({"kind": "max_length", "field": "city", "max_length": "many"}, "Not a valid integer"),
    ({"kind": "reference", "field": "city", "reference": "onboarding_location.colour"},
     "'colour'"),
    ({"kind": "choice", "field": "city"}, "has no choices of its own"),
    ({"kind": "telepathy", "field": "city"}, "No field kind"),
    ({"kind": "date", "field": "colour", "format": "%d/%m/%Y"}, "has no field"),
])
def test_wrong_options_are_refused_with_a_clear_message(app, client, login_as, data, message):
    login_as("admin")
    response = post_rule(client, **data)
    assert response.status_code == 422
    page = html(response)
    assert_csp_safe(page, "refused rule")
    assert message in page.replace("&#39;", "'")
    assert rules(app) == []


def test_a_record_rule_uses_a_registered_record_validator(app, client, login_as):
    login_as("admin")
    response = post_rule(client, level="record", record_kind="dataimport_account_matches_case")
    assert response.status_code == 302
    assert rules(app) == [("locations", "record", "dataimport_account_matches_case", None, {},
                           False, True)]
    refused = post_rule(client, level="record", record_kind="phone_number")
    assert refused.status_code == 422 and "No record validator" in html(refused)


def test_rules_are_listed_edited_and_deleted(app, client, login_as):
    login_as("admin")
    post_rule(client, kind="max_length", field="city", max_length="40")
    with app.app_context():
        rule_id = db.session.scalar(select(ValidationRule.id))
    listed = html(client.get("/admin/imports/rules?target=locations&sort=kind"))
    assert_csp_safe(listed, "rules")
    assert "at most 40 characters" in listed
    edit = html(client.get(f"/admin/imports/rules/{rule_id}"))
    assert_csp_safe(edit, "edit rule")
    assert 'value="40"' in edit
    saved = client.post(f"/admin/imports/rules/{rule_id}", data={
        "level": "field", "kind": "max_length", "field": "city", "max_length": "60"})
    assert saved.status_code == 302
    assert rules(app)[0][4] == {"max_length": 60} and rules(app)[0][6] is False  # unticked
    refused = client.post(f"/admin/imports/rules/{rule_id}", data={
        "level": "field", "kind": "max_length", "field": "city", "max_length": "-1"})
    assert refused.status_code == 422
    deleted = client.post(f"/admin/imports/rules/{rule_id}/delete?next=/admin/imports/rules")
    assert deleted.status_code == 302 and rules(app) == []


def test_another_domains_rule_is_not_found(app, client, login_as, make_domain):
    login_as("admin")
    post_rule(client, kind="boolean", field="name")
    with app.app_context():
        rule_id = db.session.scalar(select(ValidationRule.id))
    login_as("admin", domain=make_domain("elsewhere"))
    assert client.get(f"/admin/imports/rules/{rule_id}").status_code == 404
    assert client.post(f"/admin/imports/rules/{rule_id}/delete").status_code == 404


def test_a_rules_options_hold_only_numbers_the_database_stores(app, make_user):
    from onward import User, ValidationFailed, acting_as, db
    from onward.plugins.dataimport import assist

    admin = make_user("admin")
    with (app.app_context(), acting_as(db.session.get(User, admin)),
          pytest.raises(ValidationFailed) as refused):
        assist.create_rule({"target": "locations", "level": "record",
                            "kind": "dataimport_account_matches_case",
                            "options": {"limits": [1, float("nan")]}})
    assert refused.value.fields == {"options": [
        "$.limits[1] is a number no database stores: NaN, Infinity or a whole number past "
        "64 bits."]}
