"""The chains behind an attribution, as drawn on Trace and listed in a bundle's report: from the cluster's
accounts through the very items on each evidence path (cards, devices, addresses, a staff member) to the
organisation or person, each labelled with its evidence and strength, the strongest first."""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

from tracing.attribution import Attribution, Candidate, EvidencePath

ITEMS_PER_CHAIN = 3
CANDIDATES_DRAWN = 5
# evidence kind -> (kind of the items on the path, what the accounts did with them, how they lead to the target)
STEPS = {
    "card_billed_to_org": ("PaymentCard", "paid with", "billed to"),
    "signup_email_domain": ("EmailDomain", "signed up with email at", "domain of"),
    "billing_email_domain": ("EmailDomain", "card billing email at", "domain of"),
    "api_key_from_network": ("IPAddress", "API key created from", "in network of"),
    "traffic_from_network": ("IPAddress", "traffic from", "in network of"),
    "claimed_org": (None, "typed its name at sign-up", None),
    "card_in_person_name": ("PaymentCard", "paid with", "in the name of"),
    "card_billing_email": ("PaymentCard", "paid with", "billing email of"),
    "account_email": ("Identifier", "signed up as", "email of"),
    "person_device": ("Device", "used device", "device of"),
    "person_address": ("IPAddress", "came from", "address of"),
    "api_key_from_person_address": ("IPAddress", "API key created from", "address of"),
    "own_account_shares_items": ("Identifier", "share", "used by an account of"),
    "account_owned_by_person": (None, "owned by", None),
}


@dataclass
class Step:
    label: str
    key: str
    caption: str


@dataclass
class Chain:
    target: Candidate
    evidence: str
    strength: float
    accounts: int
    steps: list[Step] = field(default_factory=list)  # from the cluster to the target, both included
    relations: list[str] = field(default_factory=list)  # one per hop

    def text(self) -> str:
        parts = [self.steps[0].caption]
        for rel, step in zip(self.relations, self.steps[1:]):
            parts.append(f"→ {rel} → {step.caption}")
        return (f"{' '.join(parts)} ({self.evidence.replace('_', ' ')}, {self.accounts} account(s), "
                f"strength {self.strength:.2f})")


def _target_step(c: Candidate) -> Step:
    label = "Organisation" if c.target_kind == "organisation" else "Person"
    return Step(label, f"{label}:{c.target_id}", c.name or c.target_id)


def _path_steps(path: EvidencePath) -> tuple[list[list[Step]], str, str | None]:
    """The item steps of one path (one chain per item drawn), what the accounts did, how items lead on."""
    kind, did, leads = STEPS.get(path.kind, ("Identifier", path.kind.replace("_", " "), "links to"))
    if kind is None:
        return [[]], did, None
    steps = []
    for item in path.items[:ITEMS_PER_CHAIN]:
        own = kind
        if path.kind == "own_account_shares_items":  # a device or an address the person's own account used
            own = "IPAddress" if _looks_like_ip(str(item)) else "Device"
        steps.append([Step(own, f"{own}:{item}", str(item))])
    return steps or [[]], did, leads


def _looks_like_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
        return True
    except ValueError:
        return False


def chains(result: Attribution, cluster_caption: str, candidates: int = CANDIDATES_DRAWN) -> list[Chain]:
    """Every chain to the top `candidates` organisations and people, strongest first."""
    root = Step("Cluster", f"Cluster:{result.cluster_id}", cluster_caption)
    people = {p.target_id: p for p in result.people}
    out: list[Chain] = []
    for c in result.organisations[:candidates] + result.people[:candidates]:
        target = _target_step(c)
        for path in c.paths:
            if path.kind == "via_staff_member":
                person = next((p for pid, p in people.items() if pid in str(path.items[0] if path.items else "")),
                              None)
                if person is None or not person.paths:
                    continue
                best = max(person.paths, key=lambda p: p.strength)
                item_lists, did, leads = _path_steps(best)
                for items in item_lists:
                    steps = [root, *items, _target_step(person), target]
                    rels = ([f"{best.accounts} account(s) {did}"] + ([leads] if items else []) + ["works for"])
                    out.append(Chain(c, path.kind, path.strength, path.accounts, steps, rels))
                continue
            item_lists, did, leads = _path_steps(path)
            for items in item_lists:
                steps = [root, *items, target]
                rels = [f"{path.accounts} account(s) {did}"] + ([leads] if items else [])
                out.append(Chain(c, path.kind, path.strength, path.accounts, steps, rels))
    return sorted(out, key=lambda ch: (-ch.strength, -ch.target.confidence, ch.target.target_id, ch.evidence))
