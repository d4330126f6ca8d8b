"""The plugin's one table: a welcome note for an account."""

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from onward import AccountScopedMixin, NumberedMixin, TimestampMixin, db


class WelcomeNote(NumberedMixin, AccountScopedMixin, TimestampMixin, db.Model):
    """A note that welcomes a new customer account."""

    __tablename__ = "welcome_note"
    __number_prefix__ = "WEL"
    __domain_column__ = "domain_id"
    __account_column__ = "account_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the greeting's subject line
    subject: Mapped[str] = mapped_column(String(200))
    #: the greeting itself
    body: Mapped[str] = mapped_column(Text, default="")
