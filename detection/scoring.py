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

from collections import Counter
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

from detection import shared_evidence
from detection.evidence import Evidence
from ringtrace import config

# Points each feature can add (or, when negative, subtract) at full strength.
POINTS = {
    "shared_evidence": 1.0,   # per decade of evidence per account (see shared_evidence.py)
    "proxy_traffic": 2.0,
    "datacenter_traffic": 0.5,
    "creation_burst": 1.0,
    "lockstep": 2.0,
    "template_concentration": 1.5,
    "distillation_categories": 1.0,
    "request_volume": 0.5,
    "model_switch": 1.0,
    "verified": -1.5,
    "open_identity": -4.0,
}
FLAG_THRESHOLD = config.DETECT_FLAG_THRESHOLD
KINDS_NAMED = 4                       # kinds named in the shared-evidence reason
BURST_WINDOW_S = 6 * 3600
BURST_BASELINE = 0.2                  # share created in one window that is unremarkable
DATASET_BURST_UNINFORMATIVE = 0.5     # half of all accounts in one window: the times cannot tell groups apart
LOCKSTEP_BUCKET_S = 600               # 10-minute windows (SynchroTrap uses time buckets)
LOCKSTEP_MIN_ACCOUNTS = 5
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

    @property
    def reasons(self) -> list[str]:
        """Reasons in words, strongest first, then the signals the data could not support."""
        return ([c.reason for c in sorted(self.contributions, key=lambda c: -abs(c.points)) if c.points != 0]
                + [f"not available: {a}" for a in self.absent])

    def features(self) -> dict[str, float]:
        return {c.feature: round(c.value, 4) for c in self.contributions}

    def contributions_json(self) -> list[dict]:
        return [asdict(c) for c in self.contributions]


def _informative_times(created: pd.Series) -> bool:
    """Whether sign-up times can show a burst at all: not when they are missing, one constant,
    or so bunched across the whole dataset that a group's burst is what everyone has."""
    values = np.sort(created.dropna().to_numpy(dtype=float))
    if len(np.unique(values)) < 2:
        return False
    ends = np.searchsorted(values, values + BURST_WINDOW_S, side="right")
    return float((ends - np.arange(len(values))).max()) / len(values) < DATASET_BURST_UNINFORMATIVE


def _clip01(x: float) -> float:
    return float(min(1.0, max(0.0, x)))


