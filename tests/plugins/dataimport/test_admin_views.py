"""The import builder's pages: the wizard step by step, the source page, admins only."""

import io
import re

import pytest
from csp_check import assert_csp_safe
from sqlalchemy import select

from onward import db
from onward.plugins.dataimport.models import DataSource

from .workbooks import openpyxl_workbook


def html(response) -> str:
    return response.get_data(as_text=True)


def csrf_token(page: str) -> str:
    tag = re.search(r'<input[^>]*name="csrf_token"[^>]*>', page).group(0)
    return re.search(r'value="([^"]+)"', tag).group(1)


def hidden(page: str, name: str) -> str:
    tag = re.search(rf'<input[^>]*name="{re.escape(name)}"[^>]*>', page).group(0)
    return re.search(r'value="([^"]*)"', tag).group(1).replace("&#34;", '"').replace(
        "&quot;", '"')


@pytest.fixture
def template_bytes(tmp_path):
    def make(header):
        path = openpyxl_workbook(tmp_path / "sites.xlsx", {"Sites": [header]})
        return path.read_bytes()

    return make


def step_one(client, content: bytes, name="EMEA sites", target="locations"):
    token = csrf_token(html(client.get("/admin/imports/new")))
    return client.post("/admin/imports/new", data={
        "csrf_token": token, "name": name, "target": target,
        "file": (io.BytesIO(content), "sites.xlsx")}, content_type="multipart/form-data")


def step_two_data(page: str, choices: dict[str, str], **changes) -> dict[str, str]:
    data = {"csrf_token": csrf_token(page)}
    for name in ("name", "staging_name", "target", "template_name", "headers"):
        data[name] = hidden(page, name)
    index = 0
    while f'name="map-{index}-column"' in page:
        column = hidden(page, f"map-{index}-column")
        data[f"map-{index}-column"] = column
        selected = re.search(rf'<select[^>]*name="map-{index}-field".*?</select>', page, re.S)
        chosen = re.search(r'<option selected value="([^"]*)"', selected.group(0)) or \
            re.search(r'<option value="([^"]*)" selected', selected.group(0))
        data[f"map-{index}-field"] = choices.get(column, chosen.group(1) if chosen else "?")
        index += 1
    return {**data, **changes}


@pytest.mark.onward_config(WTF_CSRF_ENABLED=True)
def test_the_wizard_builds_a_source_step_by_step(app, client, login_as, template_bytes):
    login_as("admin")
    first = step_one(client, template_bytes(["Name", "Cty", "Notes", "Country"]))
    page = html(first)
    assert first.status_code == 200, page
    assert_csp_safe(page, "step 2")
    assert "2 columns match no field" in page and "<strong>Cty</strong> (closest: City" in page
    assert "City (suggested)" in page and "— leave out —" in page

    # an unsettled column keeps the source from being made, and says so
    refused = client.post("/admin/imports/new/map", data=step_two_data(page, {}))
    assert refused.status_code == 422
    assert "Column &#39;Cty&#39; matches no field" in html(refused)

    done = client.post("/admin/imports/new/map", data=step_two_data(
        page, {"Cty": "city", "Notes": ""}, staging_name="ALE_DS_emea"))
    assert done.status_code == 302 and done.location.endswith("/transforms?step=3")
    with app.app_context():
        source = db.session.scalar(select(DataSource))
        assert (source.name, source.staging_name, source.template_name) == (
            "EMEA sites", "ALE_DS_emea", "sites.xlsx")
        assert [(c["column"], c["field"]) for c in source.columns] == [
            ("Name", "name"), ("Cty", "city"), ("Notes", None), ("Country", "country")]
        source_id = source.id

    # step 3: the transform map, with the data source just made
    third = html(client.get(done.location))
    assert_csp_safe(third, "step 3")
    assert "Data source EMEA sites created" in third and "ALE_DS_emea" in third
    sent = client.post(done.location, data={
        "csrf_token": csrf_token(third),
        "map-0-column": "Name", "map-0-field": "name", "map-0-transforms": ["trim", "upper"],
        "map-1-column": "Cty", "map-1-field": "city", "map-1-transforms": ["trim"],
        "map-2-column": "Notes", "map-2-field": "",
        "map-3-column": "Country", "map-3-field": "country"})
    assert sent.status_code == 302 and sent.location.endswith("/validations?step=4")
    with app.app_context():
        assert db.session.get(DataSource, source_id).columns[0]["transforms"] == ["trim", "upper"]

    # step 4: the transform map made, the validation list, the way to a new rule
    fourth = html(client.get(sent.location))
    assert_csp_safe(fourth, "step 4")
    assert "Transform map" in fourth and "trim, upper" in fourth and "left out" in fourth
    assert "Validation list" in fourth and "/admin/imports/rules/new?target=locations" in fourth

    # step 5: the activity definition to copy
    fifth = html(client.get(f"/admin/imports/{source_id}/activity?step=5"))
    assert_csp_safe(fifth, "step 5")
    snippet = re.search(r'<pre id="activity-yaml">(.*?)</pre>', fifth, re.S).group(1)
    assert "definition: task" in snippet and "import_target: locations" in snippet
    assert "data_source: EMEA sites" in snippet

    # the source page shows every result; the list finds it
    whole = html(client.get(f"/admin/imports/{source_id}"))
    assert_csp_safe(whole, "source page")
    for part in ("Data source", "Transform map", "Validation list", "Activity definition"):
        assert part in whole
    listed = html(client.get("/admin/imports/?q=emea&sort=-created_at"))
    assert_csp_safe(listed, "sources")
    assert "EMEA sites" in listed and "1 data sources" in listed


