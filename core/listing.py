"""Lists: the search, sort, filter and pagination conventions of every list.

The web UI and the JSON API read the same query arguments — ``q`` (search), ``sort``
(comma-separated fields, ``-`` for descending), ``page``, ``page_size`` and one argument
per filterable field — and answer from :func:`paginate`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from sqlalchemy import Select, func, or_, select

from onward.core.db import LARGEST_INTEGER, db
from onward.core.errors import ValidationFailed

RESERVED = frozenset({"q", "sort", "page", "page_size"})


@dataclass(frozen=True)
class ListSpec:
    """What a list may be sorted, searched and filtered by (name -> column)."""

    sortable: Mapping[str, Any]
    searchable: Sequence[Any] = ()
    filterable: Mapping[str, Any] = field(default_factory=dict)
    default_sort: str = "id"


@dataclass(frozen=True)
class ListQuery:
    """One request's list arguments, already checked."""

    q: str = ""
    sort: tuple[str, ...] = ()
    page: int = 1
    page_size: int = 25
    filters: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Page:
    """One page of a list, with what the pager needs."""

    items: list[Any]
    total: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        """How many pages the list has (at least one)."""
        return max(1, math.ceil(self.total / self.page_size))

    def meta(self) -> dict[str, int]:
        """The API's pagination block."""
        return {"page": self.page, "page_size": self.page_size, "total": self.total,
                "pages": self.pages}


#: the highest page a list serves (its offset fits every database's integers)
LAST_PAGE = 2**31 - 1


def _positive(args: Mapping[str, str], name: str, default: int) -> int:
    raw = args.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if not 1 <= value <= LAST_PAGE:
        message = f"Must be a whole number from 1 to {LAST_PAGE}."
        raise ValidationFailed(f"Invalid {name} {raw!r}. {message}", fields={name: [message]})
    return value


def parse_list_args(args: Mapping[str, str], spec: ListSpec) -> ListQuery:
    """Check ``q``, ``sort``, ``page``, ``page_size`` and filters against ``spec``.

    Raises:
        ValidationFailed: an unknown sort field, a bad page number, an unknown filter.
    """
    config = current_app.config
    page_size = min(_positive(args, "page_size", config["PAGE_SIZE"]), config["MAX_PAGE_SIZE"])
    sort = tuple(part.strip() for part in (args.get("sort") or spec.default_sort).split(",")
                 if part.strip())
    for part in sort:
        if part.lstrip("-") not in spec.sortable:
            allowed = ", ".join(sorted(spec.sortable))
            message = f"Sort by one of: {allowed}."
            raise ValidationFailed(f"Cannot sort by {part.lstrip('-')!r}. {message}",
                                   fields={"sort": [message]})
    filters = {}
    for name, value in args.items():
        if name in RESERVED or value in (None, ""):
            continue
        if name not in spec.filterable:
            allowed = ", ".join(sorted(spec.filterable)) or "none"
            message = f"Filter by one of: {allowed}."
            raise ValidationFailed(f"Unknown filter {name!r}. {message}", fields={name: [message]})
        filters[name] = value
    return ListQuery(
        q=(args.get("q") or "").strip(),
        sort=sort,
        page=_positive(args, "page", 1),
        page_size=page_size,
        filters=filters,
    )


def _filter_value(column: Any, raw: str) -> Any:
    python_type = getattr(column.type, "python_type", str)
    if python_type is bool:
        return raw.lower() in {"1", "true", "yes", "on"}
    if python_type is int:
        try:
            value = int(raw)
        except ValueError:
            value = None
        if value is None or abs(value) > LARGEST_INTEGER:
            message = "Must be a whole number of at most 64 bits."
            raise ValidationFailed(f"Invalid filter value {raw!r}. {message}")
        return value
    return raw


def paginate(stmt: Select, query: ListQuery, spec: ListSpec) -> Page:
    """Apply search, filters and sort to ``stmt`` and fetch one page of it."""
    if query.q and spec.searchable:
        pattern = f"%{query.q.lower()}%"
        stmt = stmt.where(or_(*(func.lower(column).like(pattern) for column in spec.searchable)))
    for name, raw in query.filters.items():
        column = spec.filterable[name]
        stmt = stmt.where(column == _filter_value(column, raw))
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    for part in query.sort:
        column = spec.sortable[part.lstrip("-")]
        stmt = stmt.order_by(column.desc() if part.startswith("-") else column.asc())
    if "id" in spec.sortable and not any(part.lstrip("-") == "id" for part in query.sort):
        stmt = stmt.order_by(spec.sortable["id"])  # a stable order across pages
    stmt = stmt.limit(query.page_size).offset((query.page - 1) * query.page_size)
    items = list(db.session.scalars(stmt).unique())
    return Page(items=items, total=total or 0, page=query.page, page_size=query.page_size)