class Scorer:
    """Scores clusters against population-wide context computed once per detection run."""

    def __init__(self, evidence: Evidence, activity: pd.DataFrame, template_users: pd.DataFrame) -> None:
        self.ev = evidence
        self.accounts = evidence.accounts.set_index("account")
        self.median_requests = float(max(1.0, evidence.accounts["requests"].median() or 1.0))
        self.activity = activity
        self.by_account = activity.groupby("account_id") if len(activity) else None
        self.template_users = dict(zip(template_users["prompt_fingerprint"], template_users["users"]))
        self.proxy_service = dict(zip(evidence.proxy_exits["ip"], evidence.proxy_exits["service_name"]))
        self.cards = evidence.cards
        self.tests = shared_evidence.SharedEvidenceTests(evidence.holdings, evidence.shared_items, evidence.links,
                                                         len(evidence.accounts))
        self.has_log = evidence.has_request_log
        self.created_informative = _informative_times(evidence.accounts["created"])
        self.org_names = dict(zip(evidence.organisations["name"].str.lower(), evidence.organisations["org_id"]))
        self.display_names = dict(zip(evidence.organisations["org_id"], evidence.organisations["name"]))
        self.releases = evidence.releases

    def score_all(self, groups: list[list[str]]) -> list[ScoredCluster]:
        """Score every group; rows are split by group once instead of filtered per group."""
        label = {a: i for i, g in enumerate(groups) for a in g}

        def split(frame: pd.DataFrame, column: str) -> dict[int, pd.DataFrame]:
            if frame.empty:
                return {}
            keyed = frame.assign(_group=frame[column].map(label)).dropna(subset=["_group"])
            return {int(k): v.drop(columns="_group") for k, v in keyed.groupby("_group", sort=False)}

        acts, cards = split(self.activity, "account_id"), split(self.cards, "account")
        tests = {int(k): v for k, v in self.tests.test_groups(groups).groupby("group", sort=False)} if groups else {}
        return [self.score(g, acts.get(i, self.activity.iloc[0:0]), cards.get(i, self.cards.iloc[0:0]),
                           tests.get(i)) for i, g in enumerate(groups)]

    def score(self, members: list[str], act: pd.DataFrame | None = None, cards: pd.DataFrame | None = None,
              tests: pd.DataFrame | None = None) -> ScoredCluster:
        """Score one group; `act`, `cards` and `tests` are its rows when the caller split them already."""
        n = len(members)
        acc = self.accounts.reindex(members)
        if act is None:
            act = self.activity[self.activity["account_id"].isin(members)] if len(self.activity) else self.activity
        if cards is None:
            cards = self.cards[self.cards["account"].isin(members)]
        if tests is None:
            tests = self.tests.test_groups([members])
        total_req = float(act["requests"].sum()) if len(act) else 0.0
        out: list[Contribution] = []

        def add(feature: str, value: float, strength: float, reason: str) -> None:
            out.append(Contribution(feature, float(value), round(POINTS[feature] * strength, 3), reason))

        open_org, open_share = self._open_identity(members, acc, cards)
        self._shared_evidence(n, tests, open_share, add)
        absent: list[str] = []
        if not self.has_log:
            absent.append("no request log: proxy, datacenter, lockstep, template, model-switch signals")
        elif not total_req:
            absent.append("no requests from these accounts in the request log")

        if total_req:
            services = act["ip"].map(self.proxy_service)
            via_proxy = act.loc[services.notna(), "requests"].sum() / total_req
            top = (act.assign(service=services).dropna(subset=["service"])
                   .groupby("service")["requests"].sum().sort_values(ascending=False))
            if len(top):
                name = top.index[0]
                add("proxy_traffic", via_proxy, via_proxy,
                    f"{via_proxy:.0%} of requests came through exit nodes of proxy services "
                    f"({top.iloc[0] / total_req:.0%} through {name})")
            else:
                add("proxy_traffic", 0.0, 0.0, "no requests came through known proxy exit nodes")
            dc = act.loc[act["ip"].isin(self.ev.datacenter_ips) & services.isna(), "requests"].sum() / total_req
            add("datacenter_traffic", dc, dc, f"{dc:.0%} of requests came from datacenter or VPN addresses")

        created = np.sort(acc["created"].dropna().to_numpy(dtype=float))
        if not self.created_informative:
            absent.append("sign-up times missing, constant or bunched across the dataset: no creation burst")
        elif len(created):
            ends = np.searchsorted(created, created + BURST_WINDOW_S, side="right")
            together = int((ends - np.arange(len(created))).max())
            burst = (together - 1) / (n - 1) if n > 1 else 0.0  # one account alone is no burst
            add("creation_burst", burst, _clip01((burst - BURST_BASELINE) / (1 - BURST_BASELINE)),
                f"{together:,} of the {n:,} accounts were created within {BURST_WINDOW_S // 3600} hours "
                "of each other" if together > 1 else "no two accounts were created within "
                f"{BURST_WINDOW_S // 3600} hours of each other")

        if total_req:
            windows = act.assign(window=(act["ts"] // LOCKSTEP_BUCKET_S))
            active = windows.groupby("window")["account_id"].nunique()
            needed = max(LOCKSTEP_MIN_ACCOUNTS, int(np.ceil(LOCKSTEP_MIN_SHARE * n)))
            busy = active[active >= needed].index
            lock = windows.loc[windows["window"].isin(busy), "requests"].sum() / total_req
            add("lockstep", lock, _clip01(lock),
                f"{lock:.0%} of requests fell in 10-minute windows in which at least {needed} "
                f"of the accounts were active together")

            users = act.groupby("prompt_fingerprint")["account_id"].nunique()
            overall = users.index.map(lambda t: self.template_users.get(t, 0))
            share_in = users.to_numpy() / np.maximum(1, np.asarray(overall, dtype=float))
            own = users.index[(share_in >= TEMPLATE_EXCLUSIVE_SHARE) & (users.to_numpy() >= TEMPLATE_MIN_MEMBERS)]
            conc = act.loc[act["prompt_fingerprint"].isin(own), "requests"].sum() / total_req
            add("template_concentration", conc, _clip01(conc),
                f"{conc:.0%} of requests used {len(own):,} prompt templates that mostly these accounts use")

        req = float(acc["requests"].sum())
        if req:
            cats = {c: float(acc[f"req_{c}"].sum()) / req for c in DISTILLATION_CATEGORIES}
            focus = sum(cats.values())
            top_cat = max(cats, key=cats.get)
            add("distillation_categories", focus, _clip01((focus - CATEGORY_BASELINE) / (1 - CATEGORY_BASELINE)),
                f"{focus:.0%} of requests were {', '.join(DISTILLATION_CATEGORIES)} "
                f"(mostly {top_cat.replace('_', ' ')}: {cats[top_cat]:.0%})")
            per_acc = req / n
            ratio = per_acc / self.median_requests
            add("request_volume", ratio, _clip01(np.log2(max(ratio, 1.0)) / np.log2(VOLUME_SATURATION)),
                f"{per_acc:,.0f} requests and {acc['tokens'].sum() / n:,.0f} tokens per account "
                f"({ratio:.1f}x the median account)")

        switch = self._model_switch(act)
        if switch is not None:
            hours, model, share = switch
            strength = 1.0 if hours <= MODEL_SWITCH_FULL_H else _clip01(2 - hours / MODEL_SWITCH_FULL_H)
            add("model_switch", hours, strength,
                f"traffic moved to the new model {model} {hours:.0f} hours after its release "
                f"({share:.0%} of requests in the next {MODEL_SWITCH_WINDOW_H} hours)")

        verified = acc["verified"].fillna(False).astype(bool).mean() if n else 0.0
        add("verified", verified, verified, f"{verified:.0%} of accounts passed identity verification")

        add("open_identity", open_share, open_share,
            f"{open_share:.0%} of accounts openly identify {open_org} (email domain, billed cards, stated "
            "organisation)" if open_org else "the accounts do not openly identify one organisation")

        score = round(sum(c.points for c in out), 3)
        return ScoredCluster(members=members, score=score, flagged=score >= FLAG_THRESHOLD, contributions=out,
                             absent=absent)

    @staticmethod
    def _shared_evidence(n: int, tests: pd.DataFrame, explained: float, add) -> None:
        """Decades of evidence against chance per account after the first (Fraudar's density, Hooi et al.
        2016, over CrossSpot-style surprises); sharing explained by an open identity does not count."""
        total = float(tests["surprise"].sum()) if len(tests) else 0.0
        density = total / max(n - 1, 1) * (1.0 - explained)
        top = tests[tests["surprise"] > 0].head(KINDS_NAMED) if len(tests) else tests
        parts = [f"{int(r.holders):,} accounts hold {int(r.items):,} "
                 f"{shared_evidence.plural(r.items, r.kind)} ({r.surprise:.1f})" if r.kind != shared_evidence.LINK_KIND else
                 f"{int(r.items):,} links between the accounts ({r.surprise:.1f})" for r in top.itertuples()]
        add("shared_evidence", density, density,
            (f"shared evidence {density:.1f} decades per account against chance: " + "; ".join(parts)
             + (f"; {explained:.0%} explained by an open identity" if explained else ""))
            if parts else "the accounts share no identifying evidence beyond chance")

    def _model_switch(self, act: pd.DataFrame) -> tuple[float, str, float] | None:
        """The earliest hour after a release at which the group's new-model share passed the bar."""
        if not len(act) or self.releases.empty:
            return None
        best = None
        horizon = MODEL_SWITCH_HORIZON_H
        for model, released in zip(self.releases["model"], self.releases["released"]):
            after = act[(act["ts"] >= released) & (act["ts"] < released + horizon * 3600)]
            if after.empty:
                continue
            hour = ((after["ts"] - released) // 3600).astype(int)
            total = np.bincount(hour, weights=after["requests"], minlength=horizon)
            on_new = np.bincount(hour, weights=after["requests"].where(after["model"] == model, 0), minlength=horizon)
            window = np.ones(MODEL_SWITCH_WINDOW_H)
            # requests in [h, h + window) for every start hour h
            tot_w = np.convolve(total, window, mode="full")[MODEL_SWITCH_WINDOW_H - 1:][: horizon - MODEL_SWITCH_WINDOW_H + 1]
            new_w = np.convolve(on_new, window, mode="full")[MODEL_SWITCH_WINDOW_H - 1:][: horizon - MODEL_SWITCH_WINDOW_H + 1]
            share = np.divide(new_w, tot_w, out=np.zeros_like(new_w), where=tot_w > 0)
            hits = np.flatnonzero((share >= MODEL_SWITCH_SHARE) & (tot_w >= MODEL_SWITCH_MIN_REQUESTS))
            if len(hits) and (best is None or hits[0] < best[0]):
                best = (float(hits[0]), str(model), float(share[hits[0]]))
        return best

    def _open_identity(self, members: list[str], acc: pd.DataFrame, cards: pd.DataFrame
                       ) -> tuple[str | None, float]:
        """The organisation most members openly name, and the share of members that name it.

        An account names an organisation openly when at least OPEN_IDENTITY_MIN_SIGNALS of its
        email domain, its stated organisation and its cards' billing point to it: one card
        billed to a company is an operational slip, not an open identity."""
        signals: dict[tuple[str, str], set[str]] = {}
        for account, org in zip(acc.index, acc["domain_org"]):
            if isinstance(org, str):
                signals.setdefault((account, org), set()).add("domain")
        for account, claimed in zip(acc.index, acc["claimed_org"]):
            if isinstance(claimed, str) and claimed.strip().lower() in self.org_names:
                signals.setdefault((account, self.org_names[claimed.strip().lower()]), set()).add("claimed")
        billed = cards[cards["billed_org"].notna()]
        for account, org in zip(billed["account"], billed["billed_org"]):
            signals.setdefault((account, org), set()).add("card")
        counts = Counter(org for (_, org), kinds in signals.items() if len(kinds) >= OPEN_IDENTITY_MIN_SIGNALS)
        if not counts:
            return None, 0.0
        org, k = counts.most_common(1)[0]
        return self.display_names.get(org, org), k / len(members)
