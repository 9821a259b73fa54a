"""How surprising a cluster's shared evidence is by chance, one test per kind of evidence.

A coordinated group is many accounts behind few identities: ten accounts, two devices, one phone.
Two nulls, each of which fraud in the data cannot talk into calling fraud ordinary:

**Coincidence (configuration null).** Keep every item's number of holders and every account's
number of items, and deal the items to accounts at random (the bipartite configuration model;
Newman, Strogatz & Watts, "Random graphs with arbitrary degree distributions", Phys. Rev. E 64:026118,
2001). Whatever a group shares, the first items that tie its members together are how the group was
found; a further holder of an item landing on a member already tied to the item's other holders is a
*coincidence*, with chance at most (n - 1) / (A_K - 1) for a group of n among the A_K holders of kind K;
of an item's df - 1 other holders, k coincidences score the binomial tail -log10 P(X >= k). Two
accounts sharing a device *and* a card, or ten sharing three devices and four cards, are many
coincidences; a popular fingerprint held by 100 of 20,000 accounts is expected to have a few holders
in a group of 700, and scores nothing for them. Sign-up, login and request addresses are never
coincidences: an account's addresses move within its provider's pool, and pools are what the
community step carves groups out of (on the blind scenario, carrier pools gave a 700-account group
1,900 decades); they count as reuse only. A random shuffle of items keeps no coincidences, and
more fraud elsewhere only makes A_K larger.

**Reuse (a robust rate).** How often an identifying item is held by a second account at all,
``c_K = n_K - D_K ~ Binomial(n_K - 1, s_K)`` (members holding a kind-K item, minus the distinct items
they hold), the surprise ``-log10 P(X >= c_K)``. The rate ``s_K`` (Laplace's rule of succession) is
fitted on the accounts *outside* the groups that the coincidence and sign-up tests already find at
false-discovery rate ``STAGE_FDR``: the densest groups, where fraud dominates the sharing, never set
the chance level of the rest (on PaySim 100 % of sharing accounts are fraudulent; a rate from all of
them called a shared SSN ordinary). This is the suspiciousness idea of CrossSpot (Jiang, Beutel, Cui,
Hooi, Yang & Faloutsos, ICDM 2015: the negative log likelihood of a block's mass under the data's own
density), with the density taken where the blocks are not.

An item used by ``df`` of the ``A_K`` accounts that hold kind K only identifies a holder when
``df**2 <= A_K``: with frequency-based match weights (Winkler, "Frequency-based matching in
Fellegi-Sunter model of record linkage", 1989), agreement on a value that common carries odds
below even that two holders are one entity. A carrier NAT address shared by 300 accounts is such
an item; it counts as each holder's own.

Links between accounts (transfers, referrals, invites) are never coincidences: a link is a social tie,
and social ties are what make accounts share a home address or a referral code in the first place (the
configuration null, which deals links independently of items, would call every family that invites its
members, and every referral that shares its code, dozens of decades; on the blind scenario 61 flagged
innocent pairs were a referral code and its own referral). Money moving (transfers, payments, payouts)
is tested as reuse, the group's paying pairs (at most ``n - 1``) against the robust rate at which
accounts pay one another. A referral or an invite alone ties friends as often as rings, and is no
evidence.
"""
from __future__ import annotations


import networkx as nx
import numpy as np
import pandas as pd
from scipy.special import gammaln
from scipy.stats import binom

from detection import fdr

LN10 = np.log(10.0)
ADDRESS_KIND, KEY_ADDRESS_KIND = "ip", "key_ip"
MONEY_LINK_KINDS = frozenset({"transfer", "payment", "payout"})
IDENTIFIER_PREFIX = "identifier:"
LINK_KIND = "link"


STAGE_FDR = 0.01  # groups found at this FDR by coincidences and sign-up times do not set the reuse rate


