"""Meta-tests: every hook is documented, tested, and implemented by the exemplar."""

import ast
import inspect
from pathlib import Path

import pytest

from onward.core import hookspecs
from onward.core.plugins import get_plugin_manager

ROOT = Path(__file__).resolve().parents[2]
HOOKS = [name for name in hookspecs.__all__ if name not in ("hookimpl", "hookspec")]


def signature(name: str) -> str:
    parameters = inspect.signature(getattr(hookspecs, name)).parameters
    return f"{name}({', '.join(parameters)})"


def test_all_lists_every_hook():
    pm = get_plugin_manager()
    assert sorted(HOOKS) == sorted(pm.hook.__dict__)


@pytest.mark.parametrize("name", HOOKS)
def test_hook_docstring_says_when_and_returns(name):
    doc = inspect.getdoc(getattr(hookspecs, name))
    assert doc and "Called" in doc and "Returns:" in doc


@pytest.mark.parametrize("name", HOOKS)
def test_hook_is_in_the_plugin_guide_with_its_signature(name):
    guide = (ROOT / "docs" / "plugins.md").read_text()
    assert f"### `{signature(name)}`" in guide


def _test_names() -> set[str]:
    names = set()
    for path in (ROOT / "tests").rglob("test_*.py"):
        tree = ast.parse(path.read_text())
        names |= {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)}
    return names


@pytest.mark.parametrize("name", HOOKS)
def test_hook_has_its_own_test(name):
    assert f"test_hook_{name}" in _test_names()


def test_exemplar_implements_every_hook(exemplar):
    pm = get_plugin_manager(extra=[exemplar])
    implemented = {caller.name for caller in pm.get_hookcallers(exemplar)}
    assert implemented == set(HOOKS)


def test_firstresult_is_used_nowhere_yet():
    pm = get_plugin_manager()
    assert not [name for name in HOOKS
                if getattr(pm.hook, name).spec.opts.get("firstresult")]
