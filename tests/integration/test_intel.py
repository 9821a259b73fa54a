"""Indicator exchange on a real Neo4j: a partner's STIX 2.1 bundle matched against the sample, malformed
bundles refused whole, and a case's indicators published to and pulled from a real TAXII 2.1 server
(medallion) on loopback."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import uuid

import pandas as pd
import pytest
from browser_helpers import free_port
from conftest import SAMPLE

from cases import store, watchlist
from intel import stix_in, taxii
from ringtrace.core.errors import RingtraceError
from ringtrace.core.rights import Actor

ADMIN = Actor("tester", "admin")


COUNT_INTEL = "MATCH (n) WHERE n:IntelReport OR n:Indicator OR n:Alert RETURN count(n) AS n"


TAXII_START_S = 30


def _sid(kind: str) -> str:
    return f"{kind}--{uuid.uuid4()}"


def _users_by_ip() -> dict[str, set[str]]:
    """Who used each address in the sample files (sign-up, login, request), read without ringtrace."""
    frames = [pd.read_csv(SAMPLE / "accounts.csv", dtype=str)[["account_id", "signup_ip"]].rename(
        columns={"signup_ip": "ip"}),
        pd.read_parquet(SAMPLE / "logins.parquet")[["account_id", "ip"]],
        pd.read_parquet(SAMPLE / "exchanges.parquet")[["account_id", "ip"]]]
    both = pd.concat(frames).dropna()
    return {ip: set(g["account_id"]) for ip, g in both.groupby("ip")}


def _partner_bundle(ips: list[str], card: str) -> dict:
    partner = {"type": "identity", "spec_version": "2.1", "id": _sid("identity"), "name": "Partner Cloud (fictional)",
               "identity_class": "organization", "created": "2026-11-01T00:00:00.000Z",
               "modified": "2026-11-01T00:00:00.000Z"}
    stamp = {"spec_version": "2.1", "created": "2026-11-02T00:00:00.000Z", "modified": "2026-11-02T00:00:00.000Z",
             "created_by_ref": partner["id"]}
    indicators = [{"type": "indicator", "id": _sid("indicator"), "pattern": f"[ipv4-addr:value = '{ip}']",
                   "pattern_type": "stix", "valid_from": "2026-11-02T00:00:00Z", **stamp} for ip in ips[:2]]
    observable = {"type": "ipv4-addr", "spec_version": "2.1", "id": _sid("ipv4-addr"), "value": ips[2]}
    card_ind = {"type": "indicator", "id": _sid("indicator"), "pattern_type": "stix",
                "pattern": f"[x-ringtrace-identifier:kind = 'card' AND x-ringtrace-identifier:value = '{card}']",
                "valid_from": "2026-11-02T00:00:00Z", **stamp}
    odd = {"type": "indicator", "id": _sid("indicator"), "pattern_type": "stix",
           "pattern": "[file:hashes.'SHA-256' = 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f']",
           "valid_from": "2026-11-02T00:00:00Z", **stamp}
    objects = [*indicators, observable, card_ind, odd]
    report = {"type": "report", "id": _sid("report"), "name": "Distillation proxies seen at Partner Cloud",
              "published": "2026-11-02T00:00:00Z", "report_types": ["threat-actor"],
              "object_refs": [o["id"] for o in objects], **stamp}
    return {"type": "bundle", "id": _sid("bundle"), "objects": [partner, report, *objects]}


def test_a_partner_bundle_alerts_on_exactly_the_accounts_using_its_items(sample_loaded, tmp_path):
    g = sample_loaded
    users = _users_by_ip()
    ips = sorted((ip for ip, who in users.items() if 2 <= len(who) <= 5), key=lambda ip: (-len(users[ip]), ip))[:3]
    cards = pd.read_csv(SAMPLE / "account_cards.csv", dtype=str)
    per_card = cards.groupby("card_fingerprint")["account_id"].apply(set)
    card = sorted(per_card[per_card.map(len) >= 2].index)[0]
    expected = set().union(*(users[ip] for ip in ips)) | per_card[card]
    path = tmp_path / "partner.json"
    path.write_text(json.dumps(_partner_bundle(ips, card)))
    cli = subprocess.run([sys.executable, "-m", "ringtrace.cli", "intel", "import", str(path)], capture_output=True,
                         text=True)
    assert cli.returncode == 0, cli.stderr
    assert "is not an item ringtrace can match" in " ".join(cli.stdout.split())  # a file hash: valid, not ours
    rows = g.read("MATCH (al:Alert {source: 'intel'}) RETURN al.accounts AS accounts, al.report AS report, "
                  "al.kind AS kind, al.value AS value")
    alerted = {a for r in rows for a in r["accounts"]}
    assert alerted == expected, (sorted(alerted ^ expected))
    assert {(r["kind"], r["value"]) for r in rows} == {("ip", ip) for ip in ips} | {("card", card)}
    assert {r["report"] for r in rows} == {"Distillation proxies seen at Partner Cloud"}
    again = subprocess.run([sys.executable, "-m", "ringtrace.cli", "intel", "import", str(path)],
                           capture_output=True, text=True)
    assert again.returncode == 0 and "0 new alert(s)" in " ".join(again.stdout.split())  # nobody alerts twice


def test_an_or_of_observations_alerts_on_the_accounts_of_each_and_loose_parts_are_named(sample_loaded, tmp_path):
    """`[ipv4-addr:value = 'a'] OR [ipv4-addr:value = 'b']` (two observations, common in shared feeds) is
    matched observable by observable; what ringtrace matches loosely (AND across observations, FOLLOWEDBY,
    qualifiers) is said per indicator."""
    g = sample_loaded
    users = _users_by_ip()
    alone = sorted((ip for ip, who in users.items() if len(who) == 1), key=lambda ip: (sorted(users[ip]), ip))
    first = alone[0]
    second = next(ip for ip in alone if users[ip] != users[first])
    expected = users[first] | users[second]
    stamp = {"spec_version": "2.1", "created": "2026-11-02T00:00:00.000Z", "modified": "2026-11-02T00:00:00.000Z",
             "valid_from": "2026-11-02T00:00:00Z", "pattern_type": "stix"}
    either = {"type": "indicator", "id": _sid("indicator"), **stamp,
              "pattern": f"[ipv4-addr:value = '{first}'] OR [ipv4-addr:value = '{second}']"}
    sequence = {"type": "indicator", "id": _sid("indicator"), **stamp,
                "pattern": f"([ipv4-addr:value = '{first}'] FOLLOWEDBY [ipv4-addr:value = '{second}']) "
                           "WITHIN 600 SECONDS"}
    report = {"type": "report", "id": _sid("report"), "name": "Two exits, one feed", "report_types": ["campaign"],
              "published": "2026-11-02T00:00:00Z", "object_refs": [either["id"], sequence["id"]],
              **{k: stamp[k] for k in ("spec_version", "created", "modified")}}
    path = tmp_path / "or.json"
    path.write_text(json.dumps({"type": "bundle", "id": _sid("bundle"), "objects": [report, either, sequence]}))
    cli = subprocess.run([sys.executable, "-m", "ringtrace.cli", "intel", "import", str(path)], capture_output=True,
                         text=True)
    assert cli.returncode == 0, cli.stderr
    out = " ".join(cli.stdout.split())
    assert "Skipped" not in out, out
    assert f"Matched loosely {sequence['id']}: FOLLOWEDBY matched as OR" in out, out
    assert f"Matched loosely {sequence['id']}: qualifier WITHIN 600 SECONDS not checked" in out, out
    assert f"Matched loosely {either['id']}" not in out, out  # an OR is matched exactly
    rows = g.read("MATCH (al:Alert {source: 'intel', report: 'Two exits, one feed'}) "
                  "RETURN al.value AS value, al.accounts AS accounts")
    assert {r["value"]: set(r["accounts"]) for r in rows} == {first: users[first], second: users[second]}
    assert {a for r in rows for a in r["accounts"]} == expected and len(expected) == 2


GOOD_ID = f"bundle--{uuid.uuid4()}"


MALFORMED = {
    "not JSON": (b"{not json", "not JSON"),
    "not a bundle": (json.dumps({"type": "report", "id": GOOD_ID}), '"type": "bundle"'),
    "bad object id": (json.dumps({"type": "bundle", "id": GOOD_ID, "objects": [
        {"type": "indicator", "id": "indicator--42", "pattern": "[ipv4-addr:value = '1.2.3.4']",
         "pattern_type": "stix"}]}), "indicator--<uuid>"),
    "invalid pattern": (json.dumps({"type": "bundle", "id": GOOD_ID, "objects": [
        {"type": "indicator", "id": _sid("indicator"), "pattern": "[ipv4-addr:value = ]", "pattern_type": "stix"},
        {"type": "ipv4-addr", "id": _sid("ipv4-addr"), "value": "100.64.0.1"}]}), "invalid STIX pattern"),
    "observable without value": (json.dumps({"type": "bundle", "id": GOOD_ID, "objects": [
        {"type": "ipv4-addr", "id": _sid("ipv4-addr"), "value": "100.64.0.1"},
        {"type": "email-addr", "id": _sid("email-addr")}]}), "email-addr has none of the properties"),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_a_malformed_bundle_is_refused_whole_with_its_reason(sample_loaded, tmp_path, case):
    text, reason = MALFORMED[case]
    before = sample_loaded.read(COUNT_INTEL)[0]["n"]
    path = tmp_path / "bad.json"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    with pytest.raises(RingtraceError, match="Nothing was imported") as err:
        stix_in.parse(path.read_bytes(), path.name)
    assert reason in str(err.value) and "bad.json" in str(err.value)
    cli = subprocess.run([sys.executable, "-m", "ringtrace.cli", "intel", "import", str(path)], capture_output=True,
                         text=True)
    assert cli.returncode == 1 and reason in cli.stderr and "Traceback" not in cli.stderr
    assert sample_loaded.read(COUNT_INTEL)[0]["n"] == before


@pytest.fixture()
def taxii_server(tmp_path, monkeypatch):
    """A real TAXII 2.1 server (medallion, memory back end) on loopback with one read-write collection."""
    port = free_port()
    root = f"http://127.0.0.1:{port}/api1/"
    collection = "91a7b528-80eb-42ed-a74d-c6fbd5a26116"
    data = {"/discovery": {"title": "test TAXII", "default": root, "api_roots": [root]},
            "api1": {"information": {"title": "API root", "versions": ["application/taxii+json;version=2.1"],
                                     "max_content_length": 10_000_000},
                     "status": [], "collections": [
                         {"id": collection, "title": "shared-fraud-indicators", "can_read": True, "can_write": True,
                          "media_types": ["application/stix+json;version=2.1"], "objects": [], "manifest": []}]}}
    (tmp_path / "data.json").write_text(json.dumps(data))
    conf = {"backend": {"module": "medallion.backends.memory_backend", "module_class": "MemoryBackend",
                        "filename": str(tmp_path / "data.json")},
            "users": {"ringtrace": "test-secret"}, "taxii": {"max_page_size": 100}}
    (tmp_path / "medallion.json").write_text(json.dumps(conf))
    proc = subprocess.Popen([sys.executable, "-m", "medallion.scripts.run", "--host", "127.0.0.1", "--port",
                             str(port), str(tmp_path / "medallion.json")], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    deadline = time.monotonic() + TAXII_START_S
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            time.sleep(0.2)
    else:
        proc.kill()
        pytest.fail("medallion did not start: " + proc.stdout.read().decode()[-2000:])
    monkeypatch.setenv("RINGTRACE_TAXII_URL", root)
    monkeypatch.setenv("RINGTRACE_TAXII_COLLECTION", "shared-fraud-indicators")
    monkeypatch.setenv("RINGTRACE_TAXII_USER", "ringtrace")
    monkeypatch.setenv("RINGTRACE_TAXII_PASSWORD", "test-secret")
    yield root
    proc.terminate()
    proc.wait(timeout=10)


def test_publish_then_pull_round_trips_a_cases_indicators_through_taxii(sample_detected, taxii_server, tmp_path):
    g, result, _ = sample_detected
    case_id = store.open_case(g, ADMIN, "Shared with partners", result.campaigns[0].campaign_id)
    store.update(g, ADMIN, case_id, status="confirmed")
    watched = {(w["kind"], str(w["value"])) for w in watchlist.watchlist(g, case_id)}
    assert watched
    from stix2validator import ValidationOptions, validate_string

    from intel.case_indicators import case_bundle

    checked = validate_string(json.dumps(case_bundle(g, case_id)), ValidationOptions(version="2.1"))
    exported = subprocess.run([sys.executable, "-m", "ringtrace.cli", "intel", "export", "--case", case_id, "--out",
                               str(tmp_path / "case.json")], capture_output=True, text=True)
    assert exported.returncode == 0 and f"Wrote {len(watched)} indicator(s)" in exported.stdout, exported.stderr
    assert checked.is_valid, [str(e) for r in checked.object_results for e in r.errors][:5]
    published = taxii.publish(g, case_id)
    assert published.status == "complete" and published.failed == 0 and published.succeeded == published.objects
    pulled = taxii.pull(g, ADMIN).results
    assert len(pulled) == 1
    report = pulled[0].report
    assert case_id in report.name and report.partner and report.tlp == "amber"
    assert {(it.kind, it.value) for it in report.items} == watched
    assert taxii.pull(g, ADMIN).results == []  # only what was added since the last pull
    env = dict(os.environ)
    cli = subprocess.run([sys.executable, "-m", "ringtrace.cli", "intel", "pull"], capture_output=True, text=True,
                         env=env)
    assert cli.returncode == 0 and "Nothing new" in cli.stdout, cli.stdout + cli.stderr
    wrong = subprocess.run([sys.executable, "-m", "ringtrace.cli", "intel", "pull"], capture_output=True, text=True,
                           env={**env, "RINGTRACE_TAXII_PASSWORD": "wrong"})
    assert wrong.returncode == 1 and "Traceback" not in wrong.stderr, wrong.stderr
