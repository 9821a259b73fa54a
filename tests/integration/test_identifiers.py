"""Data the sample does not have: accounts without email or sign-up time, logins with only a device,
identifiers of any kind, and links between accounts; loaded, shown and used as evidence."""
from __future__ import annotations

from pathlib import Path

import pytest

from detection.run import DetectionParams, detect
from loaders.load import load_dataset
from queries import runner

ACCOUNTS = "account_id,country\n" + "".join(f"m{i:02d},GB\n" for i in range(12))
LOGINS = ("account_id,ts,device_id\n"
          "m00,2026-03-01T10:00:00Z,dev-ring\nm01,2026-03-01T11:00:00Z,dev-ring\nm02,2026-03-02T10:00:00Z,dev-ring\n"
          "m03,2026-03-02T10:00:00Z,\n")
IDENTIFIERS = ("account_id,kind,value,first_seen\n"
               "m04,TLS-Fingerprint,tls-abc,2026-03-01T00:00:00Z\nm05,tls_fingerprint,tls-abc,\n"
               "m06,tls_fingerprint,tls-abc,\nm07,phone,+44 7700 900123,\nm08,email,Ring@Mail.Test,\n"
               "m09,email,ring@mail.test,\nm10,not a kind!,x,\n")
LINKS = ("src_account_id,dst_account_id,kind,ts,amount,currency\n"
         "m10,m11,transfer,2026-03-03T00:00:00Z,250.5,eur\nm11,m10,transfer,2026-03-04T00:00:00Z,100,EUR\n"
         "m10,m11,transfer,2026-03-05T00:00:00Z,12,EURO\n")


@pytest.fixture()
def dataset(tmp_path: Path) -> Path:
    d = tmp_path / "marketplace"
    d.mkdir()
    for name, text in (("accounts", ACCOUNTS), ("logins", LOGINS), ("account_identifiers", IDENTIFIERS),
                       ("account_links", LINKS)):
        (d / f"{name}.csv").write_text(text)
    return d


def _counts(graph) -> dict[str, int]:
    return graph.read("""
        RETURN COUNT { (:Account) } AS accounts, COUNT { (:Identifier) } AS identifiers,
               COUNT { ()-[:HAS_IDENTIFIER]->() } AS has_identifier, COUNT { ()-[:LINKED_TO]->() } AS links,
               COUNT { ()-[:USED_DEVICE]->() } AS used_device, COUNT { ()-[:LOGGED_IN_FROM]->() } AS logged_in_from,
               COUNT { (:EmailDomain) } AS domains""")[0]


def test_optional_columns_new_tables_and_rejects(graph, dataset, tmp_path):
    summary = load_dataset(graph, dataset, tmp_path / "rejects.csv", progress=False)
    by_table = {t.table: t for t in summary.tables}
    assert not summary.failed_files, [t.error for t in summary.failed_files]
    assert by_table["accounts"].loaded == 12
    assert by_table["logins"].rejected == 1  # neither ip nor device_id
    assert by_table["account_identifiers"].rejected == 1 and by_table["account_links"].rejected == 1
    rejects = (tmp_path / "rejects.csv").read_text()
    assert "a row needs at least one of ip, device_id" in rejects
    assert "not a lower-case word" in rejects and "ISO 4217" in rejects
    c = _counts(graph)
    assert c["accounts"] == 12 and c["used_device"] == 3 and c["logged_in_from"] == 0 and c["domains"] == 0
    # kinds are normalised (TLS-Fingerprint -> tls_fingerprint), emails compared in lower case
    shared = graph.read("MATCH (x:Identifier)<-[:HAS_IDENTIFIER]-(a) WITH x, count(a) AS n WHERE n > 1 "
                        "RETURN x.identifier_id AS id, n ORDER BY id")
    assert shared == [{"id": "email:ring@mail.test", "n": 2}, {"id": "tls_fingerprint:tls-abc", "n": 3}]
    assert c["links"] == 2
    prov = graph.read("MATCH ()-[r:LINKED_TO]->() RETURN r.load_runs AS runs, r.sources AS sources LIMIT 1")[0]
    assert prov["runs"] == [summary.run_id] and prov["sources"] == ["account_links.csv"]
    load_dataset(graph, dataset, tmp_path / "rejects2.csv", progress=False)
    assert _counts(graph) == c, "loading again changes nothing"


def test_identifier_and_link_queries(graph, dataset, tmp_path):
    load_dataset(graph, dataset, tmp_path / "rejects.csv", progress=False)
    rows = runner.run_saved(graph, "accounts_sharing_identifier").rows
    assert rows[0]["kind"] == "tls_fingerprint" and rows[0]["accounts"] == 3
    links = runner.run_saved(graph, "account_links_of", {"account_id": "m10"}).rows
    assert {(r["direction"], r["kind"]) for r in links} == {("out", "transfer"), ("in", "transfer")}


