"""A STIX 2.1 bundle for a cluster: campaign, indicators, infrastructure, attributed actors."""
from __future__ import annotations

import ipaddress
import uuid
from datetime import datetime, timezone
from typing import Any

MAX_INDICATORS = 1000
CONFIDENCE_SCALE = 100  # STIX confidence is 0-100


def _id(kind: str) -> str:
    return f"{kind}--{uuid.uuid4()}"


def stix_time(when: datetime | None = None) -> str:
    """A STIX timestamp (UTC, milliseconds, `Z`) of `when`, or of now."""
    return (when or datetime.now(timezone.utc)).astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def ip_pattern(ip: str) -> str | None:
    """The STIX pattern matching one IPv4 or IPv6 address, or None for something that is not one."""
    try:
        version = ipaddress.ip_address(ip).version
    except ValueError:
        return None
    return f"[ipv{version}-addr:value = '{ip}']"


def bundle(cluster: dict[str, Any], q: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """The STIX 2.1 bundle (a dict) describing one cluster and what it was traced to."""
    now = stix_time()
    common = {"spec_version": "2.1", "created": now, "modified": now}
    producer = {"type": "identity", "id": _id("identity"), "name": "ringtrace", "identity_class": "system", **common}
    objects: list[dict[str, Any]] = [producer]
    by = {"created_by_ref": producer["id"]}
    reasons = "; ".join(cluster.get("reasons") or [])
    campaign = {"type": "campaign", "id": _id("campaign"), "name": f"ringtrace cluster {cluster.get('cluster_id')}",
                "description": f"Coordinated account cluster of {cluster.get('size')} accounts, score "
                               f"{cluster.get('score')}: {reasons}", **common, **by}
    objects.append(campaign)

    def relate(source: str, rel: str, target: str, **extra: Any) -> None:
        objects.append({"type": "relationship", "id": _id("relationship"), "relationship_type": rel,
                        "source_ref": source, "target_ref": target, **common, **by, **extra})

    ips = sorted({e["target"] for e in q.get("bundle_evidence_graph", [])
                  if e["target_label"] == "IPAddress" and e["type"] in ("SIGNED_UP_FROM", "LOGGED_IN_FROM",
                                                                       "API_KEY_CREATED_FROM")})
    for ip in ips[:MAX_INDICATORS]:
        pattern = ip_pattern(ip)
        if pattern is None:
            continue
        ind = {"type": "indicator", "id": _id("indicator"), "name": f"Address used by cluster {cluster.get('cluster_id')}",
               "description": "Sign-up, login or API-key creation address of the cluster's accounts",
               "indicator_types": ["malicious-activity"], "pattern": pattern, "pattern_type": "stix",
               "valid_from": now, **common, **by}
        objects.append(ind)
        relate(ind["id"], "indicates", campaign["id"])
    for row in q.get("cluster_infrastructure", []):
        infra = {"type": "infrastructure", "id": _id("infrastructure"), "name": str(row["service"]),
                 "infrastructure_types": ["anonymization"],
                 "description": f"Proxy service whose {row['exit_nodes']} exit nodes carried the cluster's traffic",
                 **common, **by}
        objects.append(infra)
        relate(campaign["id"], "uses", infra["id"])
    for row in q.get("cluster_attribution", []):
        actor = {"type": "threat-actor", "id": _id("threat-actor"), "name": str(row["name"] or row["target_id"]),
                 "threat_actor_types": ["unknown"],
                 "description": f"{row['target_kind']} {row['target_id']}: {row['evidence']}", **common, **by}
        objects.append(actor)
        relate(campaign["id"], "attributed-to", actor["id"],
               confidence=int(round(float(row["confidence"]) * CONFIDENCE_SCALE)))
    decided: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for row in q.get("cluster_members", []):
        if row.get("decision"):
            decided.setdefault((row["decision"], row.get("decision_case") or ""), []).append(row)
    for (decision, case_id), rows in sorted(decided.items()):
        who = sorted({str(r.get("decision_by")) for r in rows if r.get("decision_by")})
        objects.append({"type": "note", "id": _id("note"), "abstract": f"Investigator decision: {decision}",
                        "content": f"{len(rows)} of the cluster's accounts were marked {decision.replace('_', ' ')} "
                                   f"in case {case_id} by {', '.join(who) or 'an investigator'}: "
                                   + ", ".join(sorted(str(r["account_id"]) for r in rows)[:MAX_INDICATORS]),
                        "authors": who, "object_refs": [campaign["id"]], **common, **by})
    return {"type": "bundle", "id": _id("bundle"), "objects": objects}
