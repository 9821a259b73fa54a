"""Floors you can see in the tree (issue 28 item 5), read from the source with `ast` (nothing is imported):

- ringtrace.core, the ground floor, imports nothing of ours outside ringtrace.core;
- ringtrace.server (the local server manager) imports the ground floor only;
- only the CLI (ringtrace.cli) imports the CLI;
- the sample generators (sample_data.generators) import the ground floor at most, never the CLI;
- an import inside a function says why, with a measured figure: a `# deferred:` comment on it or on the
  comment lines right above its run of imports;
- the domain code of cases and intel checks no rights and writes no audit record (the workflows do: item 8).
"""
from __future__ import annotations

import ast
import io
import re
import tokenize
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
OURS = ("ringtrace", "graph", "loaders", "detection", "tracing", "queries", "bundles", "cases", "workflows",
        "monitoring", "intel", "workbench", "sample_data", "app", "bench", "tests")
NOT_CODE = ("tests", "build", "dist")  # the tests may import anything; they are not a floor
DEFERRED = re.compile(r"#\s*deferred:.*\d")  # the reason, with its figure


@dataclass(frozen=True)
class Import:
    module: str        # the importing module, dotted (`ringtrace.core.config`, `bench.baselines`, `app`)
    imported: str      # what it names, dotted (`from graph.db import plain` -> `graph.db.plain`)
    line: int
    in_function: bool
    deferred: bool     # a `# deferred: ... <figure>` comment covers it


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _comments(text: str) -> dict[int, str]:
    found: dict[int, str] = {}
    for tok in tokenize.generate_tokens(io.StringIO(text).readline):
        if tok.type == tokenize.COMMENT:
            found[tok.start[0]] = tok.string
    return found


def imports_of(path: Path, root: Path) -> list[Import]:
    """Every import statement of one file, with whether it sits in a function and whether it says why."""
    text = path.read_text()
    lines = text.splitlines()
    comments = _comments(text)
    module = _module_name(path, root)
    nodes: list[tuple[ast.Import | ast.ImportFrom, bool]] = []

    def walk(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.Import, ast.ImportFrom)):
                nodes.append((child, in_function))
            walk(child, in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)))

    walk(ast.parse(text), False)
    import_lines = {n for node, _ in nodes for n in range(node.lineno, node.end_lineno + 1)}

    def covered(node: ast.AST) -> bool:
        own = range(node.lineno, node.end_lineno + 1)
        if any(DEFERRED.search(comments.get(n, "")) for n in own):
            return True
        n = node.lineno - 1  # up through the imports of its run and the comment lines right above them
        while n >= 1 and (n in import_lines or lines[n - 1].strip().startswith("#")):
            if DEFERRED.search(comments.get(n, "")):
                return True
            n -= 1
        return False

    found = []
    for node, in_function in nodes:
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        else:
            base = node.module or ""
            if node.level:  # relative: resolved against the importing package
                package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
                base = ".".join(package[:len(package) - node.level + 1] + ([base] if base else []))
            names = [f"{base}.{a.name}" for a in node.names]
        found += [Import(module, name, node.lineno, in_function, covered(node)) for name in names]
    return found


def code_files(root: Path) -> list[Path]:
    """Every Python file that is not a test: the packages, app.py and bench/."""
    return sorted(p for p in root.rglob("*.py")
                  if p.relative_to(root).parts[0] not in NOT_CODE and not p.relative_to(root).parts[0].startswith("."))


def _ours(name: str) -> bool:
    return name.split(".")[0] in OURS


