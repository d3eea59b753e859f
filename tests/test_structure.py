"""The code stays in a shape one can hold in one's head: no module (outside migrations) passes 500 lines, no
module imports itself back through others (any import counts: at the top, inside a function, or for type
checking only), raw SQL lives only in disputes/sql/ and the benchmarks' support, and no service imports the
Celery tasks (services enqueue them by name through disputes.jobs)."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("disputes", "backoffice")
MAX_LINES = 500


def modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def imports_of(path: Path, known: dict[str, Path]) -> set[str]:
    """The project modules `path` imports, wherever the import statement is."""
    targets = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                candidate = f"{node.module}.{alias.name}"
                targets.add(candidate if candidate in known else node.module)
        elif isinstance(node, ast.Import):
            targets.update(alias.name for alias in node.names)
    return {target for target in targets if target in known}


def test_no_module_passes_500_lines():
    long = {
        name: lines
        for name, path in modules().items()
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}


def test_there_is_no_import_loop():
    known = modules()
    graph = {name: imports_of(path, known) for name, path in known.items()}
    # A package's __init__ that only re-exports its own modules is the package itself, not a loop.
    for name in graph:
        graph[name] = {target for target in graph[name] if not name.startswith(target + ".")}
    loops = []
    state: dict[str, int] = {}

    def visit(name: str, path: list[str]) -> None:
        state[name] = 1
        for target in sorted(graph[name]):
            if state.get(target) == 1:
                loops.append([*path[path.index(target) :], target])
            elif target not in state:
                visit(target, [*path, target])
        state[name] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert loops == []


def test_raw_sql_lives_in_marked_modules():
    allowed = ("disputes.sql", "disputes.management")
    offenders = []
    for name, path in modules().items():
        if name.startswith(allowed):
            continue
        text = path.read_text(encoding="utf-8")
        if "cursor.execute(" in text or "RawSQL(" in text or ".raw(" in text:
            offenders.append(name)
    assert offenders == []


def test_no_service_imports_the_tasks():
    known = modules()
    importers = {name for name, path in known.items() if "disputes.tasks" in imports_of(path, known)}
    assert importers <= {"disputes.apps"}
