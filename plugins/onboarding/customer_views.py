"""The customer data pages of the onboarding workspace: a list and a form per kind."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import abort, flash, redirect, render_template, url_for

from onward import (
    ListSpec,
    can,
    form_status,
    get_or_404,
    list_page,
    post_action,
    record_history,
    submit_form,
)
from onward.plugins.onboarding import customer_forms as forms
from onward.plugins.onboarding import customer_lists as lists
from onward.plugins.onboarding import customer_services as services
from onward.plugins.onboarding.customer_data import (
    OnboardingAccountAddress,
    OnboardingContract,
    OnboardingEntitlement,
    OnboardingInstallBaseItem,
    OnboardingInstallBaseSoldProduct,
    OnboardingLocation,
    OnboardingProduct,
    OnboardingSoldProduct,
)
from onward.plugins.onboarding.forms import changes
from onward.plugins.onboarding.views import blueprint


def _for_account(model: type) -> Callable[[dict], Any]:
    return lambda data: services.create_record(model, data.pop("account_id"), data)


def _link(data: dict) -> OnboardingInstallBaseSoldProduct:
    item = get_or_404(OnboardingInstallBaseItem, data["install_base_item_id"])
    return services.link_sold_product(item, get_or_404(OnboardingSoldProduct,
                                                       data["sold_product_id"]))


@dataclass(frozen=True)
class Kind:
    """One kind of customer data as its pages show it."""

    title: str
    noun: str
    model: type
    spec: ListSpec
    form: type[forms.RecordForm]
    #: ``(label, sort key or None, attribute)`` per list column; the first links the record
    columns: tuple[tuple[str, str | None, str], ...]
    create: Callable[[dict], Any]
    #: whether a new record picks its account on the form
    accounts: bool = True
    search: str = "Name…"

    @property
    def labels(self) -> dict[str, dict]:
        """Choice field -> ``{stored value: label}``, so lists show labels."""
        return getattr(self.model, "__choices__", {})


_ACCOUNT = ("Account", None, "account")
KINDS = {
    "products": Kind("Products", "product", OnboardingProduct, lists.PRODUCTS,
                     forms.ProductForm, (("Name", "name", "name"),
                                         ("Model number", "model_number", "model_number"),
                                         ("Visible to customers", None, "customer_visible")),
                     services.create_product, accounts=False, search="Name or model…"),
    "locations": Kind("Locations", "location", OnboardingLocation, lists.LOCATIONS,
                      forms.LocationForm, (("Name", "name", "name"), _ACCOUNT,
                                           ("City", "city", "city"),
                                           ("Country", "country", "country")),
                      _for_account(OnboardingLocation), search="Name, street or city…"),
    "contracts": Kind("Contracts", "contract", OnboardingContract, lists.CONTRACTS,
                      forms.ContractForm, (("Number", "number", "number"), _ACCOUNT,
                                           ("Starts", "starts", "starts"),
                                           ("Ends", "ends", "ends"),
                                           ("State", "state", "state")),
                      _for_account(OnboardingContract), search="Number or description…"),
    "sold-products": Kind("Sold products", "sold product", OnboardingSoldProduct,
                          lists.SOLD_PRODUCTS, forms.SoldProductForm,
                          (("Name", "name", "name"), _ACCOUNT, ("Product", None, "product"),
                           ("Purchased", "purchase_date", "purchase_date")),
                          _for_account(OnboardingSoldProduct)),
    "entitlements": Kind("Service entitlements", "service entitlement",
                         OnboardingEntitlement, lists.ENTITLEMENTS, forms.EntitlementForm,
                         (("Name", "name", "name"), _ACCOUNT, ("Product", None, "product"),
                          ("Starts", "start_date", "start_date"),
                          ("Ends", "end_date", "end_date")),
                         _for_account(OnboardingEntitlement)),
    "install-base-items": Kind("Install base items", "install base item",
                               OnboardingInstallBaseItem, lists.INSTALL_BASE_ITEMS,
                               forms.InstallBaseItemForm,
                               (("Name", "name", "name"), _ACCOUNT,
                                ("Serial number", None, "serial_number"),
                                ("Location", None, "location"), ("State", "state", "state")),
                               _for_account(OnboardingInstallBaseItem),
                               search="Name or serial number…"),
    "install-base-sold-products": Kind(
        "Install base sold products", "install base sold product",
        OnboardingInstallBaseSoldProduct, lists.INSTALL_BASE_SOLD_PRODUCTS,
        forms.InstallBaseSoldProductForm,
        (("Install base item", None, "install_base_item"), _ACCOUNT,
         ("Sold product", None, "sold_product")), _link, accounts=False, search=""),
    "account-addresses": Kind("Account addresses", "account address",
                              OnboardingAccountAddress, lists.ACCOUNT_ADDRESSES,
                              forms.AccountAddressForm,
                              (("Location", None, "location"), _ACCOUNT,
                               ("Type", "type", "type")),
                              _for_account(OnboardingAccountAddress), search=""),
}


def _kind(slug: str) -> Kind:
    if slug not in KINDS:
        abort(404)
    return KINDS[slug]


@blueprint.route("/data", endpoint="customer_data")
def index():
    """The kinds of customer data the onboarding captures, with links to their lists."""
    kinds = [(slug, kind) for slug, kind in KINDS.items() if can("read", kind.model)]
    return render_template("onboarding/customer_data.html", kinds=kinds)


@blueprint.route("/data/<kind>", endpoint="customer_records")
def records(kind: str):
    """One kind's records the user may read: search, sort, filter by the list's fields."""
    found = _kind(kind)
    return list_page(found.model, found.spec, "onboarding/customer_records.html",
                     kind=found, slug=kind)


def _form_page(slug: str, kind: Kind, form: forms.RecordForm, record: Any = None):
    return render_template("onboarding/customer_record.html", kind=kind, slug=slug, form=form,
                           record=record,
                           history=record_history(record) if record else None), \
        form_status(form)


def _saved(slug: str, kind: Kind):
    def done(record: Any):
        flash(f"The {kind.noun} is saved.", "success")
        return redirect(url_for("onboarding.customer_record", kind=slug, record_id=record.id))

    return done


@blueprint.route("/data/<kind>/new", methods=["GET", "POST"], endpoint="customer_record_new")
def new_record(kind: str):
    """A new record of one kind."""
    found = _kind(kind)
    form = found.form(accounts=found.accounts)
    return submit_form(form, lambda: found.create(form.values()), done=_saved(kind, found),
                       show=lambda: _form_page(kind, found, form))


@blueprint.route("/data/<kind>/<int:record_id>", methods=["GET", "POST"],
                 endpoint="customer_record")
def edit_record(kind: str, record_id: int):
    """A record's form, its history and a delete button."""
    found = _kind(kind)
    record = get_or_404(found.model, record_id)
    form = found.form(record)
    return submit_form(form, lambda: services.update_record(record, changes(form, record)),
                       done=_saved(kind, found), show=lambda: _form_page(kind, found, form,
                                                                          record))


@blueprint.route("/data/<kind>/<int:record_id>/delete", methods=["POST"],
                 endpoint="customer_record_delete")
def delete_record(kind: str, record_id: int):
    """Delete a record no other record uses."""
    found = _kind(kind)
    record = get_or_404(found.model, record_id)
    return post_action(lambda: services.delete_record(record),
                       message=f"The {found.noun} is deleted.",
                       back=url_for("onboarding.customer_record", kind=kind,
                                    record_id=record_id),
                       to=url_for("onboarding.customer_records", kind=kind))
