"""Guided onboarding cases through the API: every action, and who may do what."""

import io

import pytest

pytestmark = pytest.mark.onward_config(ONBOARDING_AUTO_CASE=False)
CASES = "/api/v1/onboarding/guided-cases"
DOCUMENTS = "/api/v1/onboarding/guided-documents"


@pytest.fixture
def home(make_account):
    return make_account("Genixify")


@pytest.fixture
def customer(make_user, home):
    return make_user("customer", account=home, name="Ada", email="ada@genixify.example")


@pytest.fixture
def me(make_user):
    return make_user("onboarding_agent")


@pytest.fixture
def headers(api_headers, me, customer):
    """API headers of the agent and of the customer."""
    return {"agent": api_headers(me), "customer": api_headers(customer)}


def post(client, path, headers, **kwargs):
    response = client.post(path, headers=headers, **kwargs)
    assert response.status_code in (200, 201), response.json
    return response.json


def upload(client, case_id, headers, kind="identity", body=b"%PDF-1.4", name="scan.pdf",
           content_type="application/pdf"):
    return client.post(f"{CASES}/{case_id}/documents", headers=headers,
                       data={"kind": kind, "file": (io.BytesIO(body), name, content_type)},
                       content_type="multipart/form-data")


def test_an_agent_takes_a_case_from_draft_to_closed(client, me, customer, headers):
    agent, cust = headers["agent"], headers["customer"]
    case = post(client, CASES, agent, json={"contact_id": customer, "channel": "phone",
                                            "short_description": "Joint account"})
    case_id = case["id"]
    assert case["state"] == "Draft" and case["number"].startswith("GONB")
    assert case["customer_email"] == "ada@genixify.example"
    listed = client.get(CASES, headers=agent, query_string={"state": "Draft", "q": "joint"})
    assert [c["id"] for c in listed.json["items"]] == [case_id]
    assert client.get(CASES, headers=agent, query_string={"state": "Open"}).json["items"] == []
    member = post(client, f"{CASES}/{case_id}/members", agent,
                  json={"name": "Bob", "relation": "co-applicant"})
    assert member["case_id"] == case_id
    assert client.get(f"{CASES}/{case_id}/members", headers=agent).json == [member]
    identity = upload(client, case_id, agent)
    assert identity.status_code == 201, identity.json
    assert identity.json["status"] == "received" and identity.json["size"] == 8
    assert "content" not in identity.json
    download = client.get(f"{DOCUMENTS}/{identity.json['id']}/file", headers=agent)
    assert download.data == b"%PDF-1.4" and download.mimetype == "application/pdf"
    assert download.headers["Content-Disposition"] == "attachment; filename=scan.pdf"
    address = upload(client, case_id, agent, "proof_of_address").json
    assert [d["id"] for d in client.get(f"{CASES}/{case_id}/documents",
                                        headers=agent).json] == [identity.json["id"],
                                                                 address["id"]]
    assert post(client, f"{CASES}/{case_id}/submit", agent)["state"] == "New"
    opened = post(client, f"{CASES}/{case_id}/assign", agent, json={"assignee_id": me})
    assert (opened["state"], opened["assigned_to_id"], opened["step"]) == ("Open", me, 1)
    for _ in range(3):
        post(client, f"{CASES}/{case_id}/forward", agent, json={"note": "ok"})
    client.patch(f"{CASES}/{case_id}", headers=agent, json={"approval_status": "approved"})
    post(client, f"{CASES}/{case_id}/forward", agent, json={})
    invalid = post(client, f"{DOCUMENTS}/{address['id']}/invalid", agent,
                   json={"note": "Too old"})
    assert (invalid["status"], invalid["note"]) == ("invalid", "Too old")
    checklist = post(client, f"{CASES}/{case_id}/checklist", agent)
    assert [(i["kind"], i["status"]) for i in checklist["items"]] == [
        ("identity", "received"), ("proof_of_address", "invalid")]
    for document in (identity.json["id"], address["id"]):
        assert post(client, f"{DOCUMENTS}/{document}/valid", agent)["status"] == "valid"
    for _ in range(4):
        post(client, f"{CASES}/{case_id}/forward", agent, json={})
    progress = client.get(f"{CASES}/{case_id}/progress", headers=cust).json
    assert (progress["step"], progress["total"], progress["remaining"]) == (9, 9, [])
    proposed = post(client, f"{CASES}/{case_id}/propose", agent, json={"solution": "Plan A"})
    assert proposed["state"] == "Solution proposed"
    rejected = post(client, f"{CASES}/{case_id}/customer-reject", cust,
                    json={"reason": "Too dear"})
    assert rejected["state"] == "Open" and rejected["rejection_reason"] == "Too dear"
    assert "assigned_to_id" not in rejected  # customers read only their fields
    post(client, f"{CASES}/{case_id}/propose", agent, json={"solution": "Plan B"})
    assert post(client, f"{CASES}/{case_id}/customer-accept", cust)["state"] == "Closed"


