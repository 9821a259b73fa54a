"""An explainable score per cluster: the sum of named contributions, each with its reason.

Features follow the published detectors: shared payment instruments and devices
(dense blocks, Fraudar, Hooi et al. KDD 2016), loosely synchronised activity
(SynchroTrap, Cao et al. CCS 2014; CopyCatch, Beutel et al. WWW 2013), registration
bursts (Xiao, Freeman & Hwa, AISec 2015), traffic through proxy infrastructure, prompt
templates concentrated in the group, distillation-type request categories, and how
fast the group's traffic moved to a newly released model. A legitimate company looks
dense too, so accounts that openly and consistently identify one organisation (its
email domain, cards billed to it, its name typed at sign-up) and verified accounts
subtract from the score.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from detection import fdr, shared_evidence, synchrony
from detection.evidence import Evidence
from ringtrace.core import config

# Points each feature can add (or, when negative, subtract) at full strength.
POINTS = {
    "shared_evidence": 1.0,   # per decade of evidence per account (see shared_evidence.py)
    "proxy_traffic": 2.0,
    "datacenter_traffic": 0.5,
    "creation_burst": 1.0,    # per decade of sign-up synchrony per account (see synchrony.py)
    "lockstep": 2.0,
    "template_concentration": 1.5,
    "distillation_categories": 1.0,
    "request_volume": 0.5,
    "model_switch": 1.0,
    "verified": -1.5,
    "open_identity": -4.0,
    "co_activity": 1.0,       # issue 29: per decade of synchronised activity per account (see cosync.py)
}
FLAG_THRESHOLD = config.DETECT_FLAG_THRESHOLD
KINDS_NAMED = 4                       # kinds named in the shared-evidence reason
CAMPAIGN_FACT_SHARE = 0.5             # a proxy service carrying half a cluster's requests is its service
LOCKSTEP_BUCKET_S = 600               # 10-minute windows (SynchroTrap uses time buckets)
LOCKSTEP_MIN_ACCOUNTS = 5             # a handful of people acting together is ordinary
LOCKSTEP_MIN_SHARE = 0.02             # of members active in one window
TEMPLATE_EXCLUSIVE_SHARE = 0.5        # a template is the group's when half its users are members
TEMPLATE_MIN_MEMBERS = 3
DISTILLATION_CATEGORIES = ("cot_elicitation", "tool_use", "agentic", "reasoning", "vision")
CATEGORY_BASELINE = 0.3
VOLUME_SATURATION = 4.0               # 4x the median account's requests scores in full
MODEL_SWITCH_SHARE = 0.3              # share of requests on the new model that counts as moved
MODEL_SWITCH_WINDOW_H = 6
MODEL_SWITCH_MIN_REQUESTS = 20        # fewer requests in the window say nothing about a move
MODEL_SWITCH_HORIZON_H = 72
OPEN_IDENTITY_MIN_SIGNALS = 2
MODEL_SWITCH_FULL_H = 24              # moving within a day scores in full, then fades to 0 at 2 days
# Multi-accounts: a group this small that shares only what one household or one person shares (one card,
# one device, one home address...) and shows nothing a ring does is listed apart, never flagged.
MULTI_ACCOUNT_MAX = 5  # households of up to five people
HOUSEHOLD_KINDS = frozenset({"card", "device", "ip", "key_ip", "identifier:postal_address", "identifier:email",
                             "identifier:phone", "identifier:home_address", "identifier:browser_fingerprint",
                             "identifier:tls_fingerprint", "identifier:wifi"})
HOME_KINDS = frozenset({"identifier:postal_address", "identifier:home_address"})
RING_BEHAVIOUR_POINTS = 1.0  # behaviour points (proxy, lockstep, templates, volume...) that make a group ring-like


# contributions whose points are a density per account after the first (their totals are decades)
TOTAL_OVER_ACCOUNTS = ("shared_evidence", "creation_burst", "open_identity", "co_activity")  # issue 29: co_activity
LINKING = ("shared_evidence", "co_activity")  # evidence that links accounts against chance (issue 29: co_activity)
BEHAVIOUR = ("proxy_traffic", "datacenter_traffic", "lockstep", "template_concentration", "distillation_categories",
             "request_volume", "model_switch")


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} seconds"
    if seconds < 7200:
        return f"{seconds / 60:.0f} minutes"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.0f} hours"
    return f"{seconds / 86400:.0f} days"


def decide(clusters: list[ScoredCluster], q: float | None = None, threshold: float = FLAG_THRESHOLD) -> float:
    """Flag the clusters that are discoveries at false-discovery rate `q` (Benjamini-Hochberg over every
    cluster of the run, p = 10**-evidence), with shared evidence against chance (sign-up timing alone
    never flags), at least `threshold` decades against chance per account, and not multi-accounts.
    Returns the p-value cut. `q` defaults to config.DETECT_FDR."""
    q = config.DETECT_FDR if q is None else q
    keep, cut = fdr.benjamini_hochberg(np.array([-c.evidence for c in clusters]), q)
    qv = fdr.q_values(np.array([-c.evidence for c in clusters]))
    for c, k, qq in zip(clusters, keep, qv):
        c.q_value = float(qq)
        # sign-up timing alone never flags: two friends tied by a referral who signed up hours apart are not a ring
        shares = any(ct.feature in LINKING and ct.points > 0 for ct in c.contributions)
        c.flagged = bool(k) and shares and c.against_chance() >= threshold and c.multi_account is None
    return cut


def flag_explanation(flagged: bool, contributions: list[dict[str, Any]], q_value: float | None,
                     multi_account: str | None, reasons: list[str], fdr_level: float | None,
                     threshold: float = FLAG_THRESHOLD) -> str:
    """The flag rule of `decide` applied to a stored cluster, in words: why it is flagged, or each part of the
    rule it missed and by how much (an earlier false-positive decision first)."""
    against = sum(c["points"] for c in contributions if c["feature"] in TOTAL_OVER_ACCOUNTS or c["points"] < 0)
    shares = any(c["feature"] == "shared_evidence" and c["points"] > 0 for c in contributions)
    level = config.DETECT_FDR if fdr_level is None else fdr_level
    q = 1.0 if q_value is None else q_value
    if flagged:
        return (f"flagged: {against:.2f} decades against chance per account (at least {threshold:g} needed) and a "
                f"q-value of {q:.3g} (at most the run's false-discovery rate {level:g})")
    missed = [r for r in reasons[:1] if r.startswith("not flagged:")]
    missed = [missed[0][len("not flagged: "):]] if missed else []
    if multi_account:
        missed.append(f"it looks like one household or one person ({multi_account})")
    if not shares:
        missed.append("its accounts share no evidence beyond chance (sign-up timing alone never flags)")
    if against < threshold:
        missed.append(f"{against:.2f} decades against chance per account, below the {threshold:g} needed")
    if q > level:
        missed.append(f"a q-value of {q:.3g}, above the run's false-discovery rate {level:g}")
    return "not flagged: " + ("; ".join(missed) if missed else "below the flag rule")


@dataclass
class Contribution:
    feature: str
    value: float
    points: float
    reason: str


@dataclass
class ScoredCluster:
    members: list[str]
    score: float
    flagged: bool
    contributions: list[Contribution]
    absent: list[str] = field(default_factory=list)
    decision: str | None = None  # what an investigator decided about this group before (cases.feedback)
    facts: dict[str, Any] = field(default_factory=dict)  # operator-level facts campaigns summarise
    evidence: float = 0.0        # decades against chance: shared evidence, sign-up synchrony, behaviour
    q_value: float = 1.0         # Benjamini-Hochberg adjusted p-value over the run's clusters
    multi_account: str | None = None  # why the group looks like one household or one person, when it does

    @property
    def reasons(self) -> list[str]:
        """A past decision first, then reasons in words, strongest first, then the signals the data could
        not support."""
        return (([self.decision] if self.decision else [])
                + [c.reason for c in sorted(self.contributions, key=lambda c: -abs(c.points)) if c.points != 0]
                + [f"not available: {a}" for a in self.absent])

    def why(self) -> list[str]:
        """What makes the group suspicious: its positive contributions' reasons, strongest first."""
        return [c.reason for c in sorted(self.contributions, key=lambda c: -c.points) if c.points > 0]

    def against_chance(self) -> float:
        """Decades against chance per account after the first (shared evidence and sign-up synchrony), less
        what explains them (verified accounts, an open identity); behaviour points are no test against chance."""
        return sum(c.points for c in self.contributions if c.feature in TOTAL_OVER_ACCOUNTS or c.points < 0)

    def features(self) -> dict[str, float]:
        return {c.feature: round(c.value, 4) for c in self.contributions}

    def contributions_json(self) -> list[dict]:
        return [asdict(c) for c in self.contributions]


