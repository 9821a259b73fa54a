"""Settings: one table (ringtrace/core/config.py SETTINGS), read when used, and the README's table made from it.

No Neo4j: these run in the unit tier."""
from __future__ import annotations

import re
from pathlib import Path

from ringtrace.core import config

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
PACKAGES = ("ringtrace", "loaders", "monitoring", "workbench", "graph", "detection", "tracing", "cases", "intel",
            "bundles", "queries", "workflows", "sample_data")
# A read of the environment: os.environ.get / os.environ[...] / os.getenv (a copy handed to a child process,
# dict(os.environ, ...), is no read of a setting).
ENV_READ = re.compile(r"os\.environ\.get|os\.environ\[|os\.getenv|environ\.get\(")


def _readme_table() -> list[str]:
    text = README.read_text()
    section = text[text.index("## Configuration\n"):text.index("## Using an existing Neo4j")]
    return [line for line in section.splitlines() if line.startswith("|")]


def test_the_readme_configuration_table_is_the_settings_table():
    """Name, variable, default and meaning of each row are SETTINGS' own (regenerate: python -m ringtrace.core.config)."""
    assert _readme_table() == config.readme_table().splitlines()


def test_the_readme_names_every_setting_with_its_default():
    rows = {}
    for line in _readme_table()[2:]:
        variable, default, _ = [c.strip() for c in line.strip("|").split("|", 2)]
        rows[variable.strip("`")] = default
    assert set(rows) == {s.variable for s in config.SETTINGS}
    for s in config.SETTINGS:
        if s.default is None:
            assert rows[s.variable] == (s.shown or "unset"), s.variable
        elif s.default:
            assert f"`{s.default}`" in rows[s.variable], s.variable


def test_the_environment_is_read_only_in_config():
    readers = []
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if path == ROOT / "ringtrace" / "core" / "config.py":
                continue
            for n, line in enumerate(path.read_text().splitlines(), 1):
                if ENV_READ.search(line):
                    readers.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()}")
    assert readers == []


def test_every_variable_the_code_names_is_a_setting():
    """A RINGTRACE_ variable mentioned anywhere in the packages is one of SETTINGS (none read on the side)."""
    known = {s.variable for s in config.SETTINGS}
    named = set()
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            named |= set(re.findall(r"\bRINGTRACE_[A-Z_]+\b", path.read_text()))
    assert named - known == set()


def test_settings_changed_after_import_take_effect(monkeypatch, tmp_path):
    """Each of these was captured once at import (a module constant or a default argument) before."""
    from detection.run import DetectionParams
    from loaders.load import Loader
    from workbench.auth import Throttle

    monkeypatch.setenv("RINGTRACE_LOAD_BATCH", "7")
    monkeypatch.setenv("RINGTRACE_LOGIN_MAX_FAILURES", "3")
    monkeypatch.setenv("RINGTRACE_LOGIN_LOCKOUT", "12")
    monkeypatch.setenv("RINGTRACE_DETECT_FDR", "0.2")
    monkeypatch.setenv("RINGTRACE_WEBHOOK_RETRIES", "9")
    monkeypatch.setenv("RINGTRACE_HOME", str(tmp_path))
    assert config.LOAD_BATCH_ROWS == 7
    assert Loader(None, tmp_path).batch_rows == 7  # type: ignore[arg-type]
    assert (Throttle().max_failures, Throttle().lockout_s) == (3, 12.0)
    assert DetectionParams().fdr == 0.2
    assert config.WEBHOOK_RETRIES == 9
    monkeypatch.delenv("RINGTRACE_LOAD_BATCH")
    assert config.LOAD_BATCH_ROWS == 5000


def test_cli_user_is_read_when_asked(monkeypatch, tmp_path):
    from ringtrace.core import rights

    monkeypatch.setenv("RINGTRACE_HOME", str(tmp_path))
    monkeypatch.delenv("RINGTRACE_USER", raising=False)
    monkeypatch.setenv("USER", "somebody")
    assert rights.cli_actor().name == "cli:somebody"
    (tmp_path / "users.json").write_text('{"vera": {"role": "viewer", "hash": "x"}}')
    monkeypatch.setenv("RINGTRACE_USER", "vera")
    assert (rights.cli_actor().name, rights.cli_actor().role) == ("vera", "viewer")


def test_cli_option_defaults_are_read_when_the_command_runs(monkeypatch):
    """`--timeout`, `--row-cap` and `--fdr` took their defaults at import before."""
    import click

    from ringtrace.cli.commands.detect import detect
    from ringtrace.cli.commands.query import query_run

    monkeypatch.setenv("RINGTRACE_QUERY_TIMEOUT", "4")
    monkeypatch.setenv("RINGTRACE_QUERY_ROW_CAP", "11")
    monkeypatch.setenv("RINGTRACE_DETECT_FDR", "0.3")

    def default(command: click.Command, option: str):
        param = next(p for p in command.params if p.name == option)
        return param.get_default(click.Context(command), call=True)

    assert (default(query_run, "timeout"), default(query_run, "row_cap")) == (4.0, 11)
    assert default(detect, "fdr") == 0.3
