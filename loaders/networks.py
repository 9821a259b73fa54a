"""Which organisation's network an address lies in: its netblocks (CIDR) or its ASNs."""
from __future__ import annotations

import ipaddress
from typing import Any, Iterable


def network_rows(orgs: Iterable[dict[str, Any]], addresses: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """IN_NETWORK_OF rows for `addresses` ({ip, asn}) and `orgs` ({org_id, netblocks, asns}): one per netblock
    holding the address, then one per organisation owning its ASN (the last row of a pair is what stays)."""
    orgs = list(orgs)
    nets = [(ipaddress.ip_network(n), o["org_id"]) for o in orgs for n in o["netblocks"] or []]
    asn_owner: dict[int, list[str]] = {}
    for o in orgs:
        for a in o["asns"] or []:
            asn_owner.setdefault(int(a), []).append(o["org_id"])
    rows = []
    for rec in addresses:
        addr = ipaddress.ip_address(rec["ip"])
        for net, org in nets:
            if addr.version == net.version and addr in net:
                rows.append({"ip": rec["ip"], "org_id": org, "via": "netblock", "netblock": str(net), "asn": None})
        for org in asn_owner.get(rec["asn"], []) if rec["asn"] is not None else []:
            rows.append({"ip": rec["ip"], "org_id": org, "via": "asn", "netblock": None, "asn": rec["asn"]})
    return rows
