"""The structure cannot drift back: the layers hold (import-linter's contracts in ``.importlinter``), no module imports
itself round a circle, every import inside a function says why it is there, and a task's name is used in few
modules (a fourth task is its own files and one line)."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_the_import_contracts_hold():
    linter = shutil.which("lint-imports", path=str(Path(sys.executable).parent)) or shutil.which("lint-imports")
    assert linter, "import-linter is not installed (requirements.txt installs it)"
    done = subprocess.run([linter, "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "0 broken" in done.stdout


def _import_graph():
    import grimp

    graph = grimp.build_graph("lib", "ui", cache_dir=None)
    return {m: graph.find_modules_directly_imported_by(m) for m in graph.modules}


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan's algorithm, iterative)."""
    index, low, on_stack, stack, found, counter = {}, {}, set(), [], [], [0]

    def visit(start):
        work = [(start, iter(sorted(edges.get(start, ()))))]
        index[start] = low[start] = counter[0]
        counter[0] += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in edges:
                    continue
                if child not in index:
                    index[child] = low[child] = counter[0]
                    counter[0] += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, ())))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))

    for module in sorted(edges):
        if module not in index:
            visit(module)
    return found


def test_the_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_no_module_imports_itself_round_a_circle():
    """Package __init__ modules are left out: a package that re-exports its modules is not a circle of logic."""
    edges = {m: {d for d in deps if not d.endswith("__init__")} for m, deps in _import_graph().items()}
    assert _cycles(edges) == []


def _function_level_imports(path: Path) -> list[tuple[int, str]]:
    lines = path.read_text().splitlines()
    found = []
    for node in ast.walk(ast.parse("\n".join(lines))):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for sub in ast.walk(node):
                if isinstance(sub, (ast.Import, ast.ImportFrom)) and "#" not in lines[sub.lineno - 1]:
                    found.append((sub.lineno, lines[sub.lineno - 1].strip()))
    return found


def test_every_import_inside_a_function_says_why():
    """An import inside a function keeps a framework (Keras, TensorFlow, JAX, PyTorch, Ray) out of the processes that
    do not need it, the Streamlit server above all; each says so in a comment. Any other belongs at the top."""
    silent = [f"{path.relative_to(ROOT)}:{line}: {text}" for folder in ("lib", "ui")
              for path in sorted((ROOT / folder).rglob("*.py")) for line, text in _function_level_imports(path)]
    assert silent == []


def _names_used(path: Path, name: str) -> bool:
    """Whether ``path`` uses the task ``name`` as an identifier: the text itself, or an import of its modules."""
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and node.value == name:
            return True
        if isinstance(node, ast.ImportFrom) and node.module and (node.module.split(".")[-1] == name or
                                                                  any(a.name == name for a in node.names)):
            return True
        if isinstance(node, ast.Import) and any(a.name.split(".")[-1] == name for a in node.names):
            return True
    return False


@pytest.mark.parametrize("name", ["dr", "lung2d", "lung3d"])
def test_each_task_name_appears_in_at_most_five_modules(name):
    """In the app (lib, ui, pages, app.py). The benchmarks that compare every task read the registry too
    (``bench/presets.py``); the ones that measure one task's workload (``bench/lung2d.py``) name it on purpose."""
    modules = [p for folder in ("lib", "ui", "pages") for p in sorted((ROOT / folder).rglob("*.py"))]
    modules.append(ROOT / "app.py")
    using = [str(p.relative_to(ROOT)) for p in modules if _names_used(p, name)]
    assert len(using) <= 5, using
