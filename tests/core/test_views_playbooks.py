"""Playbook pages: definitions (list, view, load) and a running playbook walked by hand."""

import copy
import io
import json
import re

import pytest
from sqlalchemy import select

from onward.core.actor import SYSTEM, acting_as
from onward.core.db import db
from onward.core.playbooks import engine
from onward.core.playbooks.models import PlaybookInstance, PlaybookVersion
from onward.core.roles import save_role
from onward.core.views.playbook_pages import condition_text

from .test_views_csp import assert_csp_safe


def html(response) -> str:
    return response.get_data(as_text=True)


def field_errors(page: str, name: str) -> list[str]:
    """The error messages shown in the box of the field ``name`` (its input's name)."""
    for box in re.findall(r'<div class="field[^"]*">.*?</div>', page, re.DOTALL):
        if f'name="{name}"' in box:
            return re.findall(r'<p class="field-error">(.*?)</p>', box)
    raise AssertionError(f"no field {name}")


def make_role(app, name: str, rights: dict[str, str]) -> None:
    with app.app_context(), acting_as(SYSTEM):
        save_role(None, name=name, rights=rights)
        db.session.commit()


@pytest.fixture
def admin(login_as):
    return login_as("admin", email="root@example.com", name="Root")


@pytest.fixture
def started(app, exemplar, make_account):
    """A case with the exemplar playbook started; returns the instance id."""
    account = make_account("Acme")
    with app.app_context(), acting_as(SYSTEM):
        case = exemplar.ExemplarCase(account_id=account)
        db.session.add(case)
        db.session.flush()
        instance = engine.start(case, "exemplar_playbook")
        db.session.commit()
        return instance.id


def act(client, instance_id: int, key: str, action: str, **values):
    """POST an activity's form, its fields prefixed by the activity key like the page's."""
    data = {f"{key}-{name}": value for name, value in values.items()}
    return client.post(f"/playbooks/{instance_id}/activities/{key}/{action}", data=data)


def instance_state(app, instance_id: int) -> tuple[str, dict[str, str]]:
    with app.app_context():
        instance = db.session.get(PlaybookInstance, instance_id)
        return instance.status, {a.key: a.state for a in instance.activities}


# --- conditions in words ----------------------------------------------------------------


def test_conditions_read_as_words():
    assert condition_text({"field": "integration", "op": "ne", "value": "not_required"}) == (
        "integration is not not_required")
    assert condition_text({"field": "tier", "op": "in", "value": ["gold", "silver"]}) == (
        "tier is one of gold, silver")
    assert condition_text({"field": "notes", "op": "empty"}) == "notes is empty"
    combined = {"all": [
        {"field": "priority", "op": "lte", "value": 2},
        {"any": [{"field": "state", "op": "eq", "value": "New"},
                 {"not": {"field": "stage", "op": "not_empty"}}]},
    ]}
    assert condition_text(combined) == (
        "priority is at most 2 and (state is New or not (stage is not empty))")
    assert condition_text(None) == ""


# --- definitions ------------------------------------------------------------------------


def test_list_shows_the_newest_version_of_each_playbook(client, admin):
    page = html(client.get("/admin/playbooks"))
    assert "Exemplar playbook" in page and "version 1" in page and "plugin:exemplar" in page
    assert "1 playbooks" in page
    assert 'href="/admin/playbooks/exemplar_playbook"' in page
    assert "No matches" in html(client.get("/admin/playbooks?q=nothing-like-it"))
    assert "Exemplar playbook" in html(client.get("/admin/playbooks?q=EXEMPLAR&sort=-label"))
    assert client.get("/admin/playbooks?sort=checksum").status_code == 422


def test_view_reads_stage_by_stage(client, admin):
    response = client.get("/admin/playbooks/exemplar_playbook")
    assert response.status_code == 200
    page = html(response)
    for text in ("Set-up", "Build", "Finish", "Describe the case", "Write a note",
                 "integration is not not_required", "with previous", "optional",
                 "Depends on", "exemplar_editor", "version 1 (newest)"):
        assert text in page, text
    assert page.index("Set-up") < page.index("Build") < page.index("Finish")
    assert client.get("/admin/playbooks/exemplar_playbook?version=7").status_code == 404
    assert client.get("/admin/playbooks/no_such_playbook").status_code == 404


