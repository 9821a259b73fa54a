"""The CLI as an investigator meets it: markup-free output, full ids, short cluster ids, clear errors."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from cli_helpers import run_cli


def test_query_help_shows_its_options():
    code, out = run_cli("query", "--help")
    assert code == 0 and "--param" in out and "--format" in out and "--timeout" in out


def test_sample_writes_exactly_the_accounts_asked_for(tmp_path):
    for n in (1234, 2001):
        code, out = run_cli("sample", str(tmp_path / f"s{n}"), "--accounts", str(n))
        assert code == 0, out
        assert len(pd.read_csv(tmp_path / f"s{n}" / "accounts.csv")) == n


def test_load_help_names_the_load_paths():
    code, out = run_cli("load", "--help")
    assert code == 0 and "--mode" in out and "bulk" in out and "incremental" in out and "--profile" in out


def test_the_home_does_not_depend_on_the_current_folder(tmp_path, monkeypatch):
    from ringtrace.core import config

    monkeypatch.delenv("RINGTRACE_HOME", raising=False)
    homes = set()
    for d in (tmp_path, Path("/")):
        monkeypatch.chdir(d)
        homes.add(config.home())
    assert len(homes) == 1 and homes == {config.default_home().resolve()}


@pytest.mark.parametrize("scenario", ["marketplace", "fragmented"])
def test_scenarios_write_their_tables(tmp_path, scenario):
    n = 3000 if scenario == "marketplace" else 10000  # enough fraud for several ~30-account card groups
    code, out = run_cli("sample", str(tmp_path / scenario), "--accounts", str(n), "--scenario", scenario)
    assert code == 0, out
    d = tmp_path / scenario
    truth = pd.read_csv(d / "truth.csv", dtype=str, keep_default_na=False)
    assert len(pd.read_csv(d / "accounts.csv")) == n and len(truth) == n
    if scenario == "marketplace":
        assert not list(d.glob("exchanges.*")), "no request log"
        rings = truth[truth["is_fraud"] == "true"].groupby("campaign_id").size()
        assert rings.between(2, 10).all() and len(rings) > 10
        assert (d / "account_identifiers.csv").exists() and (d / "account_links.csv").exists()
    else:
        cards = pd.read_csv(d / "account_cards.csv").merge(truth, on="account_id")
        per_campaign = cards[cards["is_fraud"] == "true"].groupby("campaign_id")["card_fingerprint"].nunique()
        assert (per_campaign >= 8).all()  # several card groups per campaign, each with its own cards


@pytest.mark.parametrize("command", [("changes",), ("alerts",), ("intel",), ("intel", "import"), ("intel", "export"),
                                     ("intel", "publish"), ("intel", "pull")])
def test_monitoring_and_intel_commands_have_help(command):
    done = subprocess.run([sys.executable, "-m", "ringtrace.cli", *command, "--help"], capture_output=True, text=True)
    assert done.returncode == 0 and "Usage:" in done.stdout and len(done.stdout) > 200, done.stderr
