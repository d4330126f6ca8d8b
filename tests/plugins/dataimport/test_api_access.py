"""Who reaches what in the data import API.

An onboarding agent of the domain does everything but the admins' writes (covered in
test_api.py); the customer contact of a visible task reads its import, uploads and imports
files, fixes rows and validates them, but does not publish, restart, undo or delete files;
everybody else — a customer of
the same account who is not the contact, a customer of another account, any user of
another domain — gets 404 for the import, its files, rows and batches.
"""

from dataclasses import dataclass

import pytest
from sqlalchemy import select

from onward import SYSTEM, acting_as, db
from onward.plugins.dataimport.models import (
    DataImport,
    ImportFile,
    PublishBatch,
    StagingRow,
    ValidationRule,
)

from .api_helpers import API, locations_xlsx, make_task, staged_import, upload


@dataclass
class World:
    """An import of a visible task of Genixify, with rows, a file, a batch and a rule."""

    import_id: int
    task_id: int
    file_id: int
    row_id: int
    batch_id: int
    rule_id: int


@pytest.fixture
def contact(make_user, account):
    """The customer contact of the import task."""
    return make_user("customer", account=account)


@pytest.fixture
def world(app, account, contact, tmp_path) -> World:
    task_id = make_task(app, account, contact=contact)
    import_id = staged_import(app, task_id, tmp_path)
    with app.app_context(), acting_as(SYSTEM):
        batch = PublishBatch(import_id=import_id)
        rule = ValidationRule(target="locations", kind="boolean", field="city",
                              domain_id=db.session.get(DataImport, import_id).domain_id)
        db.session.add_all([batch, rule])
        db.session.commit()
        return World(import_id, task_id,
                     db.session.scalar(select(ImportFile.id).where(
                         ImportFile.import_id == import_id)),
                     db.session.scalar(select(StagingRow.id).where(
                         StagingRow.import_id == import_id)), batch.id, rule.id)


def requests(world: World, tmp_path):
    """Every endpoint of one import, as (method, url, keyword arguments)."""
    at = f"{API}/imports/{world.import_id}"
    return [
        ("get", at, {}),
        ("get", f"{at}/files", {}),
        ("delete", f"{at}/files/{world.file_id}", {}),
        ("get", f"{at}/rows", {}),
        ("patch", f"{at}/rows/{world.row_id}", {"json": {"values": {"city": "Nowhere"}}}),
        ("get", f"{at}/batches", {}),
        ("post", f"{API}/batches/{world.batch_id}/undo", {}),
        ("post", f"{at}/import", {"json": {}}),
        ("post", f"{at}/validate", {}),
        ("post", f"{at}/publish", {"json": {}}),
        ("post", f"{at}/restart", {"json": {"confirm": True}}),
    ]


def call(client, headers, method, url, kwargs):
    return getattr(client, method)(url, headers=headers, **kwargs)


@pytest.fixture
def outsiders(make_user, make_account, make_domain, account):
    """Users who must not see Genixify's import, by what they are."""
    return {
        "customer of the account, not the contact": make_user("customer", account=account),
        "customer of another account": make_user("customer", account=make_account("Other")),
        "agent of another domain": make_user("onboarding_agent", domain=make_domain()),
        "admin of another domain": make_user("admin", domain=make_domain()),
    }


def test_outsiders_get_404_for_the_import_and_everything_in_it(app, client, api_headers, world,
                                                               outsiders, tmp_path):
    path = locations_xlsx(tmp_path, name="sneaky.xlsx")
    for who, user_id in outsiders.items():
        headers = api_headers(user_id)
        for method, url, kwargs in requests(world, tmp_path):
            response = call(client, headers, method, url, kwargs)
            assert response.status_code == 404, (who, method, url, response.json)
        assert upload(client, headers, world.import_id, path).status_code == 404, who
        listed = client.get(f"{API}/imports", headers=headers).json["items"]
        assert world.import_id not in [item["id"] for item in listed], who
    with app.app_context():
        assert db.session.scalar(select(ImportFile.id).where(
            ImportFile.name == "sneaky.xlsx")) is None
        values = db.session.scalars(select(StagingRow.values)).all()
        assert all(value.get("city") != "Nowhere" for value in values)


def test_a_user_of_another_domain_sees_neither_rules_nor_tasks(client, api_headers, make_user,
                                                               make_domain, world):
    domain = make_domain()
    for role in ("admin", "onboarding_agent"):
        headers = api_headers(make_user(role, domain=domain))
        assert client.get(f"{API}/rules/{world.rule_id}", headers=headers).status_code == 404
        listed = client.get(f"{API}/rules", headers=headers).json["items"]
        assert world.rule_id not in [item["id"] for item in listed]
        created = client.post(f"{API}/imports", headers=headers,
                              json={"task_id": world.task_id, "target": "locations"})
        assert created.status_code == 422 and "task_id" in created.json["error"]["fields"]
    admin = api_headers(make_user("admin", domain=domain))
    assert client.patch(f"{API}/rules/{world.rule_id}", headers=admin,
                        json={"active": False}).status_code == 404
    assert client.delete(f"{API}/rules/{world.rule_id}", headers=admin).status_code == 404


