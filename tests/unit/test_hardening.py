"""Each attack of the hardening review (issue 12), reproduced against the real server and shown to fail."""
from __future__ import annotations

import base64
import json
import os
import re
import shutil
import time
import tracemalloc
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from ringtrace.cli import main as cli
from ringtrace.core import config, safecsv

FORMULAS = ['=HYPERLINK("http://x","y")', "@SUM(1)", "+cmd", "-2+3", "\tx"]


def _keypair(tmp_path: Path, name: str) -> tuple[Path, Path]:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    key = Ed25519PrivateKey.generate()
    private, public = tmp_path / f"{name}.pem", tmp_path / f"{name}.pub.pem"
    private.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
    public.write_bytes(key.public_key().public_bytes(serialization.Encoding.PEM,
                                                     serialization.PublicFormat.SubjectPublicKeyInfo))
    return private, public


def _bundle(tmp_path: Path, key: Path | None = None, name: str = "b.zip") -> Path:
    from bundles.manifest import write_zip

    out = tmp_path / name
    write_zip(out, {"report.html": b"<p>evidence</p>", "queries/q.cypher": b"MATCH (n) RETURN n"},
              {"bundle_id": "b1", "cluster": {"cluster_id": "c1"}}, key)
    return out


def _forge(src: Path, out: Path, key: Path | None) -> None:
    """Strip the signature, change a file, re-hash the manifest (and re-sign with `key`)."""
    from bundles.manifest import canonical, sha256

    with zipfile.ZipFile(src) as z:
        files = {n: z.read(n) for n in z.namelist()}
    files.pop("manifest.sig", None)
    manifest = json.loads(files.pop("manifest.json"))
    manifest.pop("signature", None)
    manifest.pop("manifest_sha256")
    files["report.html"] = b"<p>forged</p>"
    manifest["files"]["report.html"] = {"size": len(files["report.html"]), "sha256": sha256(files["report.html"])}
    if key is not None:
        from bundles.manifest import _load_private_key, public_key_pem

        manifest["signature"] = {"algorithm": "Ed25519", "public_key": public_key_pem(key)}
    manifest["manifest_sha256"] = sha256(canonical(manifest))
    with zipfile.ZipFile(out, "w") as z:
        for n, data in files.items():
            z.writestr(n, data)
        z.writestr("manifest.json", json.dumps(manifest))
        if key is not None:
            z.writestr("manifest.sig", base64.b64encode(_load_private_key(key).sign(canonical(manifest))))


def test_verify_with_a_public_key_refuses_a_stripped_signature(tmp_path):
    from bundles.manifest import verify

    private, public = _keypair(tmp_path, "sender")
    signed = _bundle(tmp_path, private)
    assert verify(signed, public).ok and verify(signed, public).authenticated
    forged = tmp_path / "forged.zip"
    _forge(signed, forged, None)
    v = verify(forged, public)
    assert not v.ok and "not signed" in v.summary()
    res = CliRunner().invoke(cli, ["verify", str(forged), "--public-key", str(public)])
    assert res.exit_code == 1


def test_an_embedded_key_proves_nothing_and_says_so(tmp_path):
    from bundles.manifest import verify

    private, public = _keypair(tmp_path, "sender")
    attacker, _ = _keypair(tmp_path, "attacker")
    forged = tmp_path / "resigned.zip"
    _forge(_bundle(tmp_path, private), forged, attacker)
    v = verify(forged)
    assert v.ok and v.signed and not v.authenticated
    assert "proves nothing about who made it" in v.summary()
    assert not verify(forged, public).ok


def test_duplicate_entries_are_refused(tmp_path):
    from bundles.manifest import verify

    good = _bundle(tmp_path)
    dup = tmp_path / "dup.zip"
    shutil.copy(good, dup)
    with pytest.warns(UserWarning), zipfile.ZipFile(dup, "a") as z:
        z.writestr("report.html", b"<p>forged copy</p>")
    v = verify(dup)
    assert not v.ok and "more than one entry named report.html" in v.summary()


@pytest.mark.parametrize("manifest", [b"[]", b'{"files": "x"}', b'{"files": {"report.html": 3}}', b"\xff\xfe"])
def test_malformed_manifests_fail_clearly(tmp_path, manifest):
    out = tmp_path / "m.zip"
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("report.html", b"x")
        z.writestr("manifest.json", manifest)
    res = CliRunner().invoke(cli, ["verify", str(out)])
    assert res.exit_code == 1 and "FAILED" in res.output and "Traceback" not in res.output
    assert res.exception is None or isinstance(res.exception, SystemExit)


def test_verification_streams_large_entries(tmp_path):
    from bundles.manifest import verify, write_zip

    big = b"\0" * (64 << 20)
    out = tmp_path / "big.zip"
    write_zip(out, {"big.bin": big}, {"bundle_id": "big"})
    del big
    tracemalloc.start()
    v = verify(out)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert v.ok
    assert peak < 16 << 20, f"verify held {peak >> 20} MB for a 64 MB entry"


def test_lockout_after_repeated_failures_even_with_the_right_password(tmp_path, monkeypatch):
    from workbench import auth

    monkeypatch.setenv("RINGTRACE_HOME", str(tmp_path))
    auth.add_user("ivan", "right-password", "investigator")
    now = time.time()
    for i in range(config.LOGIN_MAX_FAILURES):
        assert auth.locked_for("ivan", "10.0.0.9", now=now + i) == 0
        assert auth.check("ivan", "wrong") is None
        auth.record_failure("ivan", "10.0.0.9", now=now + i)
    assert auth.locked_for("ivan", "10.0.0.9", now=now + 11) > 0
    assert auth.locked_for("ivan", "192.0.2.1", now=now + 11) > 0, "the user is locked from any client"
    assert auth.locked_for("other", "10.0.0.9", now=now + 11) > 0, "the client is locked for any user"
    assert auth.locked_for("ivan", "10.0.0.9", now=now + 11 + config.LOGIN_LOCKOUT_S) == 0


def test_neutralise_follows_owasp():
    assert [safecsv.neutralise(f) for f in FORMULAS] == ["'" + f for f in FORMULAS]
    assert safecsv.neutralise("-42.5") == "-42.5" and safecsv.neutralise(-3) == -3
    assert safecsv.neutralise("acc-1") == "acc-1"


def test_markdown_is_escaped():
    from workbench.text import md

    for hostile in ["![b](http://127.0.0.1:8799/x.png)", "[link](javascript:alert(1))", "<img src=x>",
                    ":red[alarm]", "$x^2$", "**bold**\n# heading"]:
        escaped = md(hostile)
        unescaped = re.search(r"(?<!\\)[!\[\]()<>:$*#`]", escaped)
        assert unescaped is None, (hostile, escaped)
        assert "\n" not in escaped


def test_generated_passwords_are_never_options():
    from ringtrace.server import local_neo4j

    assert all(not local_neo4j.generate_password().startswith("-") for _ in range(2000))


def test_the_home_and_what_is_made_in_it_are_private(tmp_path, monkeypatch):
    home = tmp_path / "home"
    home.mkdir(mode=0o755)
    monkeypatch.setenv("RINGTRACE_HOME", str(home))
    old = os.umask(0o022)
    try:
        res = CliRunner().invoke(cli, ["query", "list"])
        assert res.exit_code == 0
        assert home.stat().st_mode & 0o777 == 0o700
        (home / "made-after.txt").write_text("x")
        assert (home / "made-after.txt").stat().st_mode & 0o077 == 0
    finally:
        os.umask(old)
