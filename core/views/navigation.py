"""What every page's template sees: the navigation for this user, and access checks."""

from __future__ import annotations

from itertools import groupby

from flask import Flask, current_app

from onward.core.access import can, has_right
from onward.core.actor import current_actor
from onward.core.registries import NavItem


def _visible(item: NavItem, user) -> bool:
    if user is None:
        return False
    audience = "customer" if getattr(user, "is_customer", False) else "internal"
    if item.audience not in ("all", audience):
        return False
    return item.requires is None or has_right(user, *item.requires)


def navigation() -> list[tuple[str, list[NavItem]]]:
    """The navigation sections and entries the current user may see."""
    user = current_actor()
    items = [item for item in current_app.extensions["onward"].registries.navigation.values()
             if _visible(item, user)]
    sections: dict[str, int] = {}
    for item in items:
        sections[item.section] = min(sections.get(item.section, item.order), item.order)
    items.sort(key=lambda item: (sections[item.section], item.section, item.order, item.label))
    return [(section, list(entries)) for section, entries in groupby(items, lambda i: i.section)]


def install_template_globals(app: Flask) -> None:
    """Make ``navigation()``, ``can()``, ``has_right()`` and ``actor`` available to templates."""
    app.jinja_env.globals.update(navigation=navigation, can=can, has_right=has_right)

    @app.context_processor
    def _actor():
        return {"actor": current_actor()}
