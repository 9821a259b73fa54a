"""Evidence bundles: export then verify, tamper detection, STIX validity, offline HTML, redaction."""
from __future__ import annotations

import html
import io
import json
import re
import zipfile
from pathlib import Path

import networkx as nx
import pandas as pd
import pytest

from bundles.export import export_cluster
from bundles.manifest import verify


RESOURCE_LINK = re.compile(r"""(src|href)\s*=\s*["']?\s*https?://|url\(\s*["']?https?://|@import\s+["']?https?://""", re.I)


@pytest.fixture(scope="module")
def bundle(sample_detected, tmp_path_factory):
    from tracing.report import trace_all

    g, result, _ = sample_detected
    trace_all(g, result.run_id)
    cid = result.flagged[0][0]
    out = tmp_path_factory.mktemp("bundle") / "cluster.zip"
    export_cluster(g, cid, out, analyst="tester")
    return g, cid, out


def _files(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist()}


def _rewrite(path: Path, out: Path, files: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(out, "w") as z:
        for n, data in files.items():
            z.writestr(n, data)
    return out


def test_export_then_verify_passes(bundle):
    _, cid, out = bundle
    v = verify(out)
    assert v.ok, v.summary()
    names = set(_files(out))
    for required in ("manifest.json", "report.html", "graph.html", "graph.graphml", "nodes.csv", "edges.csv",
                     "stix.json", "queries/cluster_members.cypher", "queries/cluster_members.json"):
        assert required in names
    m = json.loads(_files(out)["manifest.json"])
    assert m["cluster"]["cluster_id"] == cid and m["analyst"] == "tester"
    assert m["detection_run"]["run_id"] and "seed" in m["detection_run"]["parameters"]
    assert m["neo4j"]["version"].startswith("5.26") and m["neo4j"]["database"]


def test_changing_one_byte_of_any_file_fails_and_names_it(bundle, tmp_path):
    _, _, out = bundle
    files = _files(out)
    for name in files:
        changed = dict(files)
        data = bytearray(changed[name])
        data[len(data) // 2] ^= 0x01
        changed[name] = bytes(data)
        v = verify(_rewrite(out, tmp_path / "t.zip", changed))
        assert not v.ok, name
        assert name in v.changed or (name == "manifest.json" and v.problems), name
        assert name in v.summary() or name == "manifest.json"


def test_added_and_removed_files_are_named(bundle, tmp_path):
    _, _, out = bundle
    files = _files(out)
    added = dict(files, **{"notes/extra.txt": b"slipped in"})
    v = verify(_rewrite(out, tmp_path / "a.zip", added))
    assert not v.ok and v.added == ["notes/extra.txt"] and "notes/extra.txt" in v.summary()
    removed = {k: d for k, d in files.items() if k != "stix.json"}
    v = verify(_rewrite(out, tmp_path / "r.zip", removed))
    assert not v.ok and v.missing == ["stix.json"]


def test_verify_cli_exit_codes(bundle, tmp_path):
    from click.testing import CliRunner

    from ringtrace.cli import main

    _, _, out = bundle
    assert CliRunner().invoke(main, ["verify", str(out)]).exit_code == 0
    files = _files(out)
    files["report.html"] = files["report.html"] + b" "
    res = CliRunner().invoke(main, ["verify", str(_rewrite(out, tmp_path / "x.zip", files))])
    assert res.exit_code == 1 and "changed: report.html" in res.output


def test_stix_passes_the_oasis_validator(bundle):
    from stix2validator import ValidationOptions, validate_string

    _, _, out = bundle
    result = validate_string(_files(out)["stix.json"].decode(), ValidationOptions(version="2.1"))
    assert result.is_valid, [str(e) for e in result.errors]
    types = {o["type"] for o in json.loads(_files(out)["stix.json"])["objects"]}
    assert {"campaign", "indicator", "threat-actor", "relationship", "identity", "infrastructure"} <= types


def test_graphml_matches_node_and_edge_csv(bundle, tmp_path):
    _, _, out = bundle
    files = _files(out)
    (tmp_path / "g.graphml").write_bytes(files["graph.graphml"])
    g = nx.read_graphml(tmp_path / "g.graphml")
    nodes = pd.read_csv(tmp_path.joinpath("n.csv").write_bytes(files["nodes.csv"]) and tmp_path / "n.csv")
    edges = pd.read_csv(tmp_path.joinpath("e.csv").write_bytes(files["edges.csv"]) and tmp_path / "e.csv")
    assert g.number_of_nodes() == len(nodes) > 0
    assert g.number_of_edges() == len(edges) > 0


def test_html_has_no_remote_resources(bundle):
    _, _, out = bundle
    files = _files(out)
    for name in ("report.html", "graph.html"):
        text = files[name].decode()
        assert not RESOURCE_LINK.search(text), f"{name} links a remote resource"
    assert "vis.Network" in files["graph.html"].decode() or "new vis" in files["graph.html"].decode()


def test_redaction_is_consistent_across_files(bundle, tmp_path):
    g, cid, _ = bundle
    out = tmp_path / "redacted.zip"
    export_cluster(g, cid, out, analyst="tester", redact=True)
    assert verify(out).ok
    files = _files(out)
    people = [r["name"] for r in g.read("MATCH (p:Person) RETURN p.name AS name")]
    emails = [r["email"] for r in g.read("MATCH (c:Cluster {cluster_id: $c})<-[:MEMBER_OF]-(a:Account) "
                                         "RETURN a.email AS email", {"c": cid})]
    blob = b"\n".join(files.values()).decode(errors="replace")
    for name in people:
        assert name not in blob, f"name {name} left in clear"
    for email in emails[:50]:
        assert email not in blob
    masked = set(re.findall(r"Person \d+", files["report.html"].decode()))
    assert masked, "attributed people appear masked in the report"
    stix_text = files["stix.json"].decode()
    assert masked & set(re.findall(r"Person \d+", stix_text)), "the same mask is used in stix.json"


def test_signed_bundle_verifies_and_detects_a_forged_signature(bundle, tmp_path):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    g, cid, _ = bundle
    key = Ed25519PrivateKey.generate()
    key_path = tmp_path / "key.pem"
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    pub_path = tmp_path / "pub.pem"
    pub_path.write_bytes(key.public_key().public_bytes(serialization.Encoding.PEM,
                                                       serialization.PublicFormat.SubjectPublicKeyInfo))
    out = tmp_path / "signed.zip"
    export_cluster(g, cid, out, analyst="tester", signing_key=key_path)
    v = verify(out, pub_path)
    assert v.ok and v.signed, v.summary()
    other = Ed25519PrivateKey.generate().public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    (tmp_path / "other.pem").write_bytes(other)
    assert not verify(out, tmp_path / "other.pem").ok


def test_canvas_bundle_verifies(bundle, tmp_path):
    from bundles.export import export_canvas

    g, cid, _ = bundle
    rows = g.read("MATCH (c:Cluster {cluster_id: $c})<-[:MEMBER_OF]-(a:Account)-[:PAID_WITH]->(card) "
                  "RETURN elementId(a) AS a, a {.*} AS ap, elementId(card) AS c, card {.*} AS cp LIMIT 20",
                  {"c": cid})
    nodes = {}
    edges = set()
    for r in rows:
        nodes[r["a"]] = {"label": "Account", "props": r["ap"]}
        nodes[r["c"]] = {"label": "PaymentCard", "props": r["cp"]}
        edges.add((r["a"], r["c"], "PAID_WITH"))
    out = tmp_path / "canvas.zip"
    m = export_canvas(g, nodes, edges, out, "tester")
    assert verify(out).ok and m["canvas"]["edges"] == len(edges)
    files = _files(out)
    assert not RESOURCE_LINK.search(files["graph.html"].decode())
    (tmp_path / "c.graphml").write_bytes(files["graph.graphml"])
    assert nx.read_graphml(tmp_path / "c.graphml").number_of_edges() == len(edges)


def test_every_output_names_a_person_by_the_persons_id(bundle, tmp_path):
    """A cluster attributed to a person: CSV, report, STIX, GraphML and attribution.csv carry the person's id,
    never the employer's (Person nodes carry org_id too)."""
    from tracing.attribution import trace_cluster
    from tracing.report import write_csv

    g, cid, out = bundle
    result = trace_cluster(g, cid)
    assert result.people, "the sample's flagged cluster is attributed to a person"
    person = result.people[0]
    employer = g.read("MATCH (p:Person {person_id: $p}) RETURN p.org_id AS o", {"p": person.target_id})[0]["o"]
    assert person.target_id.startswith("person-") and employer and employer != person.target_id
    files = _files(out)
    rows = json.loads(files["queries/cluster_attribution.json"])
    rows = rows.get("rows", rows) if isinstance(rows, dict) else rows
    people_rows = [r for r in rows if r["target_kind"] == "person"]
    assert people_rows and all(r["target_id"].startswith("person-") for r in people_rows)
    report = files["report.html"].decode()
    assert re.search(rf"person</td><td>\d+</td><td>{re.escape(person.target_id)}</td>", report)
    assert not re.search(rf"person</td><td>\d+</td><td>{re.escape(employer)}</td>", report)
    stix_people = [o for o in json.loads(files["stix.json"])["objects"]
                   if o["type"] == "threat-actor" and o.get("description", "").startswith("person ")]
    assert stix_people and all(o["description"].startswith(f"person {p['target_id']}:")
                               for o, p in zip(stix_people, people_rows))
    graphml = nx.read_graphml(io.BytesIO(files["graph.graphml"]))
    for _, d in graphml.nodes(data=True):
        if d.get("label") == "Person":
            assert str(d["key"]).startswith("person-")
    nodes = pd.read_csv(io.BytesIO(files["nodes.csv"]))
    assert all(str(k).startswith("person-") for k in nodes[nodes["label"] == "Person"]["key"])
    csv_path = write_csv([result], tmp_path)
    table = pd.read_csv(csv_path)
    assert set(table[table["target_kind"] == "person"]["target_id"]) == {c.target_id for c in result.reported()
                                                                         if c.target_kind == "person"}


@pytest.mark.parametrize("zip_args", [["-r"], ["-r", "-D"], ["-r", "-X"]])
def test_an_intact_bundle_repacked_with_zip_still_verifies(bundle, tmp_path, zip_args):
    """`unzip` then `zip -r` (with or without directory entries) is an ordinary re-pack, not tampering."""
    import shutil
    import subprocess

    if not shutil.which("zip") or not shutil.which("unzip"):
        pytest.fail("zip and unzip are needed (Debian: apt-get install zip unzip; .ci/run does)")
    _, _, out = bundle
    unpacked = tmp_path / "unpacked"
    subprocess.run(["unzip", "-q", str(out), "-d", str(unpacked)], check=True)
    repacked = tmp_path / "repacked.zip"
    subprocess.run(["zip", "-q", *zip_args, str(repacked), "."], cwd=unpacked, check=True)
    v = verify(repacked)
    assert v.ok, v.summary()
    (unpacked / "queries" / "extra.cypher").write_text("MATCH (n) RETURN n")
    added = tmp_path / "added.zip"
    subprocess.run(["zip", "-q", *zip_args, str(added), "."], cwd=unpacked, check=True)
    assert verify(added).added == ["queries/extra.cypher"]
    (unpacked / "queries" / "extra.cypher").unlink()
    (unpacked / "stix.json").unlink()
    missing = tmp_path / "missing.zip"
    subprocess.run(["zip", "-q", *zip_args, str(missing), "."], cwd=unpacked, check=True)
    assert verify(missing).missing == ["stix.json"]


def test_a_python_rezip_with_directory_entries_verifies(bundle, tmp_path):
    _, _, out = bundle
    files = _files(out)
    repacked = tmp_path / "py.zip"
    with zipfile.ZipFile(repacked, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("queries/", b"")
        for n, data in files.items():
            z.writestr(n, data)
    assert verify(repacked).ok
    files["report.html"] = files["report.html"] + b" "
    _rewrite(out, tmp_path / "changed.zip", files)
    assert verify(tmp_path / "changed.zip").changed == ["report.html"]


def test_graph_html_has_one_title_and_freezes_its_layout(bundle):
    html = _files(bundle[2])["graph.html"].decode()
    assert html.count("<h1") == 1
    assert "setOptions({physics: false})" in html and "stabilizationIterationsDone" in html


def test_graph_html_is_grouped_captioned_and_has_a_legend(bundle):
    """graph.html is drawn as the workbench draws it: proxy exits one node per service, names, legend, marks;
    report.html lists the evidence chains strongest first."""
    g, cid, out = bundle
    files = _files(out)
    html = files["graph.html"].decode()
    assert 'class="ringtrace-legend"' in html and "Infrastructure (grouped)" in html
    assert re.search(r'"label": "HydraNet Proxies: \d+ exit addresses"', html)
    labels = re.findall(r'"label": "([^"]*)"', html)
    assert not any(label.startswith(("person-", "org-")) for label in labels), "people and organisations by name"
    person = g.read("MATCH (c:Cluster {cluster_id: $c})-[:ATTRIBUTED_TO]->(p:Person) RETURN p.name AS n",
                    {"c": cid})[0]["n"]
    assert person in labels
    assert sum(1 for label in labels if re.fullmatch(r"\d+(\.\d+){3}", label)) <= 2, "addresses are grouped"
    assert '"border": "#d62728"' in html, "the flagged cluster's accounts are marked"
    report = files["report.html"].decode()
    paths = re.search(r"<h2>Evidence paths, strongest first</h2>\s*<ol class='paths'>(.*?)</ol>", report, re.S)
    assert paths and "→ billed to →" in paths.group(1) and "→ works for →" in paths.group(1)
    strengths = [float(s) for s in re.findall(r"strength (\d\.\d\d)\)</li>", paths.group(1))]
    assert strengths and strengths == sorted(strengths, reverse=True)


def test_a_redacted_bundle_names_no_server_address(bundle, tmp_path):
    g, cid, _ = bundle
    out = tmp_path / "redacted.zip"
    export_cluster(g, cid, out, analyst="tester", redact=True)
    assert verify(out).ok
    files = _files(out)
    manifest = json.loads(files["manifest.json"])
    assert "uri" not in manifest["neo4j"] and manifest["redacted"] is True
    host = g.settings.uri.split("://", 1)[1]
    for name, data in files.items():
        assert g.settings.uri.encode() not in data and host.encode() not in data, name


def test_a_bundle_reports_the_saved_attribution_without_tracing_again(bundle, tmp_path, monkeypatch):
    """The fixture traced and saved; the bundle reads that attribution (what the Overview shows) instead of
    recomputing it (80 s at seed scale). With tracing made to fail, the report still lists the same paths."""
    import bundles.export as export
    from tracing.attribution import stored

    from tracing.attribution import trace_cluster
    from tracing.chains import chains

    g, cid, _ = bundle
    saved = stored(g, cid)
    assert saved is not None and any(c.paths for c in saved.reported())
    size = g.read("MATCH (c:Cluster {cluster_id: $c}) RETURN c.size AS n", {"c": cid})[0]["n"]
    fresh = trace_cluster(g, cid)
    reported = {(c.target_kind, c.target_id) for c in fresh.reported()}
    expected = [c.text() for c in chains(fresh, f"Cluster {cid}: {size} accounts")
                if (c.target.target_kind, c.target.target_id) in reported]

    def no_trace(*_a, **_k):
        raise AssertionError("the bundle traced again although an attribution is saved")

    monkeypatch.setattr(export, "trace_cluster", no_trace)
    again = tmp_path / "saved.zip"
    export_cluster(g, cid, again, analyst="tester")
    assert verify(again).ok

    report = _files(again)["report.html"].decode()
    listed = re.search(r"<h2>Evidence paths, strongest first</h2>\s*<ol class='paths'>(.*?)</ol>", report, re.S)
    assert listed and expected
    assert all(html.escape(text) in listed.group(1) for text in expected)
