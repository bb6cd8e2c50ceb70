"""The solver package's shape: no import cycle between its modules, imports at module top
(at most three inside functions, each with a comment saying why), no module that takes
rule logic from the checker, and mypy (its settings in pyproject.toml) content."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

SOLVER = Path(__file__).resolve().parents[2] / "solver"


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted(SOLVER.rglob("*.py")):
        parts = list(path.relative_to(SOLVER.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def _is_package(name: str, modules: dict[str, Path]) -> bool:
    return modules[name].name == "__init__.py"


def _imports(name: str, tree: ast.Module, modules: dict[str, Path]) -> list[tuple[str, ast.stmt]]:
    """(solver module imported, the import statement) for every import in the module."""
    package = name if _is_package(name, modules) else name.rpartition(".")[0]
    out: list[tuple[str, ast.stmt]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(a.name, node) for a in node.names if a.name in modules]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                target = f"{base}.{node.module}" if node.module else base
            else:
                target = node.module or ""
            if target not in modules:
                continue
            # `from .x import y` where y is itself a module imports that module too.
            subs = [f"{target}.{a.name}" for a in node.names if f"{target}.{a.name}" in modules]
            out += [(t, node) for t in subs or [target]]
    return out


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        graph[name] = {t for t, _ in _imports(name, tree, modules) if t != name}
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph[node]):
            # A package's __init__ is run before any of its modules: importing the package from
            # one of its own modules is Python's order, not a cycle between modules.
            if nxt == node.rpartition(".")[0] or node.startswith(nxt + "."):
                continue
            if state.get(nxt) == 1:
                return path[path.index(nxt) :] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_the_import_graph_is_read_right():
    graph = _graph()
    assert graph["solver.check"] == {"solver.costs", "solver.plan", "solver.rules", "solver.scenario"}
    assert "solver.rules" in graph["solver.instance"]
    assert "solver.generate.assemble" in graph["solver.generate"]
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]


def test_no_import_cycle_between_solver_modules():
    assert _cycle(_graph()) is None


def test_nothing_takes_rule_logic_from_the_checker():
    graph = _graph()
    users = sorted(name for name, deps in graph.items() if "solver.check" in deps)
    assert users == ["solver", "solver.__main__"]  # the package's API and the CLI, nothing else


def test_imports_are_at_module_top():
    modules = _modules()
    inside = []
    for name, path in modules.items():
        text = path.read_text(encoding="utf-8")
        tree = ast.parse(text)
        top = {id(node) for node in tree.body}
        lines = text.splitlines()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom) and id(node) not in top:
                above, line = lines[node.lineno - 2].strip(), lines[node.lineno - 1]
                inside.append((name, node.lineno, above.startswith("#") or "#" in line))
    assert len(inside) <= 3, inside
    assert all(commented for _, _, commented in inside), inside


def test_mypy_passes_on_the_solver(tmp_path):
    repo = SOLVER.parent
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--cache-dir", str(tmp_path / "cache")],  # files = ["solver"] in pyproject
        cwd=repo,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Success" in done.stdout
