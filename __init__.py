"""Onward: a plugin-based platform kit for customer onboarding and customer success.

This is the one stable place integrators import from::

    from onward import hookimpl, db, scoped, require
"""

from onward.core import *  # noqa: F403 -- the public API is core's, handed on unchanged
from onward.core import __all__  # noqa: F401

__version__ = "0.1.0"
