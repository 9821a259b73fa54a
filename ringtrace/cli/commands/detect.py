"""`ringtrace detect`: flag coordinated clusters."""
from __future__ import annotations

from pathlib import Path

import click

from ringtrace.cli.commands.common import friendly_errors
from ringtrace.cli.commands.monitor import print_changes
from ringtrace.core import config
from ringtrace.core.rights import cli_actor


@click.command()
@click.option("--resolution", type=float, default=1.0, show_default=True,
              help="Louvain resolution (higher: smaller clusters); python engine only.")
@click.option("--seed", type=int, default=0, show_default=True,
              help="Random seed (same input and seed: same clusters); python engine only, GDS Louvain has none.")
@click.option("--engine", type=click.Choice(config.DETECTION_ENGINES), default=config.DETECTION_ENGINES[0],
              show_default=True,
              help="python: python-louvain here; gds: Louvain inside Neo4j with Graph Data Science "
                   "(`ringtrace neo4j install-gds` for the local server).")
@click.option("--min-size", type=int, default=config.DETECT_MIN_GROUP, show_default=True,
              help="Smallest group reported as a cluster (rings can be two accounts).")
@click.option("--flag-threshold", type=float, default=config.DETECT_FLAG_THRESHOLD, show_default=True,
              help="Smallest evidence against chance per account (decades from shared evidence and sign-up "
                   "synchrony) of a flagged cluster, beside the FDR test (README: the flag rule).")
@click.option("--fdr", type=float, default=lambda: config.DETECT_FDR, show_default=config.described("DETECT_FDR"),
              help="Expected share of false discoveries among flagged clusters: clusters are flagged by "
                   "Benjamini-Hochberg at this rate over all the run's clusters (README: the flag rule).")
@click.option("--top-k", type=int, default=config.DETECT_TOP_K, show_default=True,
              help="Strongest links kept per account in the projection.")
@click.option("--results", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Also write flagged_accounts.csv, clusters.csv and campaigns.csv here.")
@click.option("--no-progress", is_flag=True)
def detect(resolution: float, seed: int, engine: str, min_size: int, flag_threshold: float, fdr: float, top_k: int,
           results: Path | None, no_progress: bool) -> None:
    """Find coordinated account clusters, score them with reasons, save the run in Neo4j."""
    friendly_errors(_detect)(resolution, seed, engine, results, not no_progress,
                       {"min_group": min_size, "flag_threshold": flag_threshold, "fdr": fdr, "top_k": top_k})


def _detect(resolution: float, seed: int, engine: str, results: Path | None, progress: bool,
            thresholds: dict | None = None) -> None:
    # deferred: these imports (run, cluster_ids, db, terminal, detect) add 2.37 s to every CLI start
    from detection.run import DetectionParams
    from graph.cluster_ids import short_cluster_id
    from graph.db import connect
    from ringtrace.cli.terminal import console as make_console
    from ringtrace.cli.terminal import escape, print_table, rich_progress
    from workflows.detect import detect as run_detect

    actor = cli_actor()
    with connect() as g, rich_progress(progress) as bars:
        detected = run_detect(g, actor, DetectionParams(resolution=resolution, seed=seed, **(thresholds or {})),
                              engine, bars, results)
    result, changes = detected.result, detected.changes
    console = make_console()
    print_table(console, f"Detection {result.run_id}: {len(result.flagged)} flagged of {len(result.clusters)} clusters",
                ("cluster", "size", "score", "top reasons"),
                [(short_cluster_id(cid), f"{len(c.members):,}", f"{c.score:.1f}", "; ".join(c.reasons[:3]))
                 for cid, c in result.flagged], id_columns=("cluster",))
    for k in result.campaigns:
        if len(k.cluster_ids) > 1:
            console.print(escape(f"Campaign {short_cluster_id(k.campaign_id)}: " + "; ".join(k.reasons)))
    console.print(escape(
        f"Flag rule: Benjamini-Hochberg at FDR {result.fdr:g} over {len(result.clusters):,} clusters "
        f"(p-value cut {result.p_value_cut:.3g}), score >= {(thresholds or {}).get('flag_threshold', config.DETECT_FLAG_THRESHOLD):g}; "
        f"{len(result.multi_accounts):,} groups look like one household or one person (multi_accounts.csv)."))
    console.print(escape("Timings (s): " + ", ".join(f"{k} {v}" for k, v in result.timings.items())))
    example = short_cluster_id(result.cluster_ids[0]) if result.cluster_ids else "c0001"
    console.print(escape(f"Cluster ids: the short form ({example}) names a cluster of the latest run in every "
                         f"command; the full form is {result.run_id}-cNNNN."))
    print_changes(changes, console)
    if detected.written:
        f, c = detected.written
        console.print(escape(f"Wrote {f} and {c}"))
