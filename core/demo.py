"""Core's demo data: a provider domain, a tenant, accounts and users of every kind."""

from __future__ import annotations

from flask import Flask


def load_demo_data(app: Flask) -> None:
    """Add core's demo records, idempotently."""
