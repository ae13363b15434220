"""docs/configuration.md against the code: every ``DLMI_*`` variable the code reads is listed there and every one listed
is read, every variable ``scripts/`` exports is there, and every key of the class file is there."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from lib.access.policy import ClassSettings

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "configuration.md"
# What the app and its command line run: the benchmarks and the tests only set variables for the code to read.
CODE = ("lib", "ui", "pages", "scripts", "server.py", "app.py")
VARIABLE = re.compile(r"\bDLMI_[A-Z0-9_]+")


def code_variables(roots) -> dict[str, list[str]]:
    """Every ``DLMI_*`` name in the files under ``roots`` (folders or files), with the files that name it."""
    found: dict[str, list[str]] = {}
    for root in map(Path, roots):
        for path in sorted([root] if root.is_file() else root.rglob("*")):
            if not path.is_file() or "__pycache__" in path.parts:
                continue
            for name in set(VARIABLE.findall(path.read_text(errors="ignore"))):
                found.setdefault(name, []).append(str(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path))
    return found


def _section(text: str, heading: str) -> str:
    """The lines of ``text`` from the ``## heading`` line to the next ``## `` heading."""
    start = text.index(f"\n## {heading}\n")
    end = text.find("\n## ", start + 1)
    return text[start:] if end < 0 else text[start:end]


def table_names(section: str) -> set[str]:
    """The names in the first column of a Markdown table (each written as code: ``| `NAME` | ...``)."""
    return {m.group(1) for m in re.finditer(r"^\| `([^`]+)` \|", section, re.MULTILINE)}


def listed_variables(text: str) -> set[str]:
    return {n for n in table_names(_section(text, "`DLMI_*` variables")) if VARIABLE.fullmatch(n)}


def missing_and_unread(code: dict[str, list[str]], listed: set[str]) -> tuple[dict[str, list[str]], set[str]]:
    return {n: where for n, where in code.items() if n not in listed}, set(listed) - set(code)


def class_file_keys() -> set[str]:
    """The keys ``parse_class`` accepts (its set of known fields) and those ``ClassSettings`` writes."""
    tree = ast.parse((ROOT / "lib" / "access" / "policy.py").read_text())
    [function] = [node for node in ast.walk(tree) if isinstance(node, ast.FunctionDef) and node.name == "parse_class"]
    accepted = set()
    for node in ast.walk(function):
        if isinstance(node, ast.Set) and all(isinstance(e, ast.Constant) and isinstance(e.value, str) for e in node.elts):
            accepted |= {e.value for e in node.elts}
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get"
                and isinstance(node.func.value, ast.Name) and node.func.value.id == "data" and node.args
                and isinstance(node.args[0], ast.Constant)):
            accepted.add(node.args[0].value)
    assert accepted, "found no field names in parse_class: this test no longer reads it"
    return accepted | set(ClassSettings().to_json())


def test_every_variable_the_code_reads_is_on_the_page():
    missing, _ = missing_and_unread(code_variables(ROOT / c for c in CODE), listed_variables(PAGE.read_text()))
    assert not missing, ("read by the code but not listed in docs/configuration.md's `DLMI_*` table (add a row with "
                         f"its default and what it changes): {missing}")


def test_every_variable_on_the_page_is_read_by_the_code():
    _, unread = missing_and_unread(code_variables(ROOT / c for c in CODE), listed_variables(PAGE.read_text()))
    assert not unread, f"listed in docs/configuration.md but read nowhere in {', '.join(CODE)}: {sorted(unread)}"


def test_every_variable_the_scripts_export_is_on_the_page():
    exported = {m.group(1) for script in (ROOT / "scripts").glob("*.sh")
                for m in re.finditer(r"^\s*export\s+([A-Z_][A-Z0-9_]*)=", script.read_text(), re.MULTILINE)}
    assert "FORWARDED_ALLOW_IPS" in exported  # scripts/app.sh's, which this test was written for
    listed = table_names(PAGE.read_text())
    assert not exported - listed, f"exported by scripts/ but not on docs/configuration.md: {sorted(exported - listed)}"


def test_every_class_file_key_is_on_the_page():
    keys = class_file_keys()
    assert {"auth", "users", "lecturers", "max_active_runs", "caps"} <= keys
    listed = table_names(_section(PAGE.read_text(), "The class file"))
    assert not keys - listed, f"class-file keys missing from docs/configuration.md: {sorted(keys - listed)}"
    assert not listed - keys, f"docs/configuration.md lists class-file keys parse_class refuses: {sorted(listed - keys)}"


def test_a_planted_variable_is_caught_both_ways(tmp_path):
    """The check can fail: a variable only the code reads, and one only the page lists, are both reported."""
    (tmp_path / "module.py").write_text('import os\nos.environ.get("DLMI_PLANTED_BY_THE_TEST", "")\n')
    page = "# x\n\n## `DLMI_*` variables\n\n| variable | default |\n| --- | --- |\n| `DLMI_ONLY_ON_THE_PAGE` | 1 |\n"
    missing, unread = missing_and_unread(code_variables([tmp_path]), listed_variables(page))
    assert list(missing) == ["DLMI_PLANTED_BY_THE_TEST"]
    assert unread == {"DLMI_ONLY_ON_THE_PAGE"}