def identity_bound(holders: int) -> int:
    """Largest number of accounts an item may have and still identify one holder (df**2 <= A)."""
    return int(np.floor(np.sqrt(max(holders, 1))))


def tail_surprise(k: np.ndarray, trials: np.ndarray, rate: np.ndarray) -> np.ndarray:
    """-log10 P(Binomial(trials, rate) >= k), 0 where k <= 0."""
    k, trials, rate = (np.asarray(x, dtype=float) for x in (k, trials, rate))
    out = np.zeros(np.broadcast(k, trials, rate).shape)
    hit = k > 0
    if hit.any():
        kk, tt, rr = (np.broadcast_to(x, out.shape)[hit] for x in (k, trials, rate))
        log_tail = binom.logsf(kk - 1, tt, rr)
        # where the tail underflows, its first term P(X = k) bounds it from below and stays finite in logs
        log_tail = np.where(np.isfinite(log_tail), log_tail, binom.logpmf(kk, tt, rr))
        out[hit] = -log_tail / LN10
    return np.maximum(out, 0.0)


def coincidences(group_size: int, items: list[tuple[str, int, list[str]]], holders: dict[str, int]
                 ) -> dict[str, tuple[int, float]]:
    """Per kind: coincidences among one group's shared items and their surprise (decades).

    `items`: (kind, df, holders in the group) for each item two members share. Items are dealt in the
    order most likely by chance first (kinds with fewer holders, then commoner items), so the items
    that tie the group together are the least telling ones and only the rest count."""
    parent: dict[str, str] = {}

    def find(a: str) -> str:
        parent.setdefault(a, a)
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    out: dict[str, tuple[int, float]] = {}
    for kind, df, members in sorted(items, key=lambda x: (holders.get(x[0], 0), -x[1], x[0], x[2])):
        roots = {find(a) for a in members}
        extra = len(members) - len(roots)  # holders that landed on members already tied to another holder
        first = next(iter(roots))
        for r in roots:
            parent[r] = first
        if extra <= 0:
            continue
        # of the item's df - 1 other holders, `extra` landed among the group's n - 1 other members
        chance = min(1.0, (group_size - 1) / max(holders.get(kind, 0) - 1, 1))
        decades = float(tail_surprise(extra, max(df - 1, extra), chance))
        k, d = out.get(kind, (0, 0.0))
        out[kind] = (k + extra, d + decades)
    return out