def definition(**changes) -> dict:
    """The exemplar playbook, changed."""
    import exemplar_plugin

    data = copy.deepcopy(exemplar_plugin.EXEMPLAR_PLAYBOOK)
    data.update(changes)
    return data


def test_loading_validates_stores_a_new_version_then_says_unchanged(app, client, admin):
    data = definition(label="Exemplar playbook, revised")
    activity = data["stages"][2]["activities"][0]
    activity["inputs"] = {"template": "wrap-up", "days": 3}
    activity["condition"] = {"all": [{"field": "priority", "op": "lte", "value": 2},
                                      {"field": "state", "op": "ne", "value": "Closed"}]}
    text = json.dumps(data, indent=2)

    assert client.get("/admin/playbooks/load").status_code == 200
    checked = client.post("/admin/playbooks/load", data={"text": text, "check": "1"})
    assert checked.status_code == 200
    assert "The definition is valid." in html(checked)
    with app.app_context():
        assert db.session.scalar(select(PlaybookVersion.version).where(
            PlaybookVersion.key == "exemplar_playbook").order_by(
            PlaybookVersion.version.desc())) == 1  # validating stores nothing

    stored = client.post("/admin/playbooks/load", data={"text": text, "store": "1"})
    assert stored.status_code == 302
    assert stored.location.endswith("/admin/playbooks/exemplar_playbook")
    page = html(client.get(stored.location))
    assert "Stored as version 2." in page
    assert "Exemplar playbook, revised" in page and "version 2 (newest)" in page
    assert "priority is at most 2 and state is not Closed" in page
    assert '<dt>template</dt><dd><code>"wrap-up"</code></dd>' in page
    assert "<dt>days</dt><dd><code>3</code></dd>" in page
    older = html(client.get("/admin/playbooks/exemplar_playbook?version=1"))
    assert "This is an older version." in older and "Exemplar playbook, revised" in older

    again = client.post("/admin/playbooks/load", data={"text": text, "store": "1"},
                        follow_redirects=True)
    assert "Unchanged: version 2 is the same." in html(again)
    assert "version 2" in html(client.get("/admin/playbooks"))


def test_loading_a_file(app, client, admin):
    upload = (io.BytesIO(json.dumps(definition(label="From a file")).encode()), "pb.json")
    response = client.post("/admin/playbooks/load", data={"file": upload, "store": "1"},
                           content_type="multipart/form-data", follow_redirects=True)
    assert "Stored as version 2." in html(response) and "From a file" in html(response)
    binary = (io.BytesIO(b"\xff\xfe\x00bad"), "pb.yaml")
    refused = client.post("/admin/playbooks/load", data={"file": binary, "check": "1"},
                          content_type="multipart/form-data")
    assert refused.status_code == 422 and "The file is not UTF-8 text." in html(refused)
    wrong = (io.BytesIO(b"key: x"), "pb.txt")
    refused = client.post("/admin/playbooks/load", data={"file": wrong, "check": "1"},
                          content_type="multipart/form-data")
    assert refused.status_code == 422 and "Choose a .json, .yaml or .yml file." in html(refused)


def test_bad_yaml_shows_where_and_keeps_the_text(client, admin):
    text = "key: broken\nstages: [unclosed\n"
    response = client.post("/admin/playbooks/load", data={"text": text, "check": "1"})
    assert response.status_code == 422
    page = html(response)
    assert "<code>$</code>" in page and "1 problem" in page
    assert "stages: [unclosed" in page  # still in the text area


