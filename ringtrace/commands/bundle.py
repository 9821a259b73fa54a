"""`ringtrace export` and `ringtrace verify`: evidence bundles out, and checked."""
from __future__ import annotations

import os
from pathlib import Path

import click

from ringtrace.commands.common import friendly_errors


@click.command()
@click.option("--cluster", "cluster_id", default=None, help="The cluster to export (full id or c0001).")
@click.option("--campaign", "campaign_id", default=None,
              help="Or a whole campaign (full id or k0001): its reasons, attribution and every cluster.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True, help="FILE.zip")
@click.option("--redact", is_flag=True, help="Mask emails, names and card digits for sharing outside the team.")
@click.option("--analyst", default=None,
              help="The analyst the manifest names (default: who runs the command: RINGTRACE_USER, else cli:$USER).")
@click.option("--signing-key", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default=lambda: os.environ.get("RINGTRACE_SIGNING_KEY") or None,
              help="Ed25519 private key (PEM) to sign the manifest (or RINGTRACE_SIGNING_KEY).")
def export(cluster_id: str | None, campaign_id: str | None, out: Path, redact: bool, analyst: str | None,
           signing_key: Path | None) -> None:
    """Export a verifiable evidence bundle (ZIP) for a cluster or a campaign."""
    friendly_errors(_export)(cluster_id, campaign_id, out, redact, analyst, signing_key)


def _export(cluster_id: str | None, campaign_id: str | None, out: Path, redact: bool, analyst: str | None,
            signing_key: Path | None) -> None:
    from bundles.export import export_campaign, export_cluster
    from graph.cluster_ids import resolve_campaign_id, resolve_cluster_id
    from graph.db import connect
    from ringtrace import audit
    from ringtrace.errors import RingtraceError
    from ringtrace.rights import cli_actor, require

    actor = cli_actor()
    try:
        require(actor, "export")
    except RingtraceError as exc:
        audit.record(actor.name, "export_refused", {"cluster_id": cluster_id, "campaign_id": campaign_id,
                                                    "reason": str(exc)})
        raise
    analyst = analyst or actor.name
    if bool(cluster_id) == bool(campaign_id):
        raise RingtraceError("Give either --cluster ID or --campaign ID.")
    with connect() as g:
        if campaign_id:
            subject = {"campaign_id": resolve_campaign_id(g, campaign_id)}
            manifest = export_campaign(g, subject["campaign_id"], out, analyst, redact, signing_key)
        else:
            subject = {"cluster_id": resolve_cluster_id(g, cluster_id)}
            manifest = export_cluster(g, subject["cluster_id"], out, analyst, redact, signing_key)
    audit.record(actor.name, "export", {**subject, "out": str(out), "redacted": redact, "analyst": analyst,
                                        "bundle_id": manifest["bundle_id"]})
    click.echo(f"Wrote {out}: {len(manifest['files'])} files, bundle {manifest['bundle_id']}, "
               f"manifest sha256 {manifest['manifest_sha256']}")


@click.command()
@click.argument("bundle", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--public-key", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="The sender's Ed25519 public key (PEM) to check the signature against.")
def verify(bundle: Path, public_key: Path | None) -> None:
    """Verify an evidence bundle: exit 0 when intact, 1 naming each changed, added or missing file."""
    from bundles.manifest import verify as verify_bundle

    result = verify_bundle(bundle, public_key)
    click.echo(result.summary())
    raise SystemExit(0 if result.ok else 1)