class SharedEvidenceTests:
    """Item and account degrees fitted once on the whole graph, then tests for any number of groups."""

    def __init__(self, holdings: pd.DataFrame, shared: pd.DataFrame, links: pd.DataFrame, accounts: int,
                 holders: pd.Series) -> None:
        """`holdings` (account, kind, items): how many items of each kind the accounts to test hold;
        `shared` (account, kind, item, df): incidences of items held by two accounts or more;
        `links` (src, dst): links between accounts; `accounts`: all accounts in the graph;
        `holders` (kind -> count): how many accounts of the whole graph hold an item of each kind."""
        self.holdings = holdings
        bound = holders.map(identity_bound)
        shared = shared[(shared["df"] >= 2) & (shared["df"] <= shared["kind"].map(bound).fillna(0))]
        shared = shared.drop_duplicates(["account", "kind", "item"])
        # an API key created from an address the account itself signs up, logs in or sends requests from
        # adds nothing to that address: one fact, not two kinds of evidence
        own = shared.loc[shared["kind"] == ADDRESS_KIND, ["account", "item"]].assign(own=True)
        keyed = shared.merge(own, on=["account", "item"], how="left")
        self.shared = shared[~((keyed["kind"] == KEY_ADDRESS_KIND) & keyed["own"].fillna(False)).to_numpy()]
        self.holders = holders
        self.sharers = self.shared.groupby("kind")["account"].unique()
        pairs = links[links["src"] != links["dst"]]
        money = pairs["kind"].astype(str).str.lower().isin(MONEY_LINK_KINDS) if "kind" in pairs.columns \
            else pd.Series(True, index=pairs.index)
        both = pd.DataFrame({"u": np.minimum(pairs["src"], pairs["dst"]), "v": np.maximum(pairs["src"], pairs["dst"]),
                             "money": money.to_numpy()})
        self.links = both[["u", "v"]].drop_duplicates()
        # money between accounts is reuse evidence; a referral or an invite ties friends as often as rings
        self.money_links = both.loc[both["money"], ["u", "v"]].drop_duplicates()
        self.paying = pd.unique(self.money_links[["u", "v"]].to_numpy().ravel())
        self.accounts = accounts
        self.rate = pd.Series(dtype=float)
        self.link_rate = (len(self.paying) + 1) / (accounts + 2)

    def shared_kinds(self, groups: list[list[str]]) -> list[set[str]]:
        """Per group: the kinds of the identifying items two or more of its members hold."""
        label = pd.Series({a: i for i, g in enumerate(groups) for a in g}, dtype="int64")
        sh = self.shared.assign(group=self.shared["account"].map(label)).dropna(subset=["group"])
        sh = sh[sh.groupby(["group", "item"])["account"].transform("size") >= 2]
        kinds = sh.groupby("group")["kind"].unique()
        return [set(kinds.get(i, [])) for i in range(len(groups))]

    def _tie_pieces(self, groups: list[list[str]], which: list[int]
                    ) -> tuple[pd.DataFrame, dict[str, int], pd.Series]:
        """For the groups `which`: their shared items (group, kind, item, account, piece), each member's
        piece (members tied by two shared items or more, transitively) and each piece's size."""
        label = pd.Series({a: i for i in which for a in groups[i]}, dtype="int64")
        sh = self.shared.assign(group=self.shared["account"].map(label)).dropna(subset=["group"])
        sh = sh.astype({"group": "int64"})[["group", "kind", "item", "account"]].drop_duplicates()
        sh = sh[sh.groupby(["group", "kind", "item"])["account"].transform("size") >= 2]
        pairs = sh.merge(sh, on=["group", "kind", "item"])
        pairs = pairs[pairs["account_x"] < pairs["account_y"]]
        ties = pairs.groupby(["account_x", "account_y"]).size()
        ties = ties[ties >= 2].reset_index()
        graph = nx.Graph()
        graph.add_nodes_from(label.index)
        graph.add_edges_from(zip(ties["account_x"], ties["account_y"]))
        piece = {a: j for j, comp in enumerate(nx.connected_components(graph)) for a in comp}
        sh = sh.assign(piece=sh["account"].map(piece))
        return sh, piece, pd.Series(piece, dtype="int64").value_counts()

    def pieces(self, groups: list[list[str]], larger_than: int) -> dict[int, list[tuple[list[str], set[str]]]]:
        """Per group of more than `larger_than` accounts that is only households side by side: its pieces,
        each with the kinds its members share among themselves.

        Two members are of one piece when they share two items or more: under the configuration null the
        first item that ties two accounts is how they were found and scores nothing, a second is a
        coincidence (`coincidences`). Pieces are the components of those ties. The group is its pieces
        side by side when every member is in a piece of two or more and the items between pieces are only
        the first ties that connect them (pieces - 1 merges, as union-find counts them; an item landing on
        pieces already tied is a coincidence between them, and the group is then one group): one shared
        item between two households, whatever its degree, is no evidence against chance that they are one
        group, since it is how they were found; nor is a referral, which is no evidence at all (on the
        marketplace scenario at 30,000 accounts, 12 of the 13 innocent groups flagged were two or three
        households of 2-4 whose members one outsider had referred, the outsider left out by the
        community step, and no item between the homes). Groups not listed are not decomposable."""
        sh, piece, size = self._tie_pieces(groups, [i for i, g in enumerate(groups) if len(g) > larger_than])
        out: dict[int, list[tuple[list[str], set[str]]]] = {}
        if sh.empty:
            return out
        for g, rows in sh.groupby("group"):
            members = groups[int(g)]
            own = {piece[a] for a in members}
            if len(own) < 2 or any(size[p] < 2 for p in own):
                continue
            parent = {p: p for p in own}

            def find(x: int) -> int:
                while parent[x] != x:
                    parent[x] = parent[parent[x]]
                    x = parent[x]
                return x

            extra = 0
            for touched in rows.groupby(["kind", "item"])["piece"].unique():
                roots = {find(int(p)) for p in touched}
                extra += len(touched) - len(roots)
                first = next(iter(roots))
                for r in roots:
                    parent[r] = first
            if extra:
                continue
            inside = rows[rows.groupby(["kind", "item", "piece"])["account"].transform("size") >= 2]
            kinds = inside.groupby("piece")["kind"].agg(set).to_dict()
            out[int(g)] = [(sorted(a for a in members if piece[a] == p), kinds.get(p, set())) for p in sorted(own)]
        return out

    def groups_paying(self, label: pd.Series) -> set[int]:
        """Groups (account -> group) with money moving between two of their accounts: a ring's sign."""
        return set(self._link_items(label, self.money_links)["g"].astype(int))

    def _link_items(self, label: pd.Series, links: pd.DataFrame | None = None) -> pd.DataFrame:
        links = self.links if links is None else links
        lk = links.assign(g=links["u"].map(label), h=links["v"].map(label))
        lk = lk[lk["g"].notna() & (lk["g"] == lk["h"])]
        return lk

    def test_groups(self, groups: list[list[str]], other_decades: np.ndarray | None = None,
                    innocent_like: np.ndarray | None = None) -> pd.DataFrame:
        """One row per (group, kind) with any holder: holders, items, collapse (reuse), rate, reuse surprise,
        coincidences and their surprise, and their sum `surprise`.

        `other_decades` (per group): evidence from outside shared items (sign-up synchrony) that, with
        the coincidences, decides which groups are left out of the reuse rate; `innocent_like` (per
        group) marks groups whose sharing is what households share: found or not, they stay in the
        rate, which is the rate of innocent sharing."""
        label = pd.Series({a: i for i, g in enumerate(groups) for a in g}, dtype="int64")
        sizes = np.array([len(g) for g in groups])
        sh = self.shared.assign(group=self.shared["account"].map(label)).dropna(subset=["group"])
        sh = sh.astype({"group": "int64"})
        sh = sh[sh.groupby(["group", "item"])["account"].transform("size") >= 2]
        per_group: dict[int, list[tuple[str, int, list[str]]]] = {}
        # an account's addresses move within its provider's pool, and pools are what Louvain carves groups
        # out of: sign-up, login and request addresses are no coincidence (an API key's creation address,
        # a deliberate act, is); they still count as reuse
        ordered = sh[sh["kind"] != ADDRESS_KIND].sort_values(["group", "kind", "item", "account"], kind="mergesort")
        g_arr, k_arr, i_arr = (ordered[c].to_numpy() for c in ("group", "kind", "item"))
        a_arr, df_arr = ordered["account"].to_numpy(), ordered["df"].to_numpy()
        starts = np.flatnonzero(np.r_[True, (g_arr[1:] != g_arr[:-1]) | (i_arr[1:] != i_arr[:-1])
                                      | (k_arr[1:] != k_arr[:-1])]) if len(ordered) else np.array([], dtype=int)
        for s, e in zip(starts, np.r_[starts[1:], len(ordered)].astype(int)):
            per_group.setdefault(int(g_arr[s]), []).append((k_arr[s], int(df_arr[s]), list(a_arr[s:e])))
        found = {g: coincidences(int(sizes[g]), items, self.holders.to_dict()) for g, items in per_group.items()}
        coinc = pd.DataFrame([(g, k, n, d) for g, kinds in found.items() for k, (n, d) in kinds.items()],
                             columns=["group", "kind", "coincidences", "coincidence_surprise"])

        # the reuse rate, fitted where the groups found without it are not
        first = coinc.groupby("group")["coincidence_surprise"].sum().reindex(range(len(groups)), fill_value=0.0)
        if other_decades is not None:
            first = first + np.asarray(other_decades, dtype=float)
        found_first, _ = fdr.benjamini_hochberg(-first.to_numpy(), STAGE_FDR)
        if innocent_like is not None:
            found_first &= ~np.asarray(innocent_like, dtype=bool)
        left_out = set(label.index[np.isin(label.to_numpy(), np.flatnonzero(found_first))])
        held_out = self.holdings[self.holdings["account"].isin(left_out)].groupby("kind")["account"].nunique()
        sharing = pd.Series({k: len(set(a) - left_out) for k, a in self.sharers.items()}, dtype=float)
        sharing = sharing.reindex(self.holders.index, fill_value=0.0)
        self.rate = (sharing + 1) / (self.holders - held_out.reindex(self.holders.index, fill_value=0) + 2)
        outside_links = len(set(self.paying) - left_out)
        self.link_rate = (outside_links + 1) / (self.accounts - len(left_out) + 2)

        held = self.holdings.assign(group=self.holdings["account"].map(label)).dropna(subset=["group"])
        per = held.groupby(["group", "kind"]).agg(holders=("account", "nunique"), total=("items", "sum"))
        used = sh.groupby(["group", "kind", "item"]).size()
        reuse = (used - 1).groupby(["group", "kind"]).sum()
        per["reuse"] = reuse.reindex(per.index, fill_value=0)
        per["items"] = per["total"] - per["reuse"]
        per["collapse"] = (per["holders"] - per["items"]).clip(lower=0)
        per = per.reset_index()
        per["group"] = per["group"].astype(int)
        per["rate"] = per["kind"].map(self.rate)
        per["reuse_surprise"] = tail_surprise(per["collapse"], per["holders"] - 1, per["rate"])
        per = per[["group", "kind", "holders", "items", "collapse", "rate", "reuse_surprise"]]
        money = self._link_items(label, self.money_links)
        inside = money.groupby("g").size()
        if len(inside):
            g = inside.index.to_numpy(dtype=int)
            trials = sizes[g] - 1
            rows = pd.DataFrame({"group": g, "kind": LINK_KIND, "holders": sizes[g],
                                 "items": inside.to_numpy(), "collapse": np.minimum(inside.to_numpy(), trials),
                                 "rate": self.link_rate})
            rows["reuse_surprise"] = tail_surprise(rows["collapse"], trials, self.link_rate)
            per = pd.concat([per, rows], ignore_index=True)
        per = per.merge(coinc, on=["group", "kind"], how="left")
        per["coincidences"] = per["coincidences"].fillna(0).astype(int)
        per["coincidence_surprise"] = per["coincidence_surprise"].fillna(0.0)
        per["surprise"] = per["reuse_surprise"] + per["coincidence_surprise"]
        per["group"] = per["group"].astype(int)
        return per.sort_values(["group", "surprise"], ascending=[True, False]).reset_index(drop=True)


def kind_label(kind: str) -> str:
    """'identifier:phone' -> 'phone', 'key_ip' -> 'API-key creation address'."""
    names = {"card": "payment card", "device": "device", "ip": "address", "key_ip": "API-key creation address",
             LINK_KIND: "link"}
    return kind[len(IDENTIFIER_PREFIX):].replace("_", " ") if kind.startswith(IDENTIFIER_PREFIX) \
        else names.get(kind, kind)


def plural(count: int, kind: str) -> str:
    """The kind's label for `count` items: 'phone', 'phones', 'addresses'."""
    label = kind_label(kind)
    if count == 1:
        return label
    return label + ("es" if label.endswith("s") else "s")
