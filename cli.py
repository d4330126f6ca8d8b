"""The ``onward`` command line: a Flask CLI group whose commands come from plugins.

Core's commands and every plugin's are added through the ``register_commands`` hook the
first time a command is listed or looked up, so ``onward --help`` needs no database and
tests never reload this module.
"""

from __future__ import annotations

import os

import click
import rich_click
from flask.cli import FlaskGroup, ScriptInfo, routes_command, shell_command

from onward.core.config import disabled_plugins
from onward.core.errors import OnwardError, StartupError
from onward.core.plugins import call_each, get_plugin_manager

rich_click.rich_click.SHOW_ARGUMENTS = True
rich_click.rich_click.GROUP_ARGUMENTS_OPTIONS = True


def _create_app():
    from onward.core.app import create_app

    return create_app()


class OnwardGroup(rich_click.RichGroup, FlaskGroup):
    """Rich help, the Flask app behind every command, plugin commands loaded lazily."""

    def __init__(self, **kwargs):
        super().__init__(
            create_app=_create_app,
            add_default_commands=False,
            add_version_option=False,
            load_dotenv=False,
            set_debug_flag=False,
            **kwargs,
        )
        self.add_command(shell_command)
        self.add_command(routes_command)

    def _load_plugin_commands(self) -> None:
        """Ask every plugin (core first) to add its commands, once."""
        if self._loaded_plugin_commands:
            return
        self._loaded_plugin_commands = True
        disabled = disabled_plugins({"DISABLED_PLUGINS": os.environ.get("ONWARD_DISABLED_PLUGINS")})
        pm = get_plugin_manager(disabled, self.extra_plugins)
        call_each(pm, "register_commands", cli=self)

    #: plugin objects to load besides the installed ones (tests set this)
    extra_plugins: tuple[object, ...] = ()

    def list_commands(self, ctx: click.Context) -> list[str]:
        """Core's and the plugins' commands; unlike Flask's, never loads the app."""
        self._load_plugin_commands()
        return sorted(self.commands)

    def invoke(self, ctx: click.Context):
        """Run the command; Onward's own errors become one line, without a traceback."""
        try:
            return super().invoke(ctx)
        except (OnwardError, StartupError) as exc:
            raise click.ClickException(getattr(exc, "message", str(exc))) from None


def make_cli(extra_plugins: tuple[object, ...] = (), create_app=None) -> OnwardGroup:
    """Build the root group; tests pass extra plugins and their own app factory."""
    group = OnwardGroup(
        name="onward", help="Run and manage Onward: core's commands and every plugin's."
    )
    group.extra_plugins = tuple(extra_plugins)
    if create_app is not None:
        group.create_app = create_app
    return group


cli = make_cli()

__all__ = ["OnwardGroup", "ScriptInfo", "cli", "make_cli"]
