"""Imports point one way: this test reads them (ast) and fails on an arrow that must never exist.

The validator, staffing and the simulation never import the model or the
search, so a change to a rule cannot move a plan and its check together; the
model holds rules only; readers do not import writers; and no module reaches
back, through any chain, to one that imports it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "scheduler"

FORBIDDEN = [  # (importer prefix, imported prefix, why)
    ("scheduler.validate", "scheduler.model", "the validator checks the model; it must not share its code"),
    ("scheduler.validate", "scheduler.search", "the validator must not depend on how plans are found"),
    ("scheduler.staffing", "scheduler.model", "staffing is the model's input, never the reverse"),
    ("scheduler.staffing", "scheduler.search", "staffing is the search's input, never the reverse"),
    ("scheduler.simulate", "scheduler.model", "the simulation plays a roster, whatever made it"),
    ("scheduler.simulate", "scheduler.search", "the simulation plays a roster, whatever made it"),
    ("scheduler.model", "scheduler.search", "the model holds rules; the strategy lives in search/"),
    ("scheduler.model", "scheduler.cli", "the library never imports its command line"),
    ("scheduler.model", "scheduler.io", "the model reads typed data, not files"),
    ("scheduler.week", "scheduler.model", "week.py is what the model and its check share"),
    ("scheduler.week", "scheduler.validate", "week.py is what the model and its check share"),
    *[(reader, writer, "a reader must not depend on a writer")
      for reader in ("scheduler.io.tables", "scheduler.io.scenario", "scheduler.io.roster", "scheduler.io.history")
      for writer in ("scheduler.io.workbook", "scheduler.io.reports", "scheduler.io.files")],
    *[(lib, "scheduler.cli", "the library never imports its command line")
      for lib in ("scheduler.search", "scheduler.validate", "scheduler.staffing", "scheduler.io", "scheduler.plan",
                  "scheduler.whatif", "scheduler.simulate", "scheduler.forecasting", "scheduler.reviewing")],
]


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in PACKAGE.rglob("*.py")}


def imports_of(path: Path, known: dict[str, Path]) -> set[str]:
    """Every scheduler module `path` imports, at the top or inside a function: `from scheduler.x import y`
    names module scheduler.x.y where that is a module, else scheduler.x."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name.startswith("scheduler")}
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("scheduler") and not node.level:
            for a in node.names:
                sub = f"{node.module}.{a.name}"
                out.add(sub if sub in known else node.module)
    return out


def graph() -> dict[str, set[str]]:
    known = modules()
    return {name: {m for m in imports_of(path, known) if m in known and m != name} for name, path in known.items()}


def _under(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def forbidden_arrows(g: dict[str, set[str]]) -> list[str]:
    return [f"{a} -> {b}: {why}" for a, targets in sorted(g.items()) for b in sorted(targets)
            for src, dst, why in FORBIDDEN if _under(a, src) and _under(b, dst)]


def circles(g: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected set of more than one module (Tarjan), i.e. every import circle."""
    index, low, stack, on, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in g.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))
    for v in sorted(g):
        if v not in index:
            visit(v)
    return out


def test_no_forbidden_import_arrow():
    assert forbidden_arrows(graph()) == []


def test_no_import_circle():
    assert circles(graph()) == []


def test_the_check_finds_an_arrow_and_a_circle_added_on_purpose():
    """The test is only worth something if it fails: add the arrows it exists to catch to the real graph."""
    g = graph()
    g["scheduler.validate.checks"] = g["scheduler.validate.checks"] | {"scheduler.model.rules"}
    assert forbidden_arrows(g) == ["scheduler.validate.checks -> scheduler.model.rules: "
                                   "the validator checks the model; it must not share its code"]
    g = graph()
    g["scheduler.week"] = g["scheduler.week"] | {"scheduler.plan"}
    assert any("scheduler.week" in c and "scheduler.plan" in c for c in circles(g))


@pytest.mark.parametrize("name, path", sorted(modules().items()))
def test_no_module_above_500_lines(name, path):
    assert len(path.read_text(encoding="utf-8").splitlines()) <= 500, name
