"""Onward's built-in feature plugins, each loaded through the ``onward`` entry-point group."""