def test_the_contact_uploads_imports_fixes_and_validates_but_does_not_publish(
        app, client, api_headers, account, contact, world, tmp_path):
    headers = api_headers(contact)
    at = f"{API}/imports/{world.import_id}"
    shown = client.get(at, headers=headers)
    assert shown.status_code == 200
    assert set(shown.json) == {"id", "task_id", "target", "state", "account_id", "counts",
                               "files", "latest_batch", "job_run_id"}
    assert shown.json["counts"]["needs_attention"] == 1
    assert shown.json["latest_batch"] is None  # batches are for staff
    assert [item["id"] for item in client.get(f"{API}/imports", headers=headers)
            .json["items"]] == [world.import_id]
    assert client.get(f"{at}/files", headers=headers).status_code == 200
    rows = client.get(f"{at}/rows", headers=headers)
    assert rows.status_code == 200 and rows.json["meta"]["total"] == 3
    assert set(rows.json["items"][0]) == {"id", "import_id", "file_id", "row_number", "values",
                                          "status", "problems"}
    uploaded = upload(client, headers, world.import_id, locations_xlsx(tmp_path))
    assert uploaded.status_code == 201, uploaded.json
    publishing = client.post(f"{at}/import", headers=headers, json={"publish": True})
    assert publishing.status_code == 403  # staff publish
    imported = client.post(f"{at}/import", headers=headers, json={})
    assert imported.status_code == 202
    with app.app_context():
        assert db.session.scalar(select(ImportFile.state).where(
            ImportFile.id == uploaded.json[0]["id"])) == "imported"
    fixed = client.patch(f"{at}/rows/{world.row_id}", headers=headers,
                         json={"values": {"city": "Reno"}})
    assert fixed.status_code == 200 and fixed.json["status"] == "yet_to_validate"
    assert client.post(f"{at}/validate", headers=headers).status_code == 202
    assert client.get(at, headers=headers).json["counts"]["yet_to_validate"] == 0
    for method, url, kwargs in requests(world, tmp_path):
        if method != "get" and not url.endswith(("/rows/" + str(world.row_id), "/import",
                                                 "/validate")):
            response = call(client, headers, method, url, kwargs)
            assert response.status_code == 403, (method, url, response.json)
    assert client.get(f"{at}/batches", headers=headers).status_code == 403
    assert client.get(f"{API}/rules", headers=headers).status_code == 403
    assert client.get(f"{API}/validators", headers=headers).status_code == 403
    assert client.get(f"{API}/targets", headers=headers).status_code == 200
    assert client.post(f"{API}/rules", headers=headers, json={
        "target": "locations", "kind": "boolean", "field": "city"}).status_code == 403
    new_task = make_task(app, account, contact=contact)
    created = client.post(f"{API}/imports", headers=headers,
                          json={"task_id": new_task, "target": "locations"})
    assert created.status_code == 403
    with app.app_context():
        assert db.session.scalar(select(StagingRow.status).where(
            StagingRow.status == "published")) is None


def test_the_contact_of_a_task_not_visible_to_customers_sees_nothing(app, client, api_headers,
                                                                     account, make_user,
                                                                     tmp_path):
    contact = make_user("customer", account=account)
    import_id = staged_import(app, make_task(app, account, contact=contact, visible=False),
                              tmp_path)
    headers = api_headers(contact)
    assert client.get(f"{API}/imports/{import_id}", headers=headers).status_code == 404
    assert client.get(f"{API}/imports/{import_id}/rows", headers=headers).status_code == 404


def test_a_customer_never_sees_another_accounts_staging_rows(app, client, api_headers,
                                                             make_account, make_user, world,
                                                             tmp_path):
    other_account = make_account("Other")
    other = make_user("customer", account=other_account)
    own_import = staged_import(app, make_task(app, other_account, contact=other), tmp_path)
    headers = api_headers(other)
    listed = client.get(f"{API}/imports", headers=headers).json["items"]
    assert [item["id"] for item in listed] == [own_import]
    rows = client.get(f"{API}/imports/{own_import}/rows", headers=headers).json["items"]
    assert {row["import_id"] for row in rows} == {own_import} and len(rows) == 3
    assert client.patch(f"{API}/imports/{own_import}/rows/{world.row_id}", headers=headers,
                        json={"values": {"city": "X"}}).status_code == 404


def test_an_agent_of_the_domain_reaches_every_endpoint(client, api_headers, make_user, world,
                                                       tmp_path):
    headers = api_headers(make_user("onboarding_agent"))
    path = locations_xlsx(tmp_path, name="more.xlsx")
    assert upload(client, headers, world.import_id, path).status_code == 201
    for method, url, kwargs in requests(world, tmp_path):
        response = call(client, headers, method, url, kwargs)
        # an imported file stays (409); nothing is refused for want of rights
        assert response.status_code in (200, 202, 204, 409), (method, url, response.json)
        assert response.status_code != 409 or url.endswith(f"/files/{world.file_id}")
    assert client.get(f"{API}/rules/{world.rule_id}", headers=headers).status_code == 200