def test_offering_a_case_to_another_agent(client, make_user, api_headers, customer,
                                          new_guided_case, headers):
    other = make_user("onboarding_agent", name="Other")
    case_id = new_guided_case(customer, state="New")
    offered = post(client, f"{CASES}/{case_id}/assign", headers["agent"],
                   json={"assignee_id": other})
    assert (offered["state"], offered["pending_assignee_id"]) == ("New", other)
    refused = client.post(f"{CASES}/{case_id}/accept", headers=headers["agent"])
    assert refused.status_code == 403
    assert refused.json["error"]["message"].startswith("Only Other, to whom")
    accepted = post(client, f"{CASES}/{case_id}/accept", api_headers(other))
    assert (accepted["state"], accepted["assigned_to_id"]) == ("Open", other)
    unknown = client.post(f"{CASES}/{case_id}/assign", headers=headers["agent"],
                          json={"assignee_id": 99999})
    assert unknown.status_code == 422 and "assignee_id" in unknown.json["error"]["fields"]


@pytest.mark.parametrize(("state", "step", "path", "body", "status", "message"), [
    ("Open", 5, "propose", {"solution": "x"}, 422, "Finish the processing steps first"),
    ("Draft", 1, "assign", None, 409, "assign it only when it is New"),
    ("New", 1, "forward", {}, 409, "move it on only when it is Open"),
    ("Open", 1, "back", None, 409, "at its first step already"),
    ("Open", 9, "customer-accept", None, 409, "answer its solution only when"),
    ("Open", 2, "forward", {}, 422, "Upload the documents"),
])
def test_invalid_transitions_are_refused_with_a_message(client, me, customer, new_guided_case,
                                                        headers, state, step, path, body,
                                                        status, message):
    case_id = new_guided_case(customer, state=state, step=step)
    who = "customer" if path.startswith("customer") else "agent"
    body = {"assignee_id": me} if path == "assign" else body
    response = client.post(f"{CASES}/{case_id}/{path}", headers=headers[who], json=body)
    assert response.status_code == status
    assert message in response.json["error"]["message"]


def test_the_state_and_solution_are_not_edited_directly(client, customer, new_guided_case,
                                                        headers):
    case_id = new_guided_case(customer, state="Solution proposed", step=9)
    for field, value in (("state", "Closed"), ("solution", "mine"), ("step", 1)):
        response = client.patch(f"{CASES}/{case_id}", headers=headers["agent"],
                                json={field: value})
        assert response.status_code == 422 and field in response.json["error"]["fields"]
    assert client.get(f"{CASES}/{case_id}", headers=headers["agent"]).json["state"] == (
        "Solution proposed")


@pytest.mark.onward_config(ONBOARDING_GUIDED_MAX_DOCUMENT_BYTES=4)
def test_uploads_are_refused_clearly(client, customer, new_guided_case, headers):
    case_id = new_guided_case(customer)
    too_big = upload(client, case_id, headers["agent"])
    assert too_big.status_code == 422 and "larger than" in too_big.json["error"]["message"]
    html = upload(client, case_id, headers["agent"], body=b"<p>", content_type="text/html")
    assert html.status_code == 422 and "text/html" in html.json["error"]["message"]
    no_file = client.post(f"{CASES}/{case_id}/documents", headers=headers["agent"],
                          data={"kind": "identity"}, content_type="multipart/form-data")
    assert no_file.status_code == 422 and "file" in no_file.json["error"]["fields"]
    bad_kind = upload(client, case_id, headers["agent"], kind="passport", body=b"ab")
    assert bad_kind.status_code == 422 and "kind" in bad_kind.json["error"]["fields"]


