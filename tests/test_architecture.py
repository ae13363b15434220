"""The structure cannot drift back: the layers hold (import-linter's contracts in ``.importlinter``), no module imports
itself round a circle, every import inside a function says why it is there, and a task's name is used in few
modules (a fourth task is its own files and one line)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_the_import_contracts_hold(monkeypatch):
    """import-linter's contracts (.importlinter), checked in this process through its own use cases (a fast-tier test
    starts no process; its command-line entry point would take over the terminal's output)."""
    from importlinter import configuration
    from importlinter.application import use_cases

    monkeypatch.chdir(ROOT)
    monkeypatch.syspath_prepend(str(ROOT))
    configuration.configure()
    options = use_cases.read_user_options(config_filename=str(ROOT / ".importlinter"))
    use_cases._register_contract_types(options)
    report = use_cases.create_report(options, cache_dir=None)
    checks = list(report.get_contracts_and_checks())
    assert len(checks) >= 4, [contract.name for contract, _ in checks]
    broken = {contract.name: str(check.metadata)[:2000] for contract, check in checks if not check.kept}
    assert not report.contains_failures and broken == {}, broken


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


# Why an import may stand inside a function, and nothing else: the comment on its line starts with one of these.
IMPORT_REASONS = {
    "framework": "a deep-learning framework (Keras, TensorFlow, JAX, PyTorch) kept out of the processes that do not "
                 "train, the Streamlit server above all",
    "optional": "an optional dependency (Ray) that only some servers install",
    "start-up cost": "a heavy library (numpy, pandas, the tasks) kept out of a process that must start or wait light",
    "order": "it must be imported after something else happens (an environment variable a framework reads)",
}
_REASON = re.compile(r"#\s*(" + "|".join(re.escape(r) for r in IMPORT_REASONS) + r"):\s*\S")


def _function_level_imports(source: str) -> list[tuple[int, str]]:
    """Imports inside functions whose line gives no reason from :data:`IMPORT_REASONS`: (line number, line)."""
    lines = source.splitlines()
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for sub in ast.walk(node):
                if isinstance(sub, (ast.Import, ast.ImportFrom)) and not _REASON.search(lines[sub.lineno - 1]):
                    found.append((sub.lineno, lines[sub.lineno - 1].strip()))
    return found


def test_every_import_inside_a_function_says_why():
    """An import inside a function says which of the written reasons (:data:`IMPORT_REASONS`) keeps it there; any
    other import belongs at the top of its module."""
    silent = [f"{path.relative_to(ROOT)}:{line}: {text}" for folder in ("lib", "ui")
              for path in sorted((ROOT / folder).rglob("*.py")) for line, text in _function_level_imports(path.read_text())]
    assert silent == []


@pytest.mark.parametrize("line, passes", [
    ("    import keras", False),
    ("    import keras  # just because", False),
    ("    import keras  # framework:", False),  # a tag with nothing after it says nothing
    ("    import keras  # framework: the job's process only", True),
    ("    import ray  # optional: only a Ray server has it", True),
    ("    import pandas as pd  # start-up cost: a waiting worker stays light", True),
])
def test_the_import_rule_refuses_a_bare_or_unlisted_reason(line, passes):
    source = f"def f():\n{line}\n    return 1\n"
    assert (_function_level_imports(source) == []) is passes


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