UNDECLARED_PREFIX = "domain:"  # an undeclared organisation, known by its email domain


def _org_key(names: pd.Series) -> pd.Series:
    """Organisation names compared as letters and digits only ('Oakhaven Consulting' = 'oakhaven-consulting')."""
    return names.str.lower().str.replace(r"[^a-z0-9]", "", regex=True).replace("", np.nan)


def _clip01(x: float) -> float:
    return float(min(1.0, max(0.0, x)))


class Scorer:
    """Scores clusters against population-wide context computed once per detection run.

    Every feature is computed for all groups at once (a group label on each row, then group-bys),
    so scoring costs a few passes over the members' rows, not a pass per group."""

    def __init__(self, evidence: Evidence, activity: pd.DataFrame, template_users: pd.DataFrame) -> None:
        self.ev = evidence
        self.accounts = evidence.accounts.drop_duplicates("account").set_index("account")
        self.median_requests = float(max(1.0, evidence.accounts["requests"].median() or 1.0))
        self.activity = activity
        self.template_users = dict(zip(template_users["prompt_fingerprint"], template_users["users"]))
        self.proxy_service = dict(zip(evidence.proxy_exits["ip"], evidence.proxy_exits["service_name"]))
        self.cards = evidence.cards
        self.tests = shared_evidence.SharedEvidenceTests(evidence.holdings, evidence.shared_items, evidence.links,
                                                         len(evidence.accounts), evidence.holders)
        self.has_log = evidence.has_request_log
        self.signups = synchrony.SignupSynchrony(evidence.accounts["created"])
        self.created = evidence.accounts.drop_duplicates("account").set_index("account")["created"]
        self.org_names = dict(zip(evidence.organisations["name"].str.lower(), evidence.organisations["org_id"]))
        self.display_names = dict(zip(evidence.organisations["org_id"], evidence.organisations["name"]))
        self.releases = evidence.releases

    def score_all(self, groups: list[list[str]]) -> list[ScoredCluster]:
        """Score every group."""
        if not groups:
            return []
        sizes = np.array([len(g) for g in groups])
        label = pd.Series(np.repeat(np.arange(len(groups)), sizes), index=[a for g in groups for a in g])
        acc = self.accounts.reindex(label.index).assign(group=label.to_numpy())
        act = self.activity.assign(group=self.activity["account_id"].map(label)).dropna(subset=["group"]) \
            if len(self.activity) else self.activity.assign(group=pd.Series(dtype="int64"))
        act = act.astype({"group": "int64"})
        sync = self.signups.surprise_all(groups, self.created)
        dated = np.add.reduceat(acc["created"].notna().to_numpy(), np.r_[0, np.cumsum(sizes)[:-1]]) == sizes
        sync_decades = np.array([d for d, _, _ in sync])
        # created together beyond what a household does, family-wise over every group (Bonferroni at the
        # run's FDR): among hundreds of households a few sign up within hours of each other by chance, and BH,
        # lenient where the rings' bursts are many, would call them together; and one pair of a home signing
        # up together is what a person opening a second account does, so the burst test leaves one pair free
        # (synchrony.py: `burst`); a script's three or more sign-ups seconds apart pass
        bar = np.log10(max(len(groups), 1) / config.DETECT_FDR)
        close = sync_decades >= bar  # closer than independent sign-ups: no household's sign of being apart
        together = self.signups.burst_all(groups, self.created) >= bar
        household_like = np.array([len(g) <= MULTI_ACCOUNT_MAX and bool(k) and k <= HOUSEHOLD_KINDS and not t
                                   for g, k, t in zip(groups, self.tests.shared_kinds(groups), close)])
        tests = self.tests.test_groups(groups, sync_decades, household_like)
        collapsed = tests[tests["collapse"] > 0]
        collapsed_kinds = collapsed.groupby("group")["kind"].agg(set).to_dict()
        crossing = self._crossing_items(label)
        side_by_side = self.tests.pieces(groups, MULTI_ACCOUNT_MAX)
        money = self.tests.groups_paying(label)
        open_org, open_share = self._open_identity(acc, label, sizes)
        shared_total, shared_parts = self._shared_parts(tests)
        total_req = act.groupby("group")["requests"].sum().reindex(range(len(groups)), fill_value=0).to_numpy(float)
        proxy = self._proxy(act, total_req)
        lock = self._lockstep(act, sizes, total_req)
        templates = self._templates(act, total_req)
        cats = self._categories(acc)
        switch = self._model_switch(act)
        verified = acc["verified"].astype("boolean").fillna(False).astype(float).groupby(acc["group"]).mean()

        out = []
        for i, members in enumerate(groups):
            n = int(sizes[i])
            contributions: list[Contribution] = []
            facts: dict[str, Any] = {}

            def add(feature: str, value: float, strength: float, reason: str) -> None:
                contributions.append(Contribution(feature, float(value), round(POINTS[feature] * strength, 3), reason))

            self._shared_evidence(n, float(shared_total.get(i, 0.0)), shared_parts.get(i, []), open_share[i], add)
            absent: list[str] = []
            if not self.has_log:
                absent.append("no request log: proxy, datacenter, lockstep, template, model-switch signals")
            elif not total_req[i]:
                absent.append("no requests from these accounts in the request log")
            if total_req[i]:
                via, top_name, top_share, dc = proxy[i]
                if top_name is not None and top_share >= CAMPAIGN_FACT_SHARE:
                    facts["proxy_service"] = top_name
                if top_name is not None:
                    add("proxy_traffic", via, via, f"{via:.0%} of requests came through exit nodes of proxy services "
                        f"({top_share:.0%} through {top_name})")
                else:
                    add("proxy_traffic", 0.0, 0.0, "no requests came through known proxy exit nodes")
                add("datacenter_traffic", dc, dc, f"{dc:.0%} of requests came from datacenter or VPN addresses")
            if not self.signups.informative:
                absent.append("sign-up times missing or constant: no sign-up synchrony")
            else:
                decades, k_sync, width = sync[i]
                density = decades / max(n - 1, 1)
                add("creation_burst", density, density,
                    f"{k_sync:,} of the {n:,} accounts signed up within {_duration(width)} "
                    f"({decades:.1f} decades against the platform's sign-up rate then)" if decades > 0 else
                    "the accounts did not sign up closer together than chance")
            if total_req[i]:
                share, needed = lock[i]
                add("lockstep", share, _clip01(share),
                    f"{share:.0%} of requests fell in 10-minute windows in which at least {needed} "
                    f"of the accounts were active together")
                conc, own = templates.get(i, (0.0, 0))
                add("template_concentration", conc, _clip01(conc),
                    f"{conc:.0%} of requests used {own:,} prompt templates that mostly these accounts use")
            if i in cats:
                focus, top_cat, top_share, per_acc, tokens = cats[i]
                add("distillation_categories", focus, _clip01((focus - CATEGORY_BASELINE) / (1 - CATEGORY_BASELINE)),
                    f"{focus:.0%} of requests were {', '.join(DISTILLATION_CATEGORIES)} "
                    f"(mostly {top_cat.replace('_', ' ')}: {top_share:.0%})")
                ratio = per_acc / self.median_requests
                add("request_volume", ratio, _clip01(np.log2(max(ratio, 1.0)) / np.log2(VOLUME_SATURATION)),
                    f"{per_acc:,.0f} requests and {tokens:,.0f} tokens per account "
                    f"({ratio:.1f}x the median account)")
            if i in switch:
                hours, model, share = switch[i]
                facts["model_switch"] = (model, hours)
                strength = 1.0 if hours <= MODEL_SWITCH_FULL_H else _clip01(2 - hours / MODEL_SWITCH_FULL_H)
                add("model_switch", hours, strength,
                    f"traffic moved to the new model {model} {hours:.0f} hours after its release "
                    f"({share:.0%} of requests in the next {MODEL_SWITCH_WINDOW_H} hours)")
            v = float(verified.get(i, 0.0))
            add("verified", v, v, f"{v:.0%} of accounts passed identity verification")
            add("open_identity", open_share[i], open_share[i],
                f"{open_share[i]:.0%} of accounts openly identify {open_org[i]} (email domain, billed cards, stated "
                "organisation)" if open_org[i] else "the accounts do not openly identify one organisation")
            score = round(sum(c.points for c in contributions), 3)
            # decades against chance: the per-account densities back to totals, behaviour points as decades
            evidence = sum(c.points * (max(n - 1, 1) if c.feature in TOTAL_OVER_ACCOUNTS else 1.0)
                           for c in contributions)
            cluster = ScoredCluster(members=members, score=score, flagged=False, contributions=contributions,
                                    absent=absent, facts=facts, evidence=round(float(evidence), 3))
            cluster.multi_account = self._multi_account(n, collapsed_kinds.get(i, set()), bool(dated[i]),
                                                        bool(together[i]), bool(close[i]),
                                                        i in crossing or i in money,
                                                        sum(c.points for c in contributions
                                                            if c.points > 0 and c.feature in BEHAVIOUR),
                                                        side_by_side.get(i))
            out.append(cluster)
        return out

    def _multi_account(self, n: int, collapsed: set[str], dated: bool, together: bool, close: bool,
                       ring_sign: bool, behaviour: float, pieces: list[tuple[list[str], set[str]]] | None = None
                       ) -> str | None:
        """Why a group of n accounts looks like one household or one person with several accounts (or
        several households side by side), or None. `collapsed`: the kinds its members reuse; `dated`: every
        member has a sign-up time; `together`: a sign-up burst beyond what a household does (one pair free,
        synchrony.burst), a ring's sign; `close`: sign-ups closer than independent draws (synchrony.surprise),
        which takes away the household sign of sign-ups apart but is no ring's sign by itself (two of one home
        signing up within a second share a home address, and stay a household); `pieces`: a larger group's
        households, when the only items between them are the first ties that connect them
        (SharedEvidenceTests.pieces).

        It must be small (or each of its pieces small), share only household kinds, show a positive sign of
        a household in each piece (a shared home address, or sign-ups no closer than chance) and nothing a
        ring shows, judged on the whole group: money moving between its accounts, sign-ups together beyond
        what a household does, an item it shares with accounts of another group, or ring-like behaviour."""
        if n > MULTI_ACCOUNT_MAX and not (pieces and all(len(m) <= MULTI_ACCOUNT_MAX for m, _ in pieces)):
            return None
        kinds = collapsed - {shared_evidence.LINK_KIND}
        if not kinds or not kinds <= HOUSEHOLD_KINDS:
            return None
        if ring_sign or together or behaviour >= RING_BEHAVIOUR_POINTS:
            return None
        apart = self.signups.informative and dated and not close
        homes = [bool(k & HOME_KINDS) for _, k in pieces] if n > MULTI_ACCOUNT_MAX else [bool(kinds & HOME_KINDS)]
        if not apart and not all(homes):
            return None
        shared = ", ".join(shared_evidence.kind_label(k) for k in sorted(kinds))
        sign = "they share a home address" if all(homes) else "they signed up no closer together than chance"
        who = f"{len(pieces)} households side by side ({' + '.join(str(len(m)) for m, _ in pieces)} accounts, " \
              "tied only by the items that first connect them)" if n > MULTI_ACCOUNT_MAX else \
              f"one household or one person with {n} accounts"
        return f"looks like {who}: they share {shared}; {sign}; " \
               "no money between them, no sign-up burst, no item shared with another group, no ring-like traffic"

    def _crossing_items(self, label: pd.Series) -> set[int]:
        """Groups holding an identifying item that accounts of another group also hold (a drop address,
        a payout account used across rings); sign-up, login and request addresses do not count, since a
        NAT or a provider's pool is shared across groups by design."""
        sh = self.tests.shared
        sh = sh[sh["kind"] != shared_evidence.ADDRESS_KIND]
        sh = sh.assign(group=sh["account"].map(label)).dropna(subset=["group"])
        per_item = sh.groupby("item")["group"].nunique()
        crossing = per_item.index[per_item >= 2]
        return set(sh.loc[sh["item"].isin(crossing), "group"].astype(int))

    @staticmethod
    def _shared_evidence(n: int, total: float, parts: list[str], explained: float, add) -> None:
        """Decades of evidence against chance per account after the first (Fraudar's density, Hooi et al.
        2016, over CrossSpot-style surprises); sharing explained by an open identity does not count."""
        density = total / max(n - 1, 1) * (1.0 - explained)
        add("shared_evidence", density, density,
            (f"shared evidence {density:.1f} decades per account against chance: " + "; ".join(parts)
             + (f"; {explained:.0%} explained by an open identity" if explained else ""))
            if parts else "the accounts share no identifying evidence beyond chance")

    @staticmethod
    def _shared_parts(tests: pd.DataFrame) -> tuple[pd.Series, dict[int, list[str]]]:
        """Per group: total surprise, and its strongest kinds in words."""
        totals = tests.groupby("group")["surprise"].sum()
        parts: dict[int, list[str]] = {}
        top = tests[tests["surprise"] > 0].groupby("group").head(KINDS_NAMED)
        for g, kind, holders, items, surprise in zip(top["group"], top["kind"], top["holders"], top["items"],
                                                     top["surprise"]):
            parts.setdefault(int(g), []).append(
                f"{int(items):,} links between the accounts ({surprise:.1f})" if kind == shared_evidence.LINK_KIND
                else f"{int(holders):,} accounts hold {int(items):,} {shared_evidence.plural(items, kind)} "
                     f"({surprise:.1f})")
        return totals, parts

    def _proxy(self, act: pd.DataFrame, total_req: np.ndarray) -> dict[int, tuple[float, str | None, float, float]]:
        """Per group: share through proxy exits, the top service and its share, share from datacenters."""
        if not len(act):
            return {}
        service = act["ip"].map(self.proxy_service)
        via = act.loc[service.notna()].groupby("group")["requests"].sum()
        by_service = act.assign(service=service).dropna(subset=["service"]).groupby(["group", "service"])["requests"] \
            .sum().reset_index().sort_values(["group", "requests", "service"], ascending=[True, False, True]) \
            .drop_duplicates("group").set_index("group")
        dc = act.loc[act["ip"].isin(self.ev.datacenter_ips) & service.isna()].groupby("group")["requests"].sum()
        out = {}
        for g in np.flatnonzero(total_req):
            t = total_req[g]
            top = by_service.loc[g] if g in by_service.index else None
            out[int(g)] = (float(via.get(g, 0)) / t, None if top is None else str(top["service"]),
                           0.0 if top is None else float(top["requests"]) / t, float(dc.get(g, 0)) / t)
        return out

    def _lockstep(self, act: pd.DataFrame, sizes: np.ndarray, total_req: np.ndarray) -> dict[int, tuple[float, int]]:
        """Per group: share of requests in windows where enough members were active together."""
        needed = np.maximum(LOCKSTEP_MIN_ACCOUNTS, np.ceil(LOCKSTEP_MIN_SHARE * sizes).astype(int))
        if not len(act):
            return {}
        w = act.assign(window=act["ts"] // LOCKSTEP_BUCKET_S)
        active = w.groupby(["group", "window"])["account_id"].nunique().reset_index(name="active")
        busy = active[active["active"].to_numpy() >= needed[active["group"].to_numpy()]]
        inside = w.merge(busy[["group", "window"]], on=["group", "window"])
        locked = inside.groupby("group")["requests"].sum()
        return {int(g): (float(locked.get(g, 0)) / total_req[g], int(needed[g])) for g in np.flatnonzero(total_req)}

    def _templates(self, act: pd.DataFrame, total_req: np.ndarray) -> dict[int, tuple[float, int]]:
        """Per group: share of requests on templates that mostly its members use, and how many."""
        if not len(act):
            return {}
        used = act.dropna(subset=["prompt_fingerprint"])
        users = used.groupby(["group", "prompt_fingerprint"])["account_id"].nunique().reset_index(name="users")
        overall = users["prompt_fingerprint"].map(self.template_users).fillna(0).to_numpy(dtype=float)
        share = users["users"].to_numpy() / np.maximum(1, overall)
        own = users[(share >= TEMPLATE_EXCLUSIVE_SHARE) & (users["users"].to_numpy() >= TEMPLATE_MIN_MEMBERS)]
        conc = used.merge(own[["group", "prompt_fingerprint"]], on=["group", "prompt_fingerprint"]) \
            .groupby("group")["requests"].sum()
        count = own.groupby("group").size()
        return {int(g): (float(conc.get(g, 0)) / total_req[g], int(count.get(g, 0))) for g in np.flatnonzero(total_req)}

    def _categories(self, acc: pd.DataFrame) -> dict[int, tuple[float, str, float, float, float]]:
        """Per group with requests: distillation share, top category and its share, requests and tokens per account."""
        columns = ["requests", "tokens"] + [f"req_{c}" for c in DISTILLATION_CATEGORIES]
        sums = acc[columns].fillna(0).groupby(acc["group"]).sum()
        counts = acc.groupby("group").size()
        out = {}
        for g, row in sums[sums["requests"] > 0].iterrows():
            req = float(row["requests"])
            cats = {c: float(row[f"req_{c}"]) / req for c in DISTILLATION_CATEGORIES}
            top = max(cats, key=cats.get)
            n = int(counts[g])
            out[int(g)] = (sum(cats.values()), top, cats[top], req / n, float(row["tokens"]) / n)
        return out

    def _model_switch(self, act: pd.DataFrame) -> dict[int, tuple[float, str, float]]:
        """Per group: the earliest hour after a release at which its new-model share passed the bar."""
        best: dict[int, tuple[float, str, float]] = {}
        if not len(act) or self.releases.empty:
            return best
        horizon, width = MODEL_SWITCH_HORIZON_H, MODEL_SWITCH_WINDOW_H
        for model, released in zip(self.releases["model"], self.releases["released"]):
            after = act[(act["ts"] >= released) & (act["ts"] < released + horizon * 3600)]
            if after.empty:
                continue
            groups, row = np.unique(after["group"].to_numpy(), return_inverse=True)
            hour = ((after["ts"].to_numpy() - released) // 3600).astype(int)
            req = after["requests"].to_numpy(dtype=float)
            total = np.zeros((len(groups), horizon))
            on_new = np.zeros((len(groups), horizon))
            np.add.at(total, (row, hour), req)
            np.add.at(on_new, (row, hour), np.where(after["model"].to_numpy() == model, req, 0.0))
            # requests in [h, h + width) for every start hour h
            cum_t = np.concatenate([np.zeros((len(groups), 1)), total.cumsum(axis=1)], axis=1)
            cum_n = np.concatenate([np.zeros((len(groups), 1)), on_new.cumsum(axis=1)], axis=1)
            tot_w = cum_t[:, width:] - cum_t[:, :-width]
            new_w = cum_n[:, width:] - cum_n[:, :-width]
            share = np.divide(new_w, tot_w, out=np.zeros_like(new_w), where=tot_w > 0)
            hits = (share >= MODEL_SWITCH_SHARE) & (tot_w >= MODEL_SWITCH_MIN_REQUESTS)
            for r in np.flatnonzero(hits.any(axis=1)):
                h = int(np.argmax(hits[r]))
                g = int(groups[r])
                if g not in best or h < best[g][0]:
                    best[g] = (float(h), str(model), float(share[r, h]))
        return best

    def _open_identity(self, acc: pd.DataFrame, label: pd.Series, sizes: np.ndarray
                       ) -> tuple[list[str | None], np.ndarray]:
        """Per group: the organisation most members openly name, and the share of members that name it.

        An account names an organisation openly when at least OPEN_IDENTITY_MIN_SIGNALS of its
        email domain, its stated organisation and its cards' billing point to it: one card
        billed to a company is an operational slip, not an open identity. An undeclared organisation
        counts when the account's email domain is named after the organisation it states."""
        names: list[str | None] = [None] * len(sizes)
        shares = np.zeros(len(sizes))
        stated = acc["claimed_org"].where(acc["claimed_org"].map(lambda v: isinstance(v, str)))
        claimed = stated.str.strip().str.lower().map(self.org_names)
        cards = self.cards[self.cards["account"].isin(label.index) & self.cards["billed_org"].notna()]
        # an organisation nobody declared is named openly too: an email domain whose name is the
        # organisation the account states (pixellabs.example and "Pixellabs")
        domain = acc["email_domain"].where(acc["domain_org"].isna()
                                           & acc["email_domain"].map(lambda v: isinstance(v, str)))
        undeclared = domain.where(_org_key(domain.str.split(".").str[0]) == _org_key(stated))
        undeclared = UNDECLARED_PREFIX + undeclared
        signals = pd.concat([
            pd.DataFrame({"account": acc.index, "org": acc["domain_org"].to_numpy(), "source": "domain"}),
            pd.DataFrame({"account": acc.index, "org": claimed.to_numpy(), "source": "claimed"}),
            pd.DataFrame({"account": cards["account"].to_numpy(), "org": cards["billed_org"].to_numpy(),
                          "source": "card"}),
            pd.DataFrame({"account": acc.index, "org": undeclared.to_numpy(), "source": "domain"}),
            pd.DataFrame({"account": acc.index, "org": undeclared.to_numpy(), "source": "claimed"}),
        ], ignore_index=True).dropna(subset=["org"]).drop_duplicates()
        if signals.empty:
            return names, shares
        per = signals.groupby(["account", "org"])["source"].nunique().reset_index()
        per = per[per["source"] >= OPEN_IDENTITY_MIN_SIGNALS]
        if per.empty:
            return names, shares
        per["group"] = per["account"].map(label).to_numpy()
        counts = per.groupby(["group", "org"]).size().reset_index(name="k") \
            .sort_values(["group", "k", "org"], ascending=[True, False, True]).drop_duplicates("group")
        for g, org, k in counts.itertuples(index=False):
            names[int(g)] = self.display_names.get(org, org.removeprefix(UNDECLARED_PREFIX))
            shares[int(g)] = k / sizes[int(g)]
        return names, shares
