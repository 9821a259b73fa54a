"""`ringtrace export` and `ringtrace verify`: evidence bundles out, and checked."""
from __future__ import annotations

from pathlib import Path

import click

from ringtrace.cli.commands.common import friendly_errors
from ringtrace.core import config
from ringtrace.core.errors import RingtraceError
from ringtrace.core.rights import cli_actor


@click.command()
@click.option("--cluster", "cluster_id", default=None, help="The cluster to export (full id or c0001).")
@click.option("--campaign", "campaign_id", default=None,
              help="Or a whole campaign (full id or k0001): its reasons, attribution and every cluster.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True, help="FILE.zip")
@click.option("--redact", is_flag=True, help="Mask emails, names and card digits for sharing outside the team.")
@click.option("--analyst", default=None,
              help="The analyst the manifest names (default: who runs the command: RINGTRACE_USER, else cli:$USER).")
@click.option("--signing-key", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default=lambda: config.signing_key(),
              help="Ed25519 private key (PEM) to sign the manifest (or RINGTRACE_SIGNING_KEY).")
def export(cluster_id: str | None, campaign_id: str | None, out: Path, redact: bool, analyst: str | None,
           signing_key: Path | None) -> None:
    """Export a verifiable evidence bundle (ZIP) for a cluster or a campaign."""
    friendly_errors(_export)(cluster_id, campaign_id, out, redact, analyst, signing_key)


def _export(cluster_id: str | None, campaign_id: str | None, out: Path, redact: bool, analyst: str | None,
            signing_key: Path | None) -> None:
    # deferred: graph.db and workflows.export add 1.27 s to every CLI start
    from graph.db import connect
    from workflows import export as bundles

    actor = cli_actor()
    if bool(cluster_id) == bool(campaign_id):
        raise RingtraceError("Give either --cluster ID or --campaign ID.")
    with connect() as g:
        if campaign_id:
            manifest = bundles.export_campaign(g, actor, campaign_id, out, redact, signing_key, analyst)
        else:
            manifest = bundles.export_cluster(g, actor, cluster_id, out, redact, signing_key, analyst)
    click.echo(f"Wrote {out}: {len(manifest['files'])} files, bundle {manifest['bundle_id']}, "
               f"manifest sha256 {manifest['manifest_sha256']}")


@click.command()
@click.argument("bundle", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--public-key", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="The sender's Ed25519 public key (PEM) to check the signature against.")
def verify(bundle: Path, public_key: Path | None) -> None:
    """Verify an evidence bundle: exit 0 when intact, 1 naming each changed, added or missing file."""
    # deferred: bundles.manifest (cryptography) adds 0.02 s to every CLI start; only `verify` needs it
    from bundles.manifest import verify as verify_bundle

    result = verify_bundle(bundle, public_key)
    click.echo(result.summary())
    raise SystemExit(0 if result.ok else 1)
