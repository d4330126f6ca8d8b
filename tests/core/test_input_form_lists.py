"""Array inputs of activity forms: typed as text, one item per line."""

from werkzeug.datastructures import MultiDict

from onward.core.views.forms import input_data, input_form

SCHEMA = {
    "type": "object",
    "properties": {
        "people": {"type": "array", "items": {"type": "object", "properties": {
            "name": {"type": "string"},
            "age": {"type": "integer"},
            "roles": {"type": "array", "items": {"enum": ["dev", "ops"]}},
        }}},
        "ids": {"type": "array", "items": {"type": "integer"}},
        "nested": {"type": "array", "items": {"type": "object", "properties": {
            "deep": {"type": "object"}}}},
    },
}


def _submit(app, **values):
    with app.test_request_context(method="POST"):
        form = input_form(SCHEMA, prefix="a", formdata=MultiDict(
            {f"a-{name}": value for name, value in values.items()}))
        return form.validate(), form, input_data(form)


def test_lines_become_items_in_the_schemas_types(app):
    valid, form, data = _submit(app, people="Ada, 36, dev; ops\n\n  Bo  ,, \n", ids="3\n4")
    assert valid, form.errors
    assert data == {"people": [{"name": "Ada", "age": 36, "roles": ["dev", "ops"]},
                               {"name": "Bo", "roles": []}],
                    "ids": [3, 4]}


def test_a_value_of_the_wrong_type_is_left_for_the_schema_check(app):
    assert _submit(app, ids="three")[2] == {"ids": ["three"]}


def test_too_many_values_on_a_line_are_refused_with_the_format(app):
    valid, form, _data = _submit(app, people="Ada, 36, dev, extra")
    assert not valid
    assert form.errors["people"] == [
        "Line 1 has 4 values; One per line: name, age, roles (several separated by ';')."]


def test_empty_lists_are_left_out_and_unsupported_arrays_get_no_field(app):
    valid, form, data = _submit(app, people="  \n", ids="")
    assert valid and data == {}
    assert form.input_names == ("people", "ids")


def test_the_input_so_far_is_shown_as_lines_with_a_hint(app):
    with app.test_request_context():
        form = input_form(SCHEMA, prefix="a", data={
            "people": [{"name": "Ada", "age": 36, "roles": ["dev", "ops"]}, {"name": "Bo"}],
            "ids": [3, 4]})
        assert form.people._value() == "Ada, 36, dev; ops\nBo"
        assert form.ids._value() == "3\n4"
        assert "name, age, roles" in form.people.description
        assert 'name="a-people"' in form.people()