def test_an_unseen_identifier_kind_links_accounts_and_a_small_device_ring_clusters(graph, dataset, tmp_path):
    load_dataset(graph, dataset, tmp_path / "rejects.csv", progress=False)
    result = detect(graph, DetectionParams(min_group=2), progress=False)
    groups = [set(c.members) for c in result.clusters]
    assert {"m04", "m05", "m06"} in groups, groups
    assert {"m00", "m01", "m02"} in groups, groups
    assert {"m10", "m11"} in groups, groups
    # Twelve accounts are too few to measure how rare sharing a fingerprint is: the three holders
    # are clustered, and tests/integration/test_chance_calibration.py scores an unseen kind in a population.


def test_a_constant_created_at_is_no_burst(graph, tmp_path):
    d = tmp_path / "constant"
    d.mkdir()
    # 30 accounts on 5 devices beside 40 with devices of their own: were every account a sharer, devices
    # would describe, not identify (detection/evidence.py attribute_kinds) and nothing would cluster
    (d / "accounts.csv").write_text("account_id,created_at\n" + "".join(
        f"k{i:02d},2026-01-01T00:00:00Z\n" for i in range(70)))
    (d / "logins.csv").write_text("account_id,ts,device_id\n" + "".join(
        f"k{i:02d},2026-03-01T10:00:00Z,dev-{i // 6 if i < 30 else i}\n" for i in range(70)))
    load_dataset(graph, d, tmp_path / "rejects.csv", progress=False)
    result = detect(graph, DetectionParams(min_group=2), progress=False)
    assert result.clusters
    for c in result.clusters:
        assert "creation_burst" not in {x.feature for x in c.contributions}, c.reasons


SIGNUPS = ("account_id,email,country\n"
           "s00,Ring@Mail.Test,GB\ns01, ring@mail.test ,GB\ns02,RING@mail.test,GB\n"
           "s03,pair@mail.test,GB\ns04,Pair@Mail.Test,GB\n"
           + "".join(f"s{i:02d},alone{i}@mail.test,GB\n" for i in range(5, 12)))


def test_a_shared_sign_up_email_is_an_identifier_of_kind_email(graph, tmp_path):
    """accounts.email shared by two or more accounts becomes the same evidence an account_identifiers row of
    kind email is, in this load and across loads; the summary counts the shared addresses."""
    from click.testing import CliRunner

    from ringtrace.cli import main as cli

    d = tmp_path / "signups"
    d.mkdir()
    (d / "accounts.csv").write_text(SIGNUPS)
    (d / "account_identifiers.csv").write_text("account_id,kind,value\ns03,email,PAIR@mail.test\n")
    res = CliRunner().invoke(cli, ["load", str(d), "--no-progress"], env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    assert "accounts.csv: 2 sign-up email address(es) shared by two or more accounts became identifiers of kind " \
           "email" in " ".join(res.output.split()), res.output
    shared = graph.read("MATCH (x:Identifier)<-[:HAS_IDENTIFIER]-(a:Account) WITH x, collect(a.account_id) AS who "
                        "RETURN x.identifier_id AS id, x.kind AS kind, x.value AS value, x.sources AS node_sources, "
                        "who ORDER BY id")
    assert [(r["id"], r["kind"], r["value"], sorted(r["who"])) for r in shared] == [
        ("email:pair@mail.test", "email", "pair@mail.test", ["s03", "s04"]),
        ("email:ring@mail.test", "email", "ring@mail.test", ["s00", "s01", "s02"])]
    assert shared[0]["node_sources"] == ["accounts.csv", "account_identifiers.csv"]
    rows = runner.run_saved(graph, "accounts_sharing_identifier").rows
    assert {(r["kind"], r["accounts"]) for r in rows} >= {("email", 3), ("email", 2)}, rows
    result = detect(graph, DetectionParams(min_group=2), progress=False)
    assert any({"s00", "s01", "s02"} <= set(c.members) for c in result.clusters), \
        [sorted(c.members) for c in result.clusters]
    # a later load's account with an address an earlier load's account signed up with
    later = tmp_path / "later"
    later.mkdir()
    (later / "accounts.csv").write_text("account_id,email\ns20,Alone5@mail.test\ns21,new@mail.test\n")
    summary = load_dataset(graph, later, tmp_path / "rejects.csv", progress=False)
    assert {t.table: t.shared_emails for t in summary.tables} == {"accounts": 1}
    who = graph.read("MATCH (:Identifier {identifier_id: 'email:alone5@mail.test'})<-[:HAS_IDENTIFIER]-(a) "
                     "RETURN collect(a.account_id) AS who")[0]["who"]
    assert sorted(who) == ["s05", "s20"]
    assert graph.read("MATCH (x:Identifier {identifier_id: 'email:new@mail.test'}) RETURN count(x) AS n") == [{"n": 0}]
