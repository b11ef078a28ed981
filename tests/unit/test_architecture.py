"""The layers as ARCHITECTURE.md draws them, checked on the source: the domain knows no store
and no edge, the edges hold no SQL, and callers use LedgerService as a facade."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# What the domain never imports: the layers outside it, a store's driver, a web framework.
OUTSIDE_THE_DOMAIN = (
    "api", "projections", "bench", "eventsourcing.postgres", "eventsourcing.sqlite", "psycopg",
    "psycopg_pool", "sqlite3", "fastapi", "starlette", "pydantic", "pydantic_settings",
)
SQL = re.compile(
    r"\b(SELECT\s.+\sFROM|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|CREATE\s+(TABLE|INDEX)"
    r"|DROP\s+(TABLE|INDEX)|ALTER\s+TABLE)\b",
    re.DOTALL,
)
BEHIND_THE_FACADE = {"app", "database", "projector"}
SERVICE_NAMES = {"service", "ledger"}
# The audit's callers still hand the store to projections.audit; its facade comes with it.
def modules(folder: str) -> Iterator[tuple[str, ast.Module]]:
    for path in sorted((ROOT / folder).rglob("*.py")):
        yield path.relative_to(ROOT).as_posix(), ast.parse(path.read_text(), str(path))


def imported(tree: ast.Module) -> Iterator[tuple[int, str]]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from ((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module
            yield from ((node.lineno, f"{node.module}.{alias.name}") for alias in node.names)


def is_outside(name: str) -> bool:
    return any(name == banned or name.startswith(f"{banned}.") for banned in OUTSIDE_THE_DOMAIN)


def test_the_domain_imports_no_store_no_edge_and_no_projection() -> None:
    found = [f"{path}:{line} imports {name}"
             for path, tree in modules("domain") for line, name in imported(tree)
             if is_outside(name)]

    assert found == []


def test_no_module_of_the_edges_holds_sql() -> None:
    found = [f"{path}:{node.lineno}: {node.value[:60]!r}"
             for path, tree in modules("api") for node in ast.walk(tree)
             if isinstance(node, ast.Constant) and isinstance(node.value, str)
             and SQL.search(node.value)]

    assert found == []


def test_the_sql_check_finds_a_statement() -> None:
    assert SQL.search("SELECT name, role FROM api_tokens WHERE secret_hash = ?")
    assert SQL.search("CREATE TABLE IF NOT EXISTS web_sessions (id TEXT)")
    assert not SQL.search("Select the projects to fund, then update the plan.")


def reaches_behind(tree: ast.AST) -> list[ast.Attribute]:
    """`service.app`, `ledger.database`, `self.service.projector` and the like, in order."""
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Attribute) or node.attr not in BEHIND_THE_FACADE:
            continue
        owner = node.value
        if (isinstance(owner, ast.Name) and owner.id in SERVICE_NAMES) or (
            isinstance(owner, ast.Attribute) and owner.attr in SERVICE_NAMES
        ):
            found.append(node)
    return sorted(found, key=lambda node: (node.lineno, node.col_offset))


def test_the_edges_use_the_ledger_service_as_a_facade() -> None:
    found = [f"{path}:{node.lineno}: .{node.attr}"
             for path, tree in modules("api")
             for node in reaches_behind(tree)]

    assert found == []


def test_the_facade_check_finds_a_reach_behind_it() -> None:
    tree = ast.parse("service.database.head(); request.app.state; self.service.projector")

    assert [node.attr for node in reaches_behind(tree)] == ["database", "projector"]


def test_the_store_layer_needs_no_application_service() -> None:
    found = [f"{path}:{line} imports {name}"
             for path, tree in modules("projections/store") for line, name in imported(tree)
             if name.startswith(("domain.application", "projections.service", "api"))]

    assert found == []


def test_the_product_imports_its_own_modules_at_the_top_only() -> None:
    """An import deferred into a function is how an import circle hides (the API's errors
    and its Idempotency-Key handling once imported each other)."""
    found = [f"{path}:{node.lineno} imports {name}"
             for folder in ("domain", "projections", "api")
             for path, tree in modules(folder)
             for function in ast.walk(tree)
             if isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef)
             for node in ast.walk(function)
             if isinstance(node, ast.Import | ast.ImportFrom)
             for _, name in imported(ast.Module(body=[node], type_ignores=[]))
             if name.split(".")[0] in ("domain", "projections", "api")]

    assert found == []
