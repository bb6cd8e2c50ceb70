"""The house rules, read from the source with `ast` (nothing is imported or run).

- no import cycle between the modules of solver/, service/ and worker/, neither among the imports
  that run when a module is imported nor through an import inside a function (which only hides
  one); imports under `if TYPE_CHECKING:` never run and do not count;
- at most ten imports inside functions across those packages, each with a comment saying why;
- no route method (MethodView) or page view body over fifteen lines of code: routes are thin;
- the solver imports nothing of the service, the worker, Flask, SQLAlchemy or the queue.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from dataclasses import dataclass
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("solver", "service", "worker")
MAX_FUNCTION_IMPORTS = 10
MAX_ROUTE_BODY_LINES = 15
# What a stranger using the solver alone must not need (scenario in, plan out: no web, no DB, no queue).
SOLVER_FORBIDDEN = ("service", "worker", "flask", "flask_sqlalchemy", "flask_smorest", "sqlalchemy", "rq", "redis")
HTTP_METHODS = {"get", "post", "put", "patch", "delete", "head", "options"}
ROUTE_DECORATORS = HTTP_METHODS | {"route"}
DIRECTIVE = re.compile(
    r"#|\bnoqa\b(:\s*[A-Z]+[0-9]+(,\s*[A-Z]+[0-9]+)*)?|\btype:\s*ignore(\[[\w,-]*\])?|\bpragma:[^#]*"
)


@dataclass(frozen=True)
class Module:
    name: str  # dotted, e.g. "service.resources.cycles.routes"
    path: Path
    is_package: bool  # an __init__.py: its relative imports start from itself

    @property
    def rel(self) -> str:
        return self.path.relative_to(ROOT).as_posix()


@cache
def modules() -> dict[str, Module]:
    out = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            is_package = parts[-1] == "__init__"
            if is_package:
                parts.pop()
            name = ".".join(parts)
            out[name] = Module(name, path, is_package)
    return out


@cache
def source(module: Module) -> str:
    return module.path.read_text(encoding="utf-8")


@cache
def tree(module: Module) -> ast.Module:
    return ast.parse(source(module), filename=str(module.path))


@cache
def comment_lines(module: Module) -> dict[int, bool]:
    """Line number → True when the line is only a comment, False when code ends with one."""
    return {row: only for row, (only, _) in comments(module).items()}


@cache
def comments(module: Module) -> dict[int, tuple[bool, str]]:
    """Line number → (the line is only a comment, the comment's text)."""
    out = {}
    for tok in tokenize.generate_tokens(io.StringIO(source(module)).readline):
        if tok.type == tokenize.COMMENT:
            row, col = tok.start
            out[row] = (not tok.line[:col].strip(), tok.string)
    return out


def says_something(comment: str) -> bool:
    """A comment with words beyond linter directives (`# noqa: F401` alone says no why)."""
    return bool(re.search(r"[A-Za-z]{2}", DIRECTIVE.sub("", comment)))


def resolve(module: Module, node: ast.Import | ast.ImportFrom) -> list[str]:
    """The absolute names of the modules (or packages) an import statement loads."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if node.level:
        base = module.name.split(".")
        if not module.is_package:
            base.pop()
        base = base[: len(base) - (node.level - 1)]
        prefix = ".".join(base + ([node.module] if node.module else []))
    else:
        prefix = node.module or ""
    known = modules()
    # `from pkg import name` loads pkg.name when that is a module, else only pkg.
    return [f"{prefix}.{a.name}" if f"{prefix}.{a.name}" in known else prefix for a in node.names]


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def import_time_imports(body: list[ast.stmt]):
    """Import statements that run when the module is imported: not in functions, not type-only."""
    for node in body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            continue
        elif isinstance(node, ast.If) and _is_type_checking(node.test):
            yield from import_time_imports(node.orelse)
        else:
            for field in ("body", "orelse", "finalbody", "handlers"):
                yield from import_time_imports(getattr(node, field, []) or [])


def import_graph(with_function_imports: bool = False) -> dict[str, set[str]]:
    """Module → the project's modules it imports (at import time; also in functions when asked)."""
    known = modules()
    graph: dict[str, set[str]] = {name: set() for name in known}
    for name, module in known.items():
        nodes = list(import_time_imports(tree(module).body))
        if with_function_imports:
            nodes += [node for m, node in function_imports() if m is module]
        for node in nodes:
            graph[name].update(t for t in resolve(module, node) if t in known and t != name)
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle as a path [a, b, ..., a], or None (iterative depth-first search, three colours)."""
    colour = dict.fromkeys(graph, 0)  # 0 unseen, 1 on the current path, 2 done
    for start in sorted(graph):
        if colour[start]:
            continue
        path, stack = [start], [iter(sorted(graph[start]))]
        colour[start] = 1
        while stack:
            nxt = next(stack[-1], None)
            if nxt is None:
                colour[path.pop()] = 2
                stack.pop()
            elif colour[nxt] == 1:
                return path[path.index(nxt) :] + [nxt]
            elif colour[nxt] == 0:
                colour[nxt] = 1
                path.append(nxt)
                stack.append(iter(sorted(graph[nxt])))
    return None


def cycles(graph: dict[str, set[str]], limit: int = 20) -> list[list[str]]:
    """Cycles to report: find one, cut its closing edge, look again (not every cycle, but every knot)."""
    graph = {k: set(v) for k, v in graph.items()}
    out = []
    while len(out) < limit and (cycle := find_cycle(graph)):
        out.append(cycle)
        graph[cycle[-2]].discard(cycle[-1])
    return out


@cache
def function_imports() -> list[tuple[Module, ast.Import | ast.ImportFrom]]:
    out = []
    for module in modules().values():
        for func in ast.walk(tree(module)):
            if isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
                # Direct statements of this function (nested functions are visited on their own).
                todo = list(func.body)
                while todo:
                    node = todo.pop()
                    if isinstance(node, ast.Import | ast.ImportFrom):
                        out.append((module, node))
                    elif not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                        todo.extend(n for n in ast.iter_child_nodes(node) if isinstance(n, ast.stmt))
    return sorted(out, key=lambda mn: (mn[0].rel, mn[1].lineno))


def has_why(module: Module, node: ast.stmt) -> bool:
    found = comments(module)
    same = found.get(node.lineno)
    above = found.get(node.lineno - 1)
    return bool((same and says_something(same[1])) or (above and above[0] and says_something(above[1])))


def code_lines(module: Module, body: list[ast.stmt]) -> int:
    """Lines of code in a function body: the docstring, blank lines and comment-only lines left out."""
    first = body[0] if body else None
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
        body = body[1:]
    if not body:
        return 0
    lines = source(module).splitlines()
    comments = comment_lines(module)
    span = range(body[0].lineno, body[-1].end_lineno + 1)
    return sum(1 for n in span if lines[n - 1].strip() and comments.get(n) is not True)


def _name(node: ast.expr) -> str:
    if isinstance(node, ast.Call):
        node = node.func
    if isinstance(node, ast.Attribute):
        return node.attr
    return node.id if isinstance(node, ast.Name) else ""


def route_functions() -> list[tuple[Module, str, ast.FunctionDef]]:
    """Every method of a MethodView in service/resources/*/routes.py, every routed page view
    (service/pages/, decorated `@bp.route`, `@bp.get`, `@bp.post`, ...)."""
    out = []
    for module in modules().values():
        if module.rel.startswith("service/resources/") and module.path.name == "routes.py":
            for cls in ast.walk(tree(module)):
                if not isinstance(cls, ast.ClassDef):
                    continue
                methods = [f for f in cls.body if isinstance(f, ast.FunctionDef | ast.AsyncFunctionDef)]
                # A MethodView, directly or through a project base class that answers HTTP verbs.
                if any(_name(b) == "MethodView" for b in cls.bases) or any(f.name in HTTP_METHODS for f in methods):
                    out += [(module, f"{cls.name}.{f.name}", f) for f in methods]
        elif module.rel.startswith("service/pages/"):
            for f in ast.walk(tree(module)):
                if isinstance(f, ast.FunctionDef | ast.AsyncFunctionDef) and any(
                    isinstance(d, ast.Call) and _name(d) in ROUTE_DECORATORS for d in f.decorator_list
                ):
                    out.append((module, f.name, f))
    return out


# --- the rules -------------------------------------------------------------------------------


def test_the_walk_finds_the_packages_and_their_routes():
    # Guards the rules below against passing on an empty walk (a moved folder, a renamed base class).
    names = modules()
    assert {"solver.rules", "service", "service.resources.cycles.routes", "worker.jobs"} <= set(names)
    routes = {(m.rel, f) for m, f, _ in route_functions()}
    assert ("service/resources/cycles/routes.py", "Cycles.post") in routes
    assert any(rel.startswith("service/pages/") for rel, _ in routes)
    graph = import_graph()
    assert "service.extensions" in graph["service.models"]
    assert "solver.scenario" in graph["solver.check"]


def test_resolve_and_find_cycle_do_what_they_say():
    pkg = Module("service.resources", ROOT / "service/resources/__init__.py", True)
    mod = Module("service.resources.cycles.routes", ROOT / "service/resources/cycles/routes.py", False)
    assert resolve(mod, ast.parse("from ...models import Cycle").body[0]) == ["service.models"]
    assert resolve(mod, ast.parse("from .. import scope").body[0]) == ["service.resources.scope"]
    assert resolve(pkg, ast.parse("from .cycles.routes import blp").body[0]) == ["service.resources.cycles.routes"]
    assert resolve(mod, ast.parse("import flask.views").body[0]) == ["flask.views"]
    assert not says_something("# noqa: F401") and not says_something("# type: ignore[attr-defined]")
    assert says_something("# noqa: F401 - registers the routes") and says_something("# a fork needs its own app")
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert cycles({"a": {"b"}, "b": {"a"}, "c": {"d"}, "d": {"c"}}) == [["a", "b", "a"], ["c", "d", "c"]]


def test_no_import_cycle():
    found = cycles(import_graph())
    assert not found, "import cycles:\n" + "\n".join("  " + " -> ".join(c) for c in found)


def test_no_import_inside_a_function_hides_a_cycle():
    # An import moved into a function only postpones a circle; the modules still need each other.
    found = cycles(import_graph(with_function_imports=True))
    assert not found, "import cycles through imports inside functions:\n" + "\n".join(
        "  " + " -> ".join(c) for c in found
    )


def test_imports_inside_functions_are_few_and_each_says_why():
    found = function_imports()
    silent = {(m.rel, n.lineno) for m, n in found if not has_why(m, n)}
    listing = "\n".join(
        f"  {m.rel}:{n.lineno}" + ("  <- no comment saying why" if (m.rel, n.lineno) in silent else "")
        for m, n in found
    )
    assert len(found) <= MAX_FUNCTION_IMPORTS and not silent, (
        f"{len(found)} imports inside functions (at most {MAX_FUNCTION_IMPORTS}, each with a comment on its line "
        f"or the line above saying why), {len(silent)} without a comment:\n{listing}"
    )


def test_route_bodies_are_thin():
    long = [
        f"  {m.rel}:{f.lineno} {name}: {n} lines"
        for m, name, f in route_functions()
        if (n := code_lines(m, f.body)) > MAX_ROUTE_BODY_LINES
    ]
    assert not long, f"route bodies over {MAX_ROUTE_BODY_LINES} lines (move the work into a domain module):\n" + (
        "\n".join(long)
    )


def test_solver_imports_no_service_worker_web_db_or_queue():
    bad = []
    for module in modules().values():
        if not module.name.startswith("solver"):
            continue
        for node in ast.walk(tree(module)):
            if isinstance(node, ast.Import | ast.ImportFrom):
                for target in resolve(module, node):
                    if target.split(".")[0] in SOLVER_FORBIDDEN:
                        bad.append(f"  {module.rel}:{node.lineno} imports {target}")
    assert not bad, "the solver must stand alone:\n" + "\n".join(bad)