def test_who_may_do_what(client, make_user, make_account, make_domain, api_headers, customer,
                         home, new_guided_case, headers):
    """Agent: everything; customer: reads its own case and answers; others: nothing."""
    agent, cust = headers["agent"], headers["customer"]
    case_id = new_guided_case(customer, state="Open", step=9)
    document = upload(client, case_id, agent).json["id"]
    colleague = api_headers(make_user("customer", account=home))
    stranger_account = make_account("Elsewhere")
    far = api_headers(make_user("customer", account=stranger_account))
    far_case = new_guided_case(make_user("customer", account=stranger_account))
    other_domain = api_headers(make_user("onboarding_agent", domain=make_domain("Tenant B")))

    own = client.get(f"{CASES}/{case_id}", headers=cust)
    assert own.status_code == 200
    assert set(own.json) == {"id", "number", "short_description", "account_id", "contact_id",
                             "state", "step", "customer_name", "solution",
                             "rejection_reason", "created_at", "updated_at"}
    assert [c["id"] for c in client.get(CASES, headers=cust).json["items"]] == [case_id]
    assert client.get(f"{CASES}/{case_id}/progress", headers=cust).status_code == 200
    for path, body in (("submit", None), ("forward", {}), ("propose", {"solution": "x"}),
                       ("checklist", None)):
        assert client.post(f"{CASES}/{case_id}/{path}", headers=cust,
                           json=body).status_code == 403, path
    assert client.patch(f"{CASES}/{case_id}", headers=cust,
                        json={"description": "x"}).status_code == 403
    assert client.post(CASES, headers=cust, json={"contact_id": customer}).status_code == 403
    assert client.get(f"{CASES}/{case_id}/members", headers=cust).status_code == 403
    assert client.post(f"{DOCUMENTS}/{document}/valid", headers=cust).status_code == 403
    assert client.get(f"{DOCUMENTS}/{document}/file", headers=cust).status_code == 403
    assert client.post(f"{CASES}/{case_id}/back", headers=cust).status_code == 200

    for outsider in (colleague, far, other_domain):
        assert client.get(f"{CASES}/{case_id}", headers=outsider).status_code == 404
        assert client.post(f"{CASES}/{case_id}/back", headers=outsider).status_code == 404
    assert client.get(f"{CASES}/{far_case}", headers=cust).status_code == 404
    assert client.get(f"{CASES}/{far_case}", headers=agent).status_code == 200
    for path in (f"{CASES}/{case_id}/members", f"{CASES}/{case_id}/documents"):
        assert client.get(path, headers=other_domain).status_code == 404
    for document_path in (f"{DOCUMENTS}/{document}/valid", f"{DOCUMENTS}/{document}/file"):
        method = client.post if document_path.endswith("valid") else client.get
        assert method(document_path, headers=other_domain).status_code == 404
    assert client.get(f"{CASES}/{case_id}", headers=agent).status_code == 200



def test_every_guided_endpoint_is_documented(client):
    spec = client.get("/api/openapi.json").json
    operations = {(path, method): operation for path, item in spec["paths"].items()
                  for method, operation in item.items()
                  if "guided" in path and method != "parameters"}
    assert len(operations) == 21
    for where, operation in operations.items():
        assert operation["summary"] and "401" in operation["responses"], where
        assert any(code.startswith("2") for code in operation["responses"]), where
    upload = operations[(f"{CASES}/{{record_id}}/documents", "post")]["requestBody"]
    schema = upload["content"]["multipart/form-data"]["schema"]["$ref"].rsplit("/", 1)[-1]
    assert set(spec["components"]["schemas"][schema]["properties"]) == {"kind", "file"}
