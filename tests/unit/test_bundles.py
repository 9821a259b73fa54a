"""Evidence bundles: export then verify, tamper detection, STIX validity, offline HTML, redaction."""
from __future__ import annotations

import json
import zipfile
from pathlib import Path


BOMB_BYTES = 1 << 30  # what the 1 MB entry inflates to


VERIFY_IN_A_CHILD = """
import json, resource, sys, time
from pathlib import Path
limit = int(sys.argv[2])
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
from bundles.manifest import verify
started = time.monotonic()
v = verify(Path(sys.argv[1]))
peak = next(line for line in open("/proc/self/status") if line.startswith("VmHWM:"))  # this image only
print(json.dumps({"ok": v.ok, "changed": v.changed, "problems": v.problems, "seconds": time.monotonic() - started,
                  "peak_kb": int(peak.split()[1])}))
"""


CHILD_ADDRESS_SPACE = 1 << 30  # the verifier gets 1 GiB of address space: a bomb read whole cannot fit


def _bomb(path: Path, name: str, manifest: dict | None = None) -> Path:
    """A ZIP whose `name` is about 1 MB on disk and inflates to 1 GiB of spaces (plus `manifest`, if given)."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
        with z.open(name, "w") as fh:
            block = b" " * (1 << 20)
            for _ in range(BOMB_BYTES >> 20):
                fh.write(block)
        if manifest is not None:
            z.writestr("manifest.json", json.dumps(manifest))
    return path


def _verify_in_a_child(path: Path) -> dict:
    import subprocess
    import sys

    run = subprocess.run([sys.executable, "-c", VERIFY_IN_A_CHILD, str(path), str(CHILD_ADDRESS_SPACE)],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    return json.loads(run.stdout)


def test_a_manifest_zip_bomb_is_refused_quickly_with_small_memory(tmp_path):
    import subprocess
    import sys

    path = _bomb(tmp_path / "bomb.zip", "manifest.json")
    assert path.stat().st_size < 2 << 20
    found = _verify_in_a_child(path)
    print(f"manifest bomb: refused in {found['seconds']:.3f} s, peak RSS {found['peak_kb'] / 1024:.0f} MiB")
    assert not found["ok"] and found["changed"] == ["manifest.json"]
    assert "1,073,741,824 bytes" in found["problems"][0]
    assert found["seconds"] < 2 and found["peak_kb"] < 100 * 1024
    cli = subprocess.run([sys.executable, "-m", "ringtrace.cli", "verify", str(path)], capture_output=True,
                         text=True, timeout=300)
    assert cli.returncode == 1 and "more than a manifest may hold" in cli.stdout and "Traceback" not in cli.stderr


def test_a_member_bomb_is_refused_from_the_zip_directory_without_inflating_it(tmp_path):
    manifest = {"files": {"report.html": {"size": 120, "sha256": "0" * 64}}}
    path = _bomb(tmp_path / "member.zip", "report.html", manifest)
    found = _verify_in_a_child(path)
    print(f"member bomb: refused in {found['seconds']:.3f} s, peak RSS {found['peak_kb'] / 1024:.0f} MiB")
    assert not found["ok"] and "report.html" in found["changed"]
    assert any("ZIP directory gives 1,073,741,824 bytes, the manifest 120" in p for p in found["problems"])
    assert found["seconds"] < 2 and found["peak_kb"] < 100 * 1024
