"""A wheel holds what the commands read (issue 24): every package, the pom files, the workbench's entry
script and the sample are package data found through importlib.resources, never through the checkout.
`.ci/fresh-install` checks the real thing (a new venv, `pip install .`, the demo from another folder);
these catch a new package, data file or source-tree path before it gets there."""
from __future__ import annotations

import ast
import fnmatch
import tomllib
from pathlib import Path

from ringtrace.core import config
from ringtrace.server import local_neo4j

REPO = Path(__file__).resolve().parents[2]
SETUPTOOLS = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]
NOT_SHIPPED = ("tests", "bench", "build", "dist")


def _shipped_dirs() -> dict[str, Path]:
    return {name: REPO / Path(*name.split(".")) for name in SETUPTOOLS["packages"]}


def _covered(package: str, relative: str) -> bool:
    return any(fnmatch.fnmatch(relative, glob) for glob in SETUPTOOLS.get("package-data", {}).get(package, []))


def test_every_package_of_the_checkout_is_in_the_wheel():
    found = {".".join(p.parent.relative_to(REPO).parts) for p in REPO.rglob("__init__.py")
             if p.parent.relative_to(REPO).parts[0] not in NOT_SHIPPED
             and not p.parent.relative_to(REPO).parts[0].startswith(".")}
    assert found == set(SETUPTOOLS["packages"])


def test_every_data_file_of_a_package_is_package_data():
    """Files beside the modules (.cypher queries, the sample, the pom files) are listed in package-data."""
    dirs = _shipped_dirs()
    missing = []
    for package, folder in dirs.items():
        for f in folder.rglob("*"):
            rel = f.relative_to(folder)
            if f.is_dir() or f.suffix in (".py", ".pyc") or "__pycache__" in rel.parts:
                continue
            if any(folder / Path(*rel.parts[:i]) in dirs.values() for i in range(1, len(rel.parts))):
                continue  # belongs to a subpackage, checked there
            if not _covered(package, rel.as_posix()):
                missing.append(f"{package}: {rel.as_posix()}")
    assert not missing, f"not in [tool.setuptools.package-data]: {missing}"


def test_what_the_commands_read_is_found_through_the_installed_packages():
    assert local_neo4j.NEO4J_POM.is_file() and local_neo4j.GDS_POM.is_file()
    assert (config.sample_dir() / "accounts.csv").is_file()
    assert config.workbench_script().is_file()
    assert config.workbench_server().is_file()  # what `ringtrace app` gives `streamlit run` (the gate in front)
    assert not (config.workbench_script().parent / "pages").exists()  # Streamlit would run it as old-style pages


def test_no_shipped_code_finds_files_relative_to_the_checkout():
    """`Path(__file__)...parent.parent` or a project root: right in a checkout, wrong in a wheel."""
    offenders = []
    for folder in _shipped_dirs().values():
        for f in folder.glob("*.py"):
            text = f.read_text()
            for node in ast.walk(ast.parse(text)):
                if isinstance(node, ast.Attribute) and node.attr == "parent" \
                        and isinstance(node.value, ast.Attribute) and node.value.attr == "parent" \
                        and "__file__" in ast.unparse(node):
                    offenders.append(f"{f.relative_to(REPO)}: {ast.unparse(node)}")
            if "PROJECT_ROOT" in text:
                offenders.append(f"{f.relative_to(REPO)}: PROJECT_ROOT")
    assert not offenders, offenders
