"""Import targets: fields described from the model, and the checks at start-up."""

import datetime as dt

import pytest
from exemplar_plugin import ExemplarThing
from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Integer,
    Numeric,
    SmallInteger,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from onward import (
    ImportField,
    ImportReference,
    ImportTarget,
    StartupError,
    User,
    create_app,
    db,
    describe_fields,
)

from .plugin_helpers import plugin


class ImportedGadget(db.Model):
    __tablename__ = "imported_gadget"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40))
    notes: Mapped[str] = mapped_column(Text, default="")
    price: Mapped[float | None] = mapped_column(Numeric(10, 2))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    bought: Mapped[dt.date | None] = mapped_column(Date)
    size: Mapped[str] = mapped_column(String(1), default="m")
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id"))
    stock: Mapped[int | None] = mapped_column(Integer)
    shelf: Mapped[int | None] = mapped_column(SmallInteger)
    serial: Mapped[int | None] = mapped_column(BigInteger)
    weight: Mapped[float | None] = mapped_column(Float)
    ratio: Mapped[float | None] = mapped_column(Numeric)


def test_fields_take_type_length_and_required_from_the_columns():
    owner = ImportReference(User, "email")
    fields = {f.name: f for f in describe_fields(
        ImportedGadget, "name", "notes", "price", "active", "bought", "size", "owner_id",
        choices={"size": {"s": "Small", "m": "Medium"}}, references={"owner_id": owner},
        labels={"bought": "Purchase date"})}
    assert {name: f.type for name, f in fields.items()} == {
        "name": "string", "notes": "text", "price": "decimal", "active": "boolean",
        "bought": "date", "size": "choice", "owner_id": "reference"}
    assert [name for name, f in fields.items() if f.required] == ["name"]
    assert fields["name"].max_length == 40 and fields["notes"].max_length is None
    assert fields["size"].choices == {"s": "Small", "m": "Medium"}
    assert fields["owner_id"].reference is owner and fields["owner_id"].title == "Owner"
    assert fields["bought"].title == "Purchase date"


def test_numbers_take_the_range_their_column_holds_on_every_database():
    fields = {f.name: (f.minimum, f.maximum) for f in describe_fields(
        ImportedGadget, "price", "stock", "shelf", "serial", "weight", "ratio", "name")}
    assert fields == {"price": (-99_999_999.99, 99_999_999.99),  # Numeric(10, 2)
                      "stock": (-2**31, 2**31 - 1), "shelf": (-2**15, 2**15 - 1),
                      "serial": (-2**63, 2**63 - 1), "weight": (None, None),
                      "ratio": (None, None), "name": (None, None)}


def test_required_and_types_can_be_overridden():
    name, notes = describe_fields(ImportedGadget, "name", "notes", required=("notes",),
                                  types={"name": "email"})
    assert (name.type, name.required, name.max_length) == ("email", False, 40)
    assert notes.required


@pytest.mark.parametrize(("names", "kwargs", "message"), [
    (("colour",), {}, "ImportedGadget has no column 'colour'"),
    (("owner_id",), {}, "ImportedGadget.owner_id is a foreign key: give its reference"),
])
def test_describing_refuses_what_it_cannot_import(names, kwargs, message):
    with pytest.raises(TypeError, match=message):
        describe_fields(ImportedGadget, *names, **kwargs)


def _start(tmp_path, target):
    create_app({"INSTANCE_PATH": str(tmp_path)},
               extra_plugins=[plugin("bad", register_import_targets=lambda: [target])])


@pytest.mark.parametrize(("fields", "natural_key", "message"), [
    ((), ("name",), "has no fields"),
    ((ImportField("colour"),), ("colour",), "names 'colour', which ExemplarThing does not"),
    ((ImportField("name"), ImportField("name")), ("name",), "lists a field twice"),
    ((ImportField("name", "phone"),), ("name",), "the unknown type 'phone'"),
    ((ImportField("name", "choice"),), ("name",), "a choice field, and only"),
    ((ImportField("name", choices={"a": "A"}),), ("name",), "a choice field, and only"),
    ((ImportField("name", "reference"),), ("name",), "a reference field, and only"),
    ((ImportField("name", "reference", reference=ImportReference(User, "nick")),), ("name",),
     "looks up 'nick', which User does not have"),
    ((ImportField("name"),), ("internal_note",), "needs a natural key made of its own"),
    ((ImportField("name"),), (), "needs a natural key made of its own"),
])
def test_bad_targets_stop_the_start(tmp_path, fields, natural_key, message):
    target = ImportTarget("things", "Things", ExemplarThing, fields, natural_key)
    with pytest.raises(StartupError, match=f"plugin 'bad': import target 'things' .*{message}"):
        _start(tmp_path, target)


def test_an_unknown_account_field_stops_the_start(tmp_path):
    target = ImportTarget("things", "Things", ExemplarThing, (ImportField("name"),),
                          ("name",), account_field="customer_id")
    with pytest.raises(StartupError, match="names 'customer_id', which ExemplarThing"):
        _start(tmp_path, target)