def test_problems_are_listed_by_json_path(client, admin):
    data = definition()
    data["stages"][0]["activities"][0]["definition"] = "no_such_definition"
    data["stages"][1]["activities"][2]["depends_on"] = ["wrap_up"]
    text = json.dumps(data)
    response = client.post("/admin/playbooks/load", data={"text": text, "store": "1"})
    assert response.status_code == 422
    page = html(response)
    assert "2 problems" in page
    assert "<code>$.stages[0].activities[0].definition</code>" in page
    assert "No activity definition &#39;no_such_definition&#39; is installed." in page
    assert "<code>$.stages[1].activities[2].depends_on[0]</code>" in page
    assert "no_such_definition" in page.split("<textarea", 1)[1]  # the text is kept

    shape = client.post("/admin/playbooks/load", data={"text": "key: Bad Key\n", "check": "1"})
    assert shape.status_code == 422
    assert "<code>$.key</code>" in html(shape) and "<code>$.label</code>" in html(shape)


@pytest.mark.onward_config(MAX_CONTENT_LENGTH=2000)
def test_a_file_too_large_is_refused(client, admin):
    upload = (io.BytesIO(b"# " + b"x" * 4000), "big.yaml")
    response = client.post("/admin/playbooks/load", data={"file": upload, "check": "1"},
                           content_type="multipart/form-data")
    assert response.status_code == 413


def test_nothing_to_load_is_refused(client, admin):
    response = client.post("/admin/playbooks/load", data={"text": "  ", "check": "1"})
    assert response.status_code == 422
    assert "Choose a file or paste a definition." in html(response)


def test_reading_and_loading_need_their_rights(app, client, login_as):
    make_role(app, "playbook_reader", {"core_playbook_version": "r"})
    login_as("playbook_reader")
    assert client.get("/admin/playbooks").status_code == 200
    form = html(client.get("/admin/playbooks/load"))
    assert ">Validate</button>" in form and ">Load</button>" not in form
    text = json.dumps(definition(label="Not allowed"))
    load = "/admin/playbooks/load"
    assert client.post(load, data={"text": text, "check": "1"}).status_code == 200
    assert client.post(load, data={"text": text, "store": "1"}).status_code == 403
    login_as()  # no role at all
    assert client.get("/admin/playbooks").status_code == 403
    assert client.get("/admin/playbooks/exemplar_playbook").status_code == 403
    assert client.get("/admin/playbooks/load").status_code == 403


# --- a running playbook -----------------------------------------------------------------


def test_walk_the_exemplar_playbook(app, client, admin, started, exemplar):
    url = f"/playbooks/{started}"
    page = html(client.get(url))
    assert "Exemplar playbook" in page and "Exemplar case EXC" in page
    assert 'class="stage current selected"' in page and 'class="stage upcoming"' in page
    assert 'name="describe-short_description"' in page and 'name="describe-integration"' in page
    assert "Mark complete" in page and ">Skip</button>" not in page

    short = act(client, started, "describe", "complete", short_description="x")
    assert short.status_code == 422
    page = html(short)
    assert f'href="{url}?stage=build"' in page  # the stage links lead to the page, not here
    assert field_errors(page, "describe-short_description") == ["&#39;x&#39; is too short"]
    assert 'value="x"' in page  # what was typed is kept

    done = act(client, started, "describe", "complete", short_description="Onboard Acme",
               integration="not_required")
    assert done.status_code == 302 and done.location.endswith(f"{url}?stage=setup")
    assert "Describe is complete." in html(client.get(done.location))

    not_a_number = act(client, started, "triage", "complete", priority="high")
    assert not_a_number.status_code == 422
    assert field_errors(html(not_a_number), "triage-priority") == ["Not a valid integer value."]
    too_high = act(client, started, "triage", "complete", priority="9")
    assert too_high.status_code == 422
    page = html(too_high)
    assert '<div class="form-errors" role="alert"><p>Priority must be between 1 and 5.</p>' in page
    assert field_errors(page, "triage-priority") == ["Between 1 and 5."]
    assert 'value="9"' in page
    assert instance_state(app, started)[1]["triage"] == "in_progress"  # rolled back

    assert act(client, started, "triage", "complete", priority="2").status_code == 302
    build = html(client.get(f"{url}?stage=build"))
    assert "Skipped: its condition (integration is not not_required) does not hold." in build
    assert 'name="document-note"' in build and 'name="review-note"' not in build
    assert 'class="stage current selected"' in build and 'class="stage done"' in build

    saved = act(client, started, "document", "save", note="A first draft")
    assert saved.status_code == 302 and saved.location.endswith("?stage=build")
    assert 'value="A first draft"' in html(client.get(saved.location))
    assert act(client, started, "document", "complete").status_code == 302
    assert act(client, started, "review", "complete", note="Looks right").status_code == 302

    finish = html(client.get(url))
    assert "Wrap up" in finish and ">Skip</button>" in finish
    skipped = act(client, started, "wrap_up", "skip")
    assert skipped.status_code == 302
    assert "Wrap up is skipped." in html(client.get(skipped.location))

    status, states = instance_state(app, started)
    assert status == "complete"
    assert states == {"describe": "complete", "triage": "complete", "integrate": "skipped",
                      "document": "complete", "review": "complete", "wrap_up": "skipped"}
    with app.app_context():
        case = db.session.scalars(select(exemplar.ExemplarCase)).one()
        assert (case.short_description, case.priority) == ("Onboard Acme", 2)

    page = html(client.get(f"{url}?stage=setup"))
    assert "Mark complete" not in page
    assert "Onboard Acme" in page  # finished activities show their input
    log = page.split("Activity log", 1)[1]
    steps = ["Playbook completed", "Activity skipped", "Activity saved", "Playbook started"]
    positions = [log.index(step) for step in steps]
    assert positions == sorted(positions)  # newest first
    assert log.count("Activity completed") == 4 and log.count("Stage started") == 3
    assert "Root" in log and "A first draft" in log