def test_a_bad_template_is_refused_with_the_readers_message(client, login_as):
    login_as("admin")
    response = step_one(client, b"name,city\n")
    assert response.status_code == 422
    assert "field-error" in html(response)


def test_a_taken_name_is_refused_at_the_first_step(app, client, login_as, template_bytes):
    login_as("admin")
    page = html(step_one(client, template_bytes(["Name", "City"])))
    assert client.post("/admin/imports/new/map",
                       data=step_two_data(page, {})).status_code == 302
    again = step_one(client, template_bytes(["Name", "City"]))
    assert again.status_code == 409 and "This name is taken." in html(again)


def test_a_lost_header_list_starts_again(client, login_as):
    login_as("admin")
    response = client.post("/admin/imports/new/map", data={"headers": "not json",
                                                            "target": "locations"})
    assert response.status_code == 302 and response.location.endswith("/admin/imports/new")
    response = client.post("/admin/imports/new/map", data={"headers": '["Name"]',
                                                            "target": "planets"})
    assert response.status_code == 302 and response.location.endswith("/admin/imports/new")


def test_deleting_a_source(app, client, login_as, template_bytes):
    login_as("admin")
    page = html(step_one(client, template_bytes(["Name", "City"])))
    client.post("/admin/imports/new/map", data=step_two_data(page, {}))
    with app.app_context():
        source_id = db.session.scalar(select(DataSource.id))
    response = client.post(f"/admin/imports/{source_id}/delete")
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(DataSource, source_id) is None


@pytest.mark.parametrize("roles", [("onboarding_agent",), ("dataimport_agent",)])
def test_non_admins_are_refused(client, login_as, roles):
    login_as(*roles)
    for url in ("/admin/imports/", "/admin/imports/new", "/admin/imports/rules",
                "/admin/imports/rules/new?target=locations"):
        assert client.get(url).status_code == 403, url


def test_customers_are_refused(client, login_as, account):
    login_as("customer", account=account)
    assert client.get("/admin/imports/").status_code == 403


def test_the_navigation_shows_imports_to_admins_only(client, login_as):
    login_as("admin")
    assert 'href="/admin/imports/"' in html(client.get("/"))
    login_as("onboarding_agent")
    assert 'href="/admin/imports/"' not in html(client.get("/"))


def test_another_domains_source_is_not_found(app, client, login_as, make_domain,
                                             template_bytes):
    login_as("admin")
    page = html(step_one(client, template_bytes(["Name", "City"])))
    client.post("/admin/imports/new/map", data=step_two_data(page, {}))
    with app.app_context():
        source_id = db.session.scalar(select(DataSource.id))
    login_as("admin", domain=make_domain("elsewhere"))
    assert client.get(f"/admin/imports/{source_id}").status_code == 404
