"""Landing-page scorecards: counts, monthly trends and drill-down links, all in SQL.

Plugins contribute :class:`~onward.core.registries.Scorecard` items through
``register_scorecards()``; a landing page shows them with :func:`cards`::

    from onward import scorecards

    render_template("myplugin/landing.html", cards=scorecards.cards())

Each card's count is one ``count`` over ``scoped(model)`` and its trend one query grouped
by month, so the numbers are what the user may read, whatever the number of rows.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask import current_app, url_for
from sqlalchemy import Select, extract, func, select

from onward.core.access import scoped
from onward.core.actor import current_actor
from onward.core.db import db
from onward.core.registries import Scorecard

#: how many months a trend covers, this one included
TREND_MONTHS = 3


@dataclass(frozen=True)
class TrendPoint:
    """The number of a card's records dated in one month."""

    month: dt.date
    count: int

    @property
    def label(self) -> str:
        """The month as text, e.g. ``Nov 2026``."""
        return self.month.strftime("%b %Y")


@dataclass(frozen=True)
class CardView:
    """A scorecard as a landing page shows it."""

    card: Scorecard
    count: int
    trend: list[TrendPoint]
    #: the drill-down list's URL; ``None`` without ``drill``
    url: str | None

    @property
    def points(self) -> str:
        """The trend as an SVG ``polyline``'s points (see :func:`sparkline`)."""
        return sparkline([point.count for point in self.trend])


def statement(card: Scorecard, user) -> Select:
    """The ``Select`` of the records ``card`` counts for ``user``."""
    if card.model is None:
        return card.query()
    conditions = card.where(user) if card.where else ()
    return scoped(card.model).where(*conditions)


def count(card: Scorecard, user=None) -> int:
    """How many records ``card`` counts for ``user`` (default: the current actor)."""
    stmt = statement(card, user or current_actor()).order_by(None)
    return db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0


def _months(today: dt.date, months: int) -> list[dt.date]:
    """The first days of the last ``months`` months, oldest first."""
    firsts = [today.replace(day=1)]
    for _ in range(months - 1):
        firsts.insert(0, (firsts[0] - dt.timedelta(days=1)).replace(day=1))
    return firsts


def trend(card: Scorecard, user=None, *, months: int = TREND_MONTHS,
          today: dt.date | None = None) -> list[TrendPoint]:
    """The card's records per month of ``date_field``, over the last ``months`` months.

    One query grouped by year and month; a month without records counts 0. A card
    without ``date_field`` has no trend (an empty list).
    """
    if card.date_field is None:
        return []
    firsts = _months(today or dt.date.today(), months)
    rows = statement(card, user or current_actor()).order_by(None).subquery()
    column = rows.c[card.date_field]
    year, month = extract("year", column), extract("month", column)
    since: dt.date = firsts[0]
    if issubclass(getattr(column.type, "impl", column.type).python_type, dt.datetime):
        since = dt.datetime.combine(since, dt.time(), tzinfo=dt.UTC)
    grouped = select(year, month, func.count()).where(column >= since).group_by(year, month)
    counts = {(int(y), int(m)): n for y, m, n in db.session.execute(grouped)}
    return [TrendPoint(first, counts.get((first.year, first.month), 0)) for first in firsts]


def sparkline(values: list[int], *, width: int = 100, height: int = 24) -> str:
    """``x,y`` points drawing ``values`` in a ``width`` by ``height`` box (SVG, y down).

    The highest value touches the top, zero the bottom; one value is a flat line.
    """
    if not values:
        return ""
    top = max(values) or 1
    step = width / (len(values) - 1) if len(values) > 1 else 0
    points = [(i * step, height - value * height / top) for i, value in enumerate(values)]
    if len(points) == 1:
        points.append((width, points[0][1]))
    return " ".join(f"{x:g},{y:g}" for x, y in points)


def cards(user=None) -> list[CardView]:
    """Every registered scorecard for ``user`` (default: the current actor), in order."""
    user = user or current_actor()
    registered = current_app.extensions["onward"].registries.scorecards.values()
    views = []
    for card in sorted(registered, key=lambda card: (card.order, card.label)):
        url = url_for(card.drill[0], **card.drill[1]) if card.drill else None
        views.append(CardView(card, count(card, user), trend(card, user), url))
    return views
