"""The layout's rules, read from the code: layers import one way, no import circle, core types at the bottom,
modules of a readable size.

Imports are read with ``ast`` from every module of ``tools``, ``agents`` and ``servers`` — the lazy ones
inside functions included, since they run too — so a rule broken anywhere fails here, naming the import.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("tools", "agents", "servers")
LAYER = {"tools": 0, "agents": 1, "servers": 2}
MAX_LINES = 500


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@cache
def _modules() -> dict[str, Path]:
    return {
        _module_name(path): path
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
        if "__pycache__" not in path.parts
    }


def _resolve(name: str) -> str | None:
    """The project module an imported name refers to (``a.b.c`` may be module ``a.b`` plus attribute)."""
    modules = _modules()
    while name:
        if name in modules:
            return name
        name = name.rpartition(".")[0]
    return None


@cache
def _imports(module: str) -> tuple[tuple[str, int, bool], ...]:
    """(imported project module, line, whether at module level) for every import in ``module``."""
    path = _modules()[module]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    top_level = {id(node) for node in tree.body}
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            names = [base] + [f"{base}.{alias.name}" for alias in node.names]
        for name in names:
            target = _resolve(name)
            if target is not None and target != module:
                found.append((target, node.lineno, id(node) in top_level))
    return tuple(dict.fromkeys(found))


def test_the_layout_has_the_protocol_and_theme_packages():
    expected = {
        "tools.information", "tools.complexity", "tools.finetuning", "tools.optimizers", "tools.training",
        "agents.models", "agents.models.offline", "agents.memory", "agents.mcp", "agents.a2a",
        "servers.mcp", "servers.a2a", "servers.llm", "servers.cli",
    }  # fmt: skip
    assert expected <= set(_modules())


def test_layers_import_one_way():
    upward = [
        f"{module}:{line} imports {target}"
        for module in _modules()
        for target, line, _ in _imports(module)
        if LAYER[target.split(".")[0]] > LAYER[module.split(".")[0]]
    ]
    assert upward == [], "tools ← agents ← servers: " + "; ".join(upward)


def test_core_types_import_nothing_of_the_project():
    for core in ("agents.messages", "agents.text", "agents.errors"):
        assert [target for target, _, _ in _imports(core)] == [], core


def test_the_toolbox_and_the_model_interface_sit_just_above_the_messages():
    allowed = {"agents.messages", "agents.toolbox"}
    for module in ("agents.toolbox", "agents.models.base"):
        assert {target for target, _, _ in _imports(module)} <= allowed, module


def _cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One import circle in ``edges`` (as the list of modules around it), or ``None``."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)) is not None:
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(edges):
        if node not in state and (found := visit(node)) is not None:
            return found
    return None


def _package_of(module: str) -> str:
    return module if (ROOT / Path(*module.split(".")) / "__init__.py").exists() else module.rpartition(".")[0]


@pytest.mark.parametrize("level", ["module-level imports", "every import"])
def test_no_import_circle(level):
    edges: dict[str, set[str]] = {}
    for module in _modules():
        for target, _, top in _imports(module):
            # a package's __init__ re-exporting its own modules is not a dependency between modules
            if module == _package_of(target) and module != target:
                continue
            if top or level == "every import":
                edges.setdefault(module, set()).add(target)
    assert _cycle(edges) is None, " → ".join(_cycle(edges) or [])


def test_agents_do_not_know_the_command_line_or_spawn_the_servers():
    offenders = []
    for module, path in _modules().items():
        if not module.startswith("agents"):
            continue
        text = path.read_text(encoding="utf-8")
        for needle in ('"-m", "servers"', "--mcp-token", "--max-steps", "--peer-token", "--token"):
            if needle in text:
                offenders.append(f"{module}: {needle}")
    assert offenders == []


def test_every_module_stays_readable():
    long = {
        module: lines
        for module, path in _modules().items()
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}, f"modules over {MAX_LINES} lines (split them by meaning): {long}"


def test_the_entry_points_import_no_torch_torchvision_or_matplotlib():
    # The CLI, the agent and the catalogue start fast: heavy libraries load inside the tools that use them.
    code = (
        "import sys, servers.cli.main, agents.loop, agents.runtime, tools.catalog; "
        "print(sorted(m for m in ('torch', 'torchvision', 'matplotlib') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip() == "[]", out.stderr


def test_the_circle_finder_finds_a_circle():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": {"c"}}) is None
