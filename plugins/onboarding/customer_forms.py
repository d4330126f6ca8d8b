"""The forms of the customer data pages: one per kind of record."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    FloatField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from onward import Account, choices
from onward.plugins.onboarding.customer_data import (
    ADDRESS_TYPES,
    CONTRACT_STATES,
    ENTITLEMENT_UNITS,
    INSTALL_BASE_STATES,
    OnboardingContract,
    OnboardingInstallBaseItem,
    OnboardingLocation,
    OnboardingProduct,
    OnboardingSoldProduct,
)
from onward.plugins.onboarding.forms import optional_id, options


def _name() -> StringField:
    return StringField("Name", validators=[DataRequired(message="Enter a name."),
                                           Length(max=120)])


def _picker(label: str, required: bool = False) -> SelectField:
    needed = DataRequired(message=f"Choose the {label.lower()}.") if required else Optional()
    return SelectField(label, coerce=optional_id, validators=[needed])


def _date(label: str) -> DateField:
    return DateField(label, validators=[Optional()])


class RecordForm(FlaskForm):
    """A record's fields; a new account record also picks its account.

    ``__pickers__`` names each reference field's model and its empty choice.
    """

    __pickers__: dict[str, tuple[type, str]] = {}
    account_id = _picker("Account", required=True)

    def __init__(self, record: Any = None, *, accounts: bool = True, **kwargs: Any) -> None:
        super().__init__(obj=record, **kwargs)
        if record is not None or not accounts:
            del self.account_id
        else:
            self.account_id.choices = choices(Account, lambda a: a.name, order_by=Account.name,
                                              blank="Choose an account")
        for name, (model, blank) in self.__pickers__.items():
            self[name].choices = choices(model, str, order_by=model.id, blank=blank)

    def values(self) -> dict[str, Any]:
        """The submitted values by field name (CSRF aside)."""
        return {name: field.data for name, field in self._fields.items() if name != "csrf_token"}


class ProductForm(RecordForm):
    """A catalogue product."""

    name = _name()
    model_number = StringField("Model number", validators=[Length(max=80)])
    description = TextAreaField("Description")
    customer_visible = BooleanField("Visible to customers", default=True)


class LocationForm(RecordForm):
    """A location of the account."""

    name = _name()
    street = StringField("Street", validators=[Length(max=255)])
    city = StringField("City", validators=[Length(max=80)])
    state = StringField("State / province", validators=[Length(max=80)])
    zip = StringField("Zip / postal code", validators=[Length(max=20)])
    country = StringField("Country", validators=[Length(max=80)])
    latitude = FloatField("Latitude", validators=[Optional(), NumberRange(-90, 90)])
    longitude = FloatField("Longitude", validators=[Optional(), NumberRange(-180, 180)])


class ContractForm(RecordForm):
    """A contract of the account."""

    short_description = StringField("Short description", validators=[Length(max=160)])
    starts = _date("Starts")
    ends = _date("Ends")
    state = SelectField("State", choices=options(CONTRACT_STATES))
    value = FloatField("Value", validators=[Optional(), NumberRange(min=0)])


class SoldProductForm(RecordForm):
    """A product the account bought."""

    __pickers__ = {"product_id": (OnboardingProduct, "Choose a product"),
                   "contract_id": (OnboardingContract, "No contract")}
    name = _name()
    product_id = _picker("Product", required=True)
    contract_id = _picker("Contract")
    quantity = IntegerField("Quantity", default=1, validators=[NumberRange(min=1)])
    purchase_date = _date("Purchase date")


class EntitlementForm(RecordForm):
    """A service entitlement of the account."""

    __pickers__ = {"product_id": (OnboardingProduct, "No product"),
                   "contract_id": (OnboardingContract, "No contract")}
    name = _name()
    product_id = _picker("Product")
    contract_id = _picker("Contract")
    start_date = _date("Start date")
    end_date = _date("End date")
    per_unit = SelectField("Per unit", choices=options(ENTITLEMENT_UNITS))
    total_units = IntegerField("Total units", validators=[Optional(), NumberRange(min=0)])


class InstallBaseItemForm(RecordForm):
    """An install base item of the account."""

    __pickers__ = {"product_id": (OnboardingProduct, "No product"),
                   "location_id": (OnboardingLocation, "No location")}
    name = _name()
    product_id = _picker("Product")
    serial_number = StringField("Serial number", validators=[Length(max=80)])
    location_id = _picker("Location")
    install_date = _date("Install date")
    state = SelectField("State", choices=options(INSTALL_BASE_STATES))


class InstallBaseSoldProductForm(RecordForm):
    """Which sold product an install base item came from."""

    __pickers__ = {"install_base_item_id": (OnboardingInstallBaseItem, "Choose an item"),
                   "sold_product_id": (OnboardingSoldProduct, "Choose a sold product")}
    install_base_item_id = _picker("Install base item", required=True)
    sold_product_id = _picker("Sold product", required=True)


class AccountAddressForm(RecordForm):
    """An account address relationship."""

    __pickers__ = {"location_id": (OnboardingLocation, "Choose a location")}
    location_id = _picker("Location", required=True)
    type = SelectField("Type", choices=options(ADDRESS_TYPES))
