"""The entry point of onward-hello."""

import click
from flask import Blueprint

from onward import NavItem, hookimpl

blueprint = Blueprint("hello", __name__)


@blueprint.route("/hello")
def hello_page():
    """Say hello to anyone."""
    return "Hello from a third-party plugin"


@hookimpl
def register_blueprints():
    """The hello page."""
    return [blueprint]


@hookimpl
def register_navigation():
    """A menu entry for everyone signed in."""
    return [NavItem("Hello", "hello.hello_page", section="Extras", audience="all")]


@click.command("hello")
def hello_command():
    """Say hello."""
    click.echo("Hello from onward-hello")


@hookimpl
def register_commands(cli):
    """The ``onward hello`` command."""
    cli.add_command(hello_command)
