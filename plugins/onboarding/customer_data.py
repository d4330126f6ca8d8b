"""The customer data an onboarding captures (seed: "Data capture and validation").

Products are the provider's catalogue (domain-scoped); everything else belongs to the
customer's account: locations, contracts, sold products, service entitlements, install
base items and their sold products, and the account's addresses.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from onward import (
    Account,
    AccountScopedMixin,
    AuditedMixin,
    DomainScopedMixin,
    NumberedMixin,
    TimestampMixin,
    db,
)

CONTRACT_STATES = {"draft": "Draft", "active": "Active", "expired": "Expired",
                   "canceled": "Canceled"}
#: what one unit of a service entitlement counts
ENTITLEMENT_UNITS = {"cases": "Cases", "hours": "Hours", "incidents": "Incidents",
                     "requests": "Requests"}
INSTALL_BASE_STATES = {"in_use": "In use", "in_stock": "In stock",
                       "in_maintenance": "In maintenance", "retired": "Retired"}
ADDRESS_TYPES = {"bill_to": "Bill to", "ship_to": "Ship to", "sold_to": "Sold to",
                 "service_to": "Service to"}


def _key_index(table: str, column: str) -> Index:
    """The index the data import finds a record by: its key lower-cased, in its account."""
    return Index(f"ix_{table}_key", "account_id", text(f"lower({column})"))


class CustomerRecord(AccountScopedMixin, TimestampMixin, AuditedMixin):
    """What every account-scoped customer record shares."""

    __domain_column__ = "domain_id"
    __account_column__ = "account_id"
    #: field -> its allowed values, checked by the choices rule before every flush
    __choices__: dict[str, dict] = {}
    #: fields whose values together name at most one record (checked by the unique rule)
    __unique__: tuple[str, ...] = ()

    @declared_attr
    def account(cls) -> Mapped[Account]:
        """The account the record belongs to."""
        return relationship(Account)


class OnboardingProduct(DomainScopedMixin, TimestampMixin, AuditedMixin, db.Model):
    """A product of the provider's catalogue, sold to accounts of its domain and below."""

    __tablename__ = "onboarding_product"
    __domain_column__ = "domain_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    model_number: Mapped[str] = mapped_column(String(80), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    #: shown to customers in the portal
    customer_visible: Mapped[bool] = mapped_column(Boolean, default=True)

    def __str__(self) -> str:
        return self.name


