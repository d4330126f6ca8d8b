"""Plugins use only the public API: ``onward`` (never ``onward.core.<module>``), and
another built-in plugin only when they require it."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PLUGIN_PACKAGES = sorted(
    [path for path in (ROOT / "plugins").iterdir() if (path / "plugin.py").exists()]
    + [ROOT / "docs/examples/onward_welcome/onward_welcome",
       ROOT / "tests/support/onward_hello_dist/onward_hello"]
)


def imported_modules(path: Path) -> list[str]:
    tree = ast.parse(path.read_text())
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return names


def required_plugins(package: Path) -> tuple[str, ...]:
    tree = ast.parse((package / "plugin.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.AnnAssign | ast.Assign):
            targets = [node.target] if isinstance(node, ast.AnnAssign) else node.targets
            if any(getattr(t, "id", None) == "REQUIRES" for t in targets) and node.value:
                return tuple(ast.literal_eval(node.value))
    return ()


@pytest.mark.parametrize("package", PLUGIN_PACKAGES, ids=lambda p: p.name)
def test_plugins_import_only_the_public_api(package):
    allowed = {f"onward.plugins.{name}" for name in required_plugins(package)}
    own = f"onward.plugins.{package.name}"
    offending = []
    for path in package.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        for module in imported_modules(path):
            inner = module.startswith("onward.core") or module == "onward.cli"
            other_plugin = module.startswith("onward.plugins.") and not (
                module.startswith(own) or any(module.startswith(a) for a in allowed))
            if inner or other_plugin:
                offending.append(f"{path.relative_to(ROOT)}: {module}")
    assert offending == []


def test_the_check_sees_an_offence(tmp_path):
    (tmp_path / "plugin.py").write_text("from onward.core.access import scoped\n")
    assert imported_modules(tmp_path / "plugin.py") == ["onward.core.access"]