def _within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def violations(root: Path) -> list[str]:
    """What breaks the floors in the tree under `root`, one line each (empty: none)."""
    found = []
    for path in code_files(root):
        for imp in imports_of(path, root):
            where = f"{path.relative_to(root)}:{imp.line}"
            if _within(imp.module, "ringtrace.core") and _ours(imp.imported) \
                    and not _within(imp.imported, "ringtrace.core"):
                found.append(f"{where}: the ground floor imports {imp.imported}")
            if _within(imp.module, "ringtrace.server") and _ours(imp.imported) \
                    and not (_within(imp.imported, "ringtrace.core") or _within(imp.imported, "ringtrace.server")):
                found.append(f"{where}: the server manager imports {imp.imported}")
            if _within(imp.imported, "ringtrace.cli") and not _within(imp.module, "ringtrace.cli"):
                found.append(f"{where}: {imp.module} imports the CLI ({imp.imported})")
            if _within(imp.module, "sample_data.generators") and _ours(imp.imported) \
                    and not (_within(imp.imported, "ringtrace.core") or _within(imp.imported, "sample_data.generators")):
                found.append(f"{where}: a generator imports {imp.imported}")
            if imp.in_function and not imp.deferred:
                found.append(f"{where}: {imp.imported} is imported in a function without a `# deferred:` reason "
                             "and figure")
            if (_within(imp.module, "cases") or _within(imp.module, "intel")) and (
                    _within(imp.imported, "ringtrace.core.audit") or imp.imported == "ringtrace.core.rights.require"):
                found.append(f"{where}: domain code imports {imp.imported} (rights and audit are the workflows')")
    return found


def test_the_tree_keeps_its_floors():
    assert violations(ROOT) == []


def test_the_check_reads_the_whole_tree():
    """Not vacuous: it sees every floor, the CLI's imports and the deferred ones."""
    files = code_files(ROOT)
    modules = {_module_name(p, ROOT) for p in files}
    assert {"ringtrace.core.config", "ringtrace.server.local_neo4j", "ringtrace.cli.commands.case",
            "sample_data.generators.scenarios", "cases.store", "intel.taxii", "app"} <= modules
    imports = [i for p in files for i in imports_of(p, ROOT)]
    assert any(i.module == "ringtrace.cli" and i.imported == "ringtrace.cli.commands.register" for i in imports)
    assert any(i.in_function and i.deferred for i in imports)


PLANTED = {
    "ringtrace/core/config.py": ("from graph.db import plain\n", "the ground floor imports graph.db.plain"),
    "ringtrace/server/journal.py": ("from loaders import logstore\n", "the server manager imports loaders.logstore"),
    "workflows/cases.py": ("from ringtrace.cli import main\n", "workflows.cases imports the CLI"),
    "sample_data/generators/stealth.py": ("from ringtrace.cli.terminal import console\n", "a generator imports"),
    "detection/similar.py": ("def later():\n    import networkx\n", "networkx is imported in a function"),
    "cases/store.py": ("from ringtrace.core import audit\n", "domain code imports ringtrace.core.audit"),
    "intel/reports.py": ("from ringtrace.core.rights import require\n", "domain code imports ringtrace.core.rights"),
}


@pytest.mark.parametrize("relative", sorted(PLANTED))
def test_a_planted_violation_is_found(tmp_path, relative):
    """Each rule fails on a violation planted in a copy of one file (the copy's only file)."""
    code, message = PLANTED[relative]
    planted = tmp_path / relative
    planted.parent.mkdir(parents=True)
    planted.write_text((ROOT / relative).read_text() + "\n" + code)
    found = violations(tmp_path)
    assert any(message in v for v in found), found
    planted.write_text((ROOT / relative).read_text())
    assert violations(tmp_path) == []


def test_a_deferred_import_needs_its_reason_and_figure(tmp_path):
    module = tmp_path / "graph" / "lazy.py"
    module.parent.mkdir()
    module.write_text("def a():\n    # deferred: pandas adds 0.30 s to every CLI start\n    import pandas\n"
                      "    import numpy\n\n    return pandas, numpy\n\n\n"
                      "def b():\n    import scipy  # deferred: scipy adds 0.15 s to every CLI start\n\n\n"
                      "def c():\n    # deferred: it is slow\n    import networkx\n")
    assert [v.split(": ", 1)[1] for v in violations(tmp_path)] == [
        "networkx is imported in a function without a `# deferred:` reason and figure"]