class OnboardingLocation(CustomerRecord, db.Model):
    """A site of the account: where install base items are, where it is billed or served."""

    __tablename__ = "onboarding_location"
    __table_args__ = (_key_index("onboarding_location", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    street: Mapped[str] = mapped_column(String(255), default="")
    city: Mapped[str] = mapped_column(String(80), default="")
    state: Mapped[str] = mapped_column(String(80), default="")
    zip: Mapped[str] = mapped_column(String(20), default="")
    country: Mapped[str] = mapped_column(String(80), default="")
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)

    def __str__(self) -> str:
        return self.name


class OnboardingContract(NumberedMixin, CustomerRecord, db.Model):
    """A contract of the account (``CNTR…``)."""

    __tablename__ = "onboarding_contract"
    __table_args__ = (_key_index("onboarding_contract", "short_description"),)
    __number_prefix__ = "CNTR"
    __choices__ = {"state": CONTRACT_STATES}

    id: Mapped[int] = mapped_column(primary_key=True)
    short_description: Mapped[str] = mapped_column(String(160), default="")
    starts: Mapped[dt.date | None] = mapped_column(Date)
    ends: Mapped[dt.date | None] = mapped_column(Date)
    #: one of :data:`CONTRACT_STATES`
    state: Mapped[str] = mapped_column(String(10), default="draft", index=True)
    #: the contract's total value, in the provider's currency
    value: Mapped[float | None] = mapped_column(Numeric(14, 2, asdecimal=False))

    def __str__(self) -> str:
        return f"{self.number} {self.short_description}".strip()


class OnboardingSoldProduct(CustomerRecord, db.Model):
    """A product the account bought, under a contract or not."""

    __tablename__ = "onboarding_sold_product"
    __table_args__ = (_key_index("onboarding_sold_product", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    product_id: Mapped[int] = mapped_column(ForeignKey("onboarding_product.id"), index=True)
    contract_id: Mapped[int | None] = mapped_column(ForeignKey("onboarding_contract.id"),
                                                    index=True)
    quantity: Mapped[int] = mapped_column(Integer, default=1)
    purchase_date: Mapped[dt.date | None] = mapped_column(Date)

    product: Mapped[OnboardingProduct] = relationship()
    contract: Mapped[OnboardingContract | None] = relationship()

    def __str__(self) -> str:
        return self.name


class OnboardingEntitlement(CustomerRecord, db.Model):
    """A service entitlement: the support the account may use, counted in units."""

    __tablename__ = "onboarding_entitlement"
    __table_args__ = (_key_index("onboarding_entitlement", "name"),)
    __choices__ = {"per_unit": ENTITLEMENT_UNITS}

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    product_id: Mapped[int | None] = mapped_column(ForeignKey("onboarding_product.id"),
                                                   index=True)
    contract_id: Mapped[int | None] = mapped_column(ForeignKey("onboarding_contract.id"),
                                                    index=True)
    start_date: Mapped[dt.date | None] = mapped_column(Date)
    end_date: Mapped[dt.date | None] = mapped_column(Date)
    #: what one unit counts, one of :data:`ENTITLEMENT_UNITS`
    per_unit: Mapped[str] = mapped_column(String(10), default="cases")
    #: units granted; ``None`` means unlimited
    total_units: Mapped[int | None] = mapped_column(Integer)

    product: Mapped[OnboardingProduct | None] = relationship()
    contract: Mapped[OnboardingContract | None] = relationship()

    def __str__(self) -> str:
        return self.name


class OnboardingInstallBaseItem(CustomerRecord, db.Model):
    """An installed product of the account: what it is, where, since when."""

    __tablename__ = "onboarding_install_base_item"
    __table_args__ = (_key_index("onboarding_install_base_item", "name"),)
    __choices__ = {"state": INSTALL_BASE_STATES}

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    product_id: Mapped[int | None] = mapped_column(ForeignKey("onboarding_product.id"),
                                                   index=True)
    serial_number: Mapped[str] = mapped_column(String(80), default="", index=True)
    location_id: Mapped[int | None] = mapped_column(ForeignKey("onboarding_location.id"),
                                                    index=True)
    install_date: Mapped[dt.date | None] = mapped_column(Date)
    #: one of :data:`INSTALL_BASE_STATES`
    state: Mapped[str] = mapped_column(String(20), default="in_use")

    product: Mapped[OnboardingProduct | None] = relationship()
    location: Mapped[OnboardingLocation | None] = relationship()

    def __str__(self) -> str:
        return self.name


class OnboardingInstallBaseSoldProduct(CustomerRecord, db.Model):
    """Which sold product an install base item came from (the seed's "M2M" table)."""

    __tablename__ = "onboarding_install_base_sold_product"
    __unique__ = ("install_base_item_id", "sold_product_id")
    __table_args__ = (UniqueConstraint(*__unique__),)

    id: Mapped[int] = mapped_column(primary_key=True)
    install_base_item_id: Mapped[int] = mapped_column(
        ForeignKey("onboarding_install_base_item.id"), index=True)
    sold_product_id: Mapped[int] = mapped_column(ForeignKey("onboarding_sold_product.id"),
                                                 index=True)

    install_base_item: Mapped[OnboardingInstallBaseItem] = relationship()
    sold_product: Mapped[OnboardingSoldProduct] = relationship()

    def __str__(self) -> str:
        return f"{self.install_base_item} ← {self.sold_product}"


class OnboardingAccountAddress(CustomerRecord, db.Model):
    """An account address relationship: one of the account's locations, for one purpose."""

    __tablename__ = "onboarding_account_address"
    __unique__ = ("account_id", "location_id", "type")
    __table_args__ = (UniqueConstraint(*__unique__),)
    __choices__ = {"type": ADDRESS_TYPES}

    id: Mapped[int] = mapped_column(primary_key=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("onboarding_location.id"), index=True)
    #: one of :data:`ADDRESS_TYPES`
    type: Mapped[str] = mapped_column(String(12), default="bill_to")

    location: Mapped[OnboardingLocation] = relationship()

    def __str__(self) -> str:
        return f"{ADDRESS_TYPES.get(self.type, self.type)}: {self.location}"


#: each record's references: field -> the model it points to (checked by the rules)
REFERENCES: dict[type, dict[str, type]] = {
    OnboardingSoldProduct: {"product_id": OnboardingProduct,
                            "contract_id": OnboardingContract},
    OnboardingEntitlement: {"product_id": OnboardingProduct,
                            "contract_id": OnboardingContract},
    OnboardingInstallBaseItem: {"product_id": OnboardingProduct,
                                "location_id": OnboardingLocation},
    OnboardingInstallBaseSoldProduct: {"install_base_item_id": OnboardingInstallBaseItem,
                                       "sold_product_id": OnboardingSoldProduct},
    OnboardingAccountAddress: {"location_id": OnboardingLocation},
}

#: the account's own data, which customers read
CUSTOMER_MODELS: tuple[type[CustomerRecord], ...] = (
    OnboardingLocation, OnboardingContract, OnboardingSoldProduct, OnboardingEntitlement,
    OnboardingInstallBaseItem, OnboardingInstallBaseSoldProduct, OnboardingAccountAddress)
#: fields no customer reads
INTERNAL_FIELDS = frozenset({"domain_id", "created_by_id", "updated_by_id"})


def customer_fields(model: type[CustomerRecord]) -> tuple[str, ...]:
    """The fields of ``model`` a customer of the account reads: all but the internal ones."""
    return tuple(c.key for c in model.__table__.columns if c.key not in INTERNAL_FIELDS)
