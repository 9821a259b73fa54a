"""The bundle manifest: every file's size and SHA-256, the manifest's own digest, an optional
Ed25519 signature, and `verify`, which recomputes all of it."""
from __future__ import annotations

import base64
import hashlib
import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key, load_pem_public_key

from ringtrace.core import config
from ringtrace.core.errors import RingtraceError

MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
FIXED_ZIP_TIME = (2000, 1, 1, 0, 0, 0)
HASH_BLOCK = 1 << 20
SIGNATURE_MAX_BYTES = 4096  # an Ed25519 signature in base64 is 89 bytes


def canonical(obj: Any) -> bytes:
    """The canonical JSON form that is hashed and signed: sorted keys, no spaces, UTF-8."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _load_private_key(path: Path):
    key = load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise RingtraceError(f"{path} is not an Ed25519 private key (PEM).")
    return key


def public_key_pem(private_key_path: Path) -> str:
    key = _load_private_key(private_key_path)
    return key.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def write_zip(out: Path, files: dict[str, bytes], meta: dict[str, Any],
              signing_key: Path | None = None) -> dict[str, Any]:
    """Write files plus manifest.json (and manifest.sig when a key is given) into `out`."""
    manifest = dict(meta)
    manifest["files"] = {name: {"size": len(data), "sha256": sha256(data)} for name, data in sorted(files.items())}
    if signing_key:
        manifest["signature"] = {"algorithm": "Ed25519", "public_key": public_key_pem(signing_key)}
    manifest["manifest_sha256"] = sha256(canonical(manifest))
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for name, data in sorted(files.items()):
            z.writestr(zipfile.ZipInfo(name, FIXED_ZIP_TIME), data, compress_type=zipfile.ZIP_DEFLATED)
        z.writestr(zipfile.ZipInfo(MANIFEST, FIXED_ZIP_TIME),
                   json.dumps(manifest, indent=1, sort_keys=True, ensure_ascii=False).encode(),
                   compress_type=zipfile.ZIP_DEFLATED)
        if signing_key:
            sig = _load_private_key(signing_key).sign(canonical(manifest))
            z.writestr(zipfile.ZipInfo(SIGNATURE, FIXED_ZIP_TIME), base64.b64encode(sig) + b"\n")
    return manifest


@dataclass
class Verification:
    ok: bool
    files: int = 0
    added: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    signed: bool = False
    authenticated: bool = False  # signed by the public key the verifier supplied
    key_source: str = ""
    manifest: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> str:
        if self.ok:
            if self.authenticated:
                sig = f"Ed25519 signature valid against {self.key_source}"
            elif self.signed:
                sig = ("signed with a key embedded in the bundle, which proves nothing about who made it; "
                       "pass --public-key with the sender's key to check the sender")
            else:
                sig = "not signed"
            m = self.manifest
            return (f"OK: {self.files} files match the manifest ({sig}); bundle {m.get('bundle_id')}, "
                    f"{_subject(m)}, created {m.get('created_at')} by {m.get('analyst')}")
        lines = ["FAILED:"]
        lines += [f"  changed: {n}" for n in self.changed]
        lines += [f"  missing: {n}" for n in self.missing]
        lines += [f"  added:   {n}" for n in self.added]
        lines += [f"  {p}" for p in self.problems]
        return "\n".join(lines)


def _subject(manifest: dict[str, Any]) -> str:
    cluster = manifest.get("cluster")
    if isinstance(cluster, dict) and cluster.get("cluster_id"):
        return f"cluster {cluster['cluster_id']}"
    return str(manifest.get("kind") or "canvas selection")


def _entry_digest(z: zipfile.ZipFile, info: zipfile.ZipInfo) -> tuple[int, str]:
    """Size and SHA-256 of one entry, read in blocks (a large entry never sits in memory), never more than
    one byte past the size the ZIP directory gives."""
    h, size = hashlib.sha256(), 0
    with z.open(info) as fh:
        while size <= info.file_size:
            block = fh.read(min(HASH_BLOCK, info.file_size + 1 - size))
            if not block:
                break
            h.update(block)
            size += len(block)
    return size, h.hexdigest()


def _read_bounded(z: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> bytes | None:
    """The entry's bytes if it inflates to at most `limit` bytes (the ZIP directory's size is checked first,
    then at most `limit` + 1 bytes are inflated whatever the directory says); None beyond it."""
    if info.file_size > limit:
        return None
    with z.open(info) as fh:
        data = fh.read(limit + 1)
    return data if len(data) <= limit else None


def _manifest_problem(manifest: Any) -> str | None:
    """Why a parsed manifest cannot be checked, or None when its shape is right."""
    if not isinstance(manifest, dict):
        return f"manifest.json is malformed: a JSON object was expected, found {type(manifest).__name__}"
    files = manifest.get("files")
    if not isinstance(files, dict):
        return "manifest.json is malformed: 'files' must map each file name to its size and sha256"
    for name, entry in files.items():
        if not (isinstance(entry, dict) and isinstance(entry.get("size"), int)
                and isinstance(entry.get("sha256"), str)):
            return f"manifest.json is malformed: the entry for {name!r} needs an integer size and a sha256"
    return None


def verify(path: Path, public_key: Path | None = None) -> Verification:
    """Recompute every digest in the bundle; name each added, missing or changed file.

    Directory entries (as `zip -r` writes them) are not files and are ignored. With
    `public_key`, the bundle must be signed by that key."""
    try:
        z = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as exc:
        return Verification(ok=False, problems=[f"not a readable ZIP file: {exc}"])
    with z:
        entries = [i for i in z.infolist() if not i.is_dir()]
        seen: dict[str, zipfile.ZipInfo] = {}
        duplicates: set[str] = set()
        for info in entries:
            if info.filename in seen:
                duplicates.add(info.filename)
            seen.setdefault(info.filename, info)
        if duplicates:
            return Verification(ok=False, problems=[f"the ZIP holds more than one entry named {n} (an unzip "
                                                    "may extract the forged copy)" for n in sorted(duplicates)])
        names = set(seen)
        if MANIFEST not in names:
            return Verification(ok=False, missing=[MANIFEST])
        raw = _read_bounded(z, seen[MANIFEST], config.BUNDLE_MANIFEST_MAX_BYTES)
        if raw is None:
            return Verification(ok=False, changed=[MANIFEST], problems=[
                f"manifest.json inflates to {seen[MANIFEST].file_size:,} bytes, more than a manifest may hold "
                f"({config.BUNDLE_MANIFEST_MAX_BYTES:,}): refused unread"])
        try:
            manifest = json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            return Verification(ok=False, changed=[MANIFEST], problems=[f"manifest.json is not JSON: {exc}"])
        except RecursionError:
            return Verification(ok=False, changed=[MANIFEST], problems=["manifest.json is nested too deeply"])
        problem = _manifest_problem(manifest)
        if problem:
            return Verification(ok=False, changed=[MANIFEST], problems=[problem])
        v = Verification(ok=True, manifest=manifest)
        claimed = manifest.pop("manifest_sha256", None)
        if claimed != sha256(canonical(manifest)):
            v.changed.append(MANIFEST)
        listed = manifest["files"]
        for name, entry in sorted(listed.items()):
            if name not in names:
                v.missing.append(name)
                continue
            if seen[name].file_size != entry["size"]:  # from the ZIP directory: nothing is inflated
                v.changed.append(name)
                v.problems.append(f"{name}: the ZIP directory gives {seen[name].file_size:,} bytes, the manifest "
                                  f"{entry['size']:,}")
                continue
            size, digest = _entry_digest(z, seen[name])
            if size != entry["size"] or digest != entry["sha256"]:
                v.changed.append(name)
        v.added.extend(sorted(names - set(listed) - {MANIFEST, SIGNATURE}))
        v.files = len(listed)
        signed_form = {**manifest, "manifest_sha256": claimed}  # what write_zip signed
        if SIGNATURE in names or "signature" in manifest:
            if SIGNATURE not in names:
                v.missing.append(SIGNATURE)
            else:
                sig = _read_bounded(z, seen[SIGNATURE], SIGNATURE_MAX_BYTES)
                if sig is None:
                    v.changed.append(SIGNATURE)
                    v.problems.append(f"manifest.sig is larger than a signature ({SIGNATURE_MAX_BYTES:,} bytes)")
                else:
                    v.signed = _check_signature(sig, signed_form, public_key, v)
                v.authenticated = v.signed and public_key is not None
        if public_key is not None and not v.signed and SIGNATURE not in v.changed:
            v.problems.append(f"the bundle is not signed, but --public-key {public_key} was given: a bundle "
                              "signed by that key was expected")
        manifest["manifest_sha256"] = claimed
    v.ok = not (v.added or v.missing or v.changed or v.problems)
    return v


def _check_signature(sig_b64: bytes, manifest: dict[str, Any], public_key: Path | None,
                     v: Verification) -> bool:
    embedded = manifest.get("signature")
    pem = public_key.read_bytes() if public_key else \
        str(embedded.get("public_key", "") if isinstance(embedded, dict) else "").encode()
    v.key_source = str(public_key) if public_key else "the key embedded in the manifest"
    try:
        key = load_pem_public_key(pem)
        key.verify(base64.b64decode(sig_b64.strip()), canonical(manifest))
        return True
    except (InvalidSignature, ValueError, TypeError) as exc:
        v.changed.append(SIGNATURE)
        v.problems.append(f"the Ed25519 signature does not match the manifest ({type(exc).__name__})")
        return False