def test_refusals_of_the_engine_show_on_the_page(client, admin, started):
    not_optional = act(client, started, "describe", "skip")
    assert not_optional.status_code == 422
    assert "&#39;Describe&#39; is not optional; complete it instead." in html(not_optional)
    not_started = act(client, started, "triage", "complete", priority="1")
    assert not_started.status_code == 422
    assert ("&#39;Triage&#39; is pending; only an activity in progress can be completed."
            in html(not_started))
    assert act(client, started, "describe", "finish").status_code == 404
    assert act(client, started, "nothing", "save").status_code == 404


def test_next_leads_back_to_an_embedding_page(client, admin, started):
    data = {"describe-short_description": "Embedded", "next": "/exemplar/things"}
    response = client.post(f"/playbooks/{started}/activities/describe/save", data=data)
    assert response.location.endswith("/exemplar/things?stage=setup")
    data["next"] = "https://elsewhere.example/"
    response = client.post(f"/playbooks/{started}/activities/describe/save", data=data)
    assert response.location == "/?stage=setup"  # never off the site


def test_a_reader_may_follow_but_not_act(app, client, login_as, started):
    make_role(app, "case_reader", {"exemplar_case": "r"})
    login_as("case_reader")
    page = html(client.get(f"/playbooks/{started}"))
    assert "You may follow this playbook but not change it." in page
    assert "Mark complete" not in page
    refused = act(client, started, "describe", "complete", short_description="Not mine")
    assert refused.status_code == 403
    assert instance_state(app, started)[1]["describe"] == "in_progress"


def test_another_domain_sees_nothing(client, login_as, make_domain, started):
    login_as("admin", domain=make_domain("elsewhere"))
    assert client.get(f"/playbooks/{started}").status_code == 404
    assert act(client, started, "describe", "save", short_description="Hidden").status_code == 404
    assert client.get("/playbooks/999999").status_code == 404


def test_playbook_pages_are_csp_safe(client, admin, started):
    text = json.dumps(definition())
    act(client, started, "describe", "complete", short_description="Onboard Acme")
    for url in ("/admin/playbooks", "/admin/playbooks/exemplar_playbook",
                "/admin/playbooks/load", f"/playbooks/{started}",
                f"/playbooks/{started}?stage=build"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert_csp_safe(html(response), url)
    for url, data in {
        "/admin/playbooks/load": {"text": text.replace("exemplar_note", "x"), "check": "1"},
        f"/playbooks/{started}/activities/triage/complete": {"triage-priority": "9"},
    }.items():
        response = client.post(url, data=data)
        assert response.status_code == 422, url
        assert_csp_safe(html(response), f"POST {url}")
