"""The `campaigns` and `fragmented` scenarios: synthetic datasets in the data contract's format, fictional
organisations and people only.

The population mixes ordinary users with the legitimate dense groups that fool naive
detectors (corporate card sharers, households, universities, carrier-grade NAT, consumer
VPN users, privacy-minded users of a residential proxy service) and with coordinated
distillation campaigns run by fictional labs through proxy services (two campaigns share
one service). `truth` labels every account for scoring only.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

START = pd.Timestamp("2026-09-01T00:00:00Z")
DAYS = 30
RELEASE_AT = pd.Timestamp("2026-09-20T12:00:00Z")
OLD_MODEL, NEW_MODEL = "atlas-3", "atlas-4"
FRAUD_SHARE = 0.048          # about 24,000 of 500,000 accounts, as in the published case
REQUESTS_PER_ACCOUNT = 32    # 16M exchanges for 500,000 accounts
MIN_ACCOUNTS = 300
FRAGMENT_SIZE = 30           # accounts per card group in the `fragmented` scenario
OWN_TEMPLATES = 3            # an ordinary user's own recurring prompt shapes
CONSUMER_DOMAINS = ("inboxly.example", "postvault.example", "mailmeadow.example", "quickpost.example")
FIRST = ("Ari", "Bex", "Cato", "Dara", "Eli", "Fen", "Gil", "Hana", "Ivo", "Juno", "Kit", "Lior", "Mika",
         "Nell", "Oren", "Pia", "Quin", "Rafe", "Sol", "Tova", "Uma", "Vey", "Wren", "Xan", "Yara", "Zev")
LAST = ("Ashgrove", "Brightwater", "Coldbrook", "Dunmere", "Elderfield", "Fallowmere", "Glenrock",
        "Harrowgate", "Ironvale", "Juniper", "Kestrel", "Larkspur", "Mossbank", "Northwind", "Oakhollow",
        "Pinecrest", "Quarry", "Ravensholm", "Stonefield", "Thornbury", "Underhill", "Vantor", "Willowby")


@dataclass(frozen=True)
class Campaign:
    campaign_id: str
    lab: str
    service: str
    share: float                       # of all fraud accounts
    categories: tuple[str, ...]
    category_p: tuple[float, ...]
    moves_to_new_model: bool = False


LABS = (  # fictional labs: (org_id, name, domain, asn, netblock, country)
    ("org-lab-halcyon", "Halcyon Reasoning Lab", "halcyon-lab.example", 64601, "198.18.10.0/24", "SG"),
    ("org-lab-quillon", "Quillon Systems", "quillon.example", 64602, "198.18.20.0/24", "KR"),
    ("org-lab-moravec", "Moravec Vision Institute", "moravec-vi.example", 64603, "198.18.30.0/24", "BR"),
)
SERVICES = (("org-proxy-hydra", "HydraNet Proxies", 64700), ("org-proxy-mistral", "Mistwall Relay", 64710))
CAMPAIGNS = (
    Campaign("camp-cot", "org-lab-halcyon", "org-proxy-hydra", 0.35,
             ("cot_elicitation", "reasoning", "chat"), (0.75, 0.2, 0.05)),
    Campaign("camp-agentic-code", "org-lab-quillon", "org-proxy-hydra", 0.35,
             ("coding", "tool_use", "agentic"), (0.45, 0.35, 0.2), moves_to_new_model=True),
    Campaign("camp-vision", "org-lab-moravec", "org-proxy-mistral", 0.30,
             ("agentic", "reasoning", "vision"), (0.35, 0.25, 0.4)),
)
ENTERPRISES = (("org-ent-corvid", "Corvid Logistics", "corvid-logistics.example"),
               ("org-ent-bramble", "Bramble & Finch Legal", "bramblefinch.example"),
               ("org-ent-tallow", "Tallowmere Bank", "tallowmere.example"),
               ("org-ent-pylon", "Pylon Grid Energy", "pylongrid.example"))
UNIVERSITY = ("org-uni-eastmarch", "University of Eastmarch", "eastmarch.example", "198.19.0.0/20")
CARRIER = ("org-carrier-lumen", "Lumenwave Mobile", 64800)
VPN = ("org-vpn-shroud", "ShroudVPN", 64900)


class Gen:
    def __init__(self, n_accounts: int, seed: int, fragmented: bool = False) -> None:
        self.n = n_accounts
        self.fragmented = fragmented
        self.rng = np.random.default_rng(seed)
        self.accounts: list[pd.DataFrame] = []
        self.cards: list[pd.DataFrame] = []
        self.account_cards: list[pd.DataFrame] = []
        self.logins: list[pd.DataFrame] = []
        self.exchanges: list[pd.DataFrame] = []
        self.truth: list[pd.DataFrame] = []
        self.ip_intel: dict[str, dict] = {}
        self.next_account = 0
        self.next_card = 0
        self.next_device = 0
        self.next_request = 0
        self.popular_templates = np.array([f"tpl-pop-{i:04d}" for i in range(400)])
        zipf = 1.0 / np.arange(1, len(self.popular_templates) + 1) ** 1.1
        self.popular_p = zipf / zipf.sum()

    # --- id helpers --------------------------------------------------------------------
    def ids(self, prefix: str, k: int, attr: str) -> np.ndarray:
        start = getattr(self, attr)
        setattr(self, attr, start + k)
        return np.array([f"{prefix}{i:08d}" for i in range(start, start + k)])

    def names(self, k: int) -> np.ndarray:
        f = self.rng.choice(FIRST, k)
        l_ = self.rng.choice(LAST, k)
        return np.char.add(np.char.add(f.astype(str), " "), l_.astype(str))

    def ips_in(self, base: str, k: int, span: int = 250) -> np.ndarray:
        a, b, c, _ = base.split(".")
        return np.array([f"{a}.{b}.{int(c) + (i // span)}.{1 + i % span}" for i in range(k)])

    def random_public_ips(self, k: int) -> np.ndarray:
        # Documentation and test ranges are not used so that ip_intel looks realistic; these are
        # random addresses in 100.64.0.0/10 (shared address space), which is never routed publicly.
        x = self.rng.integers(0, 1 << 22, k)
        return np.array([f"100.{64 + (v >> 16)}.{(v >> 8) & 255}.{v & 255}" for v in x])

    def intel(self, ips: np.ndarray, asn: int, asn_org: str, country: str, dc: bool = False,
              vpn: bool = False) -> None:
        for ip in np.unique(ips):
            self.ip_intel.setdefault(ip, {"ip": ip, "asn": asn, "asn_org": asn_org, "country": country,
                                          "is_datacenter": dc, "is_vpn": vpn, "is_tor": False})

    # --- building blocks ------------------------------------------------------------------
    def add_accounts(self, k: int, *, domain: str | np.ndarray | None = None, created: np.ndarray,
                     country: str, plan_p: dict[str, float], verified_p: float, signup_ips: np.ndarray,
                     claimed: str | np.ndarray = "", truth: dict | None = None,
                     owner: np.ndarray | None = None) -> np.ndarray:
        acc = self.ids("acc-", k, "next_account")
        local = np.char.add("user", np.char.mod("%07d", self.rng.integers(0, 10**7, k)))
        if domain is None:
            domain = self.rng.choice(CONSUMER_DOMAINS, k)
        email = np.char.add(np.char.add(np.char.add(local, "."), np.char.mod("%d", np.arange(k))), "@")
        email = np.char.add(email, np.asarray(domain, dtype=str) if not isinstance(domain, str) else domain)
        plans = self.rng.choice(list(plan_p), k, p=list(plan_p.values()))
        df = pd.DataFrame({
            "account_id": acc, "email": email,
            "created_at": pd.to_datetime(created, utc=True).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "country": country, "plan": plans, "status": "active",
            "verified": np.where(self.rng.random(k) < verified_p, "true", "false"),
            "signup_ip": signup_ips, "claimed_org": claimed,
            "owner_person_id": owner if owner is not None else "",
        })
        self.accounts.append(df)
        t = truth or {"is_fraud": "false", "campaign_id": "", "org_id": "", "person_id": ""}
        self.truth.append(pd.DataFrame({"account_id": acc, **{k2: v for k2, v in t.items()}}))
        return acc

    def add_cards(self, k: int, *, names: np.ndarray, country: str, org: str = "",
                  emails: np.ndarray | str = "") -> np.ndarray:
        fp = self.ids("card-fp-", k, "next_card")
        self.cards.append(pd.DataFrame({
            "card_fingerprint": fp, "bin": self.rng.choice(["412345", "535522", "371449"], k),
            "last4": np.char.mod("%04d", self.rng.integers(0, 10000, k)), "issuer_country": country,
            "billing_name": names, "billing_email": emails, "billing_org_id": org}))
        return fp

    def link_cards(self, accounts: np.ndarray, cards: np.ndarray) -> None:
        self.account_cards.append(pd.DataFrame({"account_id": accounts, "card_fingerprint": cards}))

    def add_logins(self, accounts: np.ndarray, per: tuple[int, int], ips: np.ndarray, devices: np.ndarray,
                   times: np.ndarray) -> None:
        counts = self.rng.integers(per[0], per[1] + 1, len(accounts))
        acc = np.repeat(accounts, counts)
        n = len(acc)
        self.logins.append(pd.DataFrame({
            "account_id": acc, "ts": pd.to_datetime(self.rng.choice(times, n), utc=True),
            "ip": ips[self.rng.integers(0, len(ips), n)] if ips.ndim == 1 else ips,
            "device_id": devices[self.rng.integers(0, len(devices), n)],
            "user_agent": "ringtrace-sample/1.0"}))

    def add_exchanges(self, accounts: np.ndarray, mean: float, *, ips_of: np.ndarray | None, ip_pool: np.ndarray | None,
                      times: np.ndarray, templates: np.ndarray, template_p: np.ndarray | None,
                      categories: tuple[str, ...], category_p: tuple[float, ...],
                      move_to_new: bool = False, own_share: float = 0.0) -> None:
        counts = np.maximum(1, self.rng.poisson(mean, len(accounts)))
        idx = np.repeat(np.arange(len(accounts)), counts)
        n = len(idx)
        ts = pd.to_datetime(self.rng.choice(times, n), utc=True)
        ts = ts + pd.to_timedelta(self.rng.integers(0, 60, n), unit="s")
        if ip_pool is not None:
            ip = ip_pool[self.rng.integers(0, len(ip_pool), n)]
        else:
            ip = ips_of[idx]
        after = np.asarray(ts >= RELEASE_AT)
        new_p = 0.55 if move_to_new else 0.08
        hours_after = (np.asarray(ts - RELEASE_AT) / np.timedelta64(1, "h"))
        # a campaign that moves does so from its first hours after the release; others drift slowly
        p_new = np.where(after, np.where(move_to_new, new_p, np.clip(hours_after / 24 / 20, 0, new_p)), 0.0)
        model = np.where(self.rng.random(n) < p_new, NEW_MODEL, OLD_MODEL)
        tokens_in = self.rng.integers(200, 3000, n)
        self.exchanges.append(pd.DataFrame({
            "request_id": self.ids("req-", n, "next_request"), "account_id": accounts[idx], "ts": ts,
            "ip": ip, "api_key_id": np.char.add("key-", accounts[idx]), "model": model,
            "category": self.rng.choice(categories, n, p=category_p),
            "prompt_fingerprint": self.pick_templates(accounts[idx], templates, template_p, own_share),
            "input_tokens": tokens_in, "output_tokens": (tokens_in * self.rng.uniform(0.5, 3, n)).astype(int),
            "user_agent": "sdk-python/2.1"}))

    def pick_templates(self, acc: np.ndarray, templates: np.ndarray, p: np.ndarray | None,
                       own_share: float) -> np.ndarray:
        """Shared templates by `p`; with probability `own_share`, one of the account's own few."""
        n = len(acc)
        picked = templates[self.rng.choice(len(templates), n, p=p)]
        own = self.rng.random(n) < own_share
        if own.any():
            suffix = np.char.mod("-%d", self.rng.integers(0, OWN_TEMPLATES, int(own.sum())))
            picked = picked.astype(object)
            picked[own] = np.char.add(np.char.add("tpl-own-", acc[own].astype(str)), suffix)
        return picked

    def uniform_times(self, k: int) -> np.ndarray:
        return (START + pd.to_timedelta(self.rng.uniform(0, DAYS * 86400, k), unit="s")).tz_convert(None).to_numpy()

    # --- populations ------------------------------------------------------------------------
    def individuals(self, k: int, *, ips: np.ndarray | None = None, domain=None, country="GB",
                    vpn_pool: np.ndarray | None = None, label: str = "") -> np.ndarray:
        own_ips = self.random_public_ips(k) if ips is None else ips
        self.intel(own_ips, 64500 + int(self.rng.integers(0, 40)), "Consumer Broadband Ltd", country)
        created = self.uniform_times(k) - np.timedelta64(200, "D")
        acc = self.add_accounts(k, domain=domain, created=created, country=country,
                                plan_p={"free": 0.6, "pro": 0.35, "api": 0.05}, verified_p=0.7, signup_ips=own_ips)
        fps = self.add_cards(k, names=self.names(k), country=country)
        self.link_cards(acc, fps)
        devices = self.ids("dev-", k, "next_device")
        counts = self.rng.integers(1, 7, k)
        pos = np.repeat(np.arange(k), counts)
        login_ips = own_ips[pos] if vpn_pool is None else vpn_pool[self.rng.integers(0, len(vpn_pool), len(pos))]
        self.logins.append(pd.DataFrame({
            "account_id": acc[pos], "ts": pd.to_datetime(self.rng.choice(self.uniform_times(4096), len(pos)), utc=True),
            "ip": login_ips, "device_id": devices[pos], "user_agent": "ringtrace-sample/1.0"}))
        req_ips = own_ips if vpn_pool is None else vpn_pool[self.rng.integers(0, len(vpn_pool), k)]
        self.add_exchanges(acc, REQUESTS_PER_ACCOUNT * 0.9, ips_of=req_ips, ip_pool=None,
                           times=self.uniform_times(20000), templates=self.popular_templates,
                           template_p=self.popular_p, own_share=0.8,
                           categories=("chat", "coding", "reasoning", "vision", "other"),
                           category_p=(0.5, 0.25, 0.1, 0.1, 0.05))
        return acc

    def campaign(self, c: Campaign, k: int, service_ips: np.ndarray, staff: dict) -> None:
        lab = next(l_ for l_ in LABS if l_[0] == c.lab)
        bursts = START + pd.to_timedelta(self.rng.uniform(0, 12, max(3, k // 400)), unit="D")
        created = (bursts[self.rng.integers(0, len(bursts), k)]
                   + pd.to_timedelta(self.rng.uniform(0, 3 * 3600, k), unit="s")).tz_convert(None).to_numpy()
        acc = self.add_accounts(
            k, created=created, country=str(self.rng.choice(["US", "GB", "DE", "CA"])),
            plan_p={"free": 0.3, "pro": 0.6, "api": 0.1}, verified_p=0.05,
            signup_ips=service_ips[self.rng.integers(0, len(service_ips), k)],
            claimed=self.rng.choice(["", "freelance", "student", "self"], k),
            truth={"is_fraud": "true", "campaign_id": c.campaign_id, "org_id": c.lab,
                   "person_id": staff["person_id"]})
        windows = self.lockstep_windows(max(60, k // 4))
        # fragmented: small card groups, each with cards and devices of its own (only the proxy pool,
        # the prompt kit, the API-key addresses and the timing tie the groups together)
        parts = np.array_split(np.arange(k), max(1, k // FRAGMENT_SIZE)) if self.fragmented else [np.arange(k)]
        for g, part in enumerate(parts):
            group = acc[part]
            n_cards = max(2, len(group) // 20)
            names = self.names(n_cards).astype(object)
            if g == 0:
                names[0] = staff["name"]  # operational slip: one card in the staff member's own name
            emails = np.array([f"billing{i}@{self.rng.choice(CONSUMER_DOMAINS)}" for i in range(n_cards)])
            fps = self.add_cards(n_cards, names=names, country=lab[5], emails=emails, org="")
            if g == 0:
                self.cards[-1].loc[self.cards[-1].index[1], "billing_org_id"] = c.lab  # one card billed to the lab
            self.link_cards(group, fps[self.rng.integers(0, n_cards, len(group))])
            n_dev = max(2, len(group) // 15)
            devices = self.ids("dev-", n_dev, "next_device").astype(object)
            if g == 0:
                devices[0] = staff["device"]  # the staff member's own device runs a few of the accounts
            self.add_logins(group, (2, 6), service_ips, devices, windows)
        # API keys: mostly created through the proxy service, a few from the lab's own network
        self.campaign_keys.append(pd.DataFrame({
            "api_key_id": np.char.add("key-", acc), "account_id": acc,
            "created_at": pd.to_datetime(created, utc=True).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "created_from_ip": np.where(self.rng.random(k) < 0.03,
                                        self.ips_in(lab[4].split("/")[0], 1)[0].rsplit(".", 1)[0] + ".77",
                                        service_ips[self.rng.integers(0, len(service_ips), k)])}))
        templates = np.array([f"tpl-{c.campaign_id}-{i:03d}" for i in range(40)])
        self.add_exchanges(acc, REQUESTS_PER_ACCOUNT * 1.6, ips_of=None, ip_pool=service_ips, times=windows,
                           templates=templates, template_p=None, categories=c.categories,
                           category_p=c.category_p, move_to_new=c.moves_to_new_model)

    def lockstep_windows(self, k: int) -> np.ndarray:
        """Start times of the short windows a campaign's accounts act in together."""
        base = START + pd.to_timedelta(self.rng.uniform(0, DAYS * 86400, k), unit="s")
        return base.floor("10min").tz_convert(None).to_numpy()

    # --- the whole dataset ----------------------------------------------------------------
    def build(self) -> dict[str, pd.DataFrame]:
        rng = self.rng
        self.campaign_keys: list[pd.DataFrame] = []
        orgs, people = [], []
        for org_id, name, dom, asn, net, cc in LABS:
            orgs.append({"org_id": org_id, "name": name, "kind": "ai_lab", "country": cc, "domains": dom,
                         "asns": str(asn), "netblocks": net})
        for org_id, name, asn in SERVICES:
            orgs.append({"org_id": org_id, "name": name, "kind": "proxy_service", "country": "US",
                         "domains": "", "asns": str(asn), "netblocks": ""})
        for org_id, name, dom in ENTERPRISES:
            orgs.append({"org_id": org_id, "name": name, "kind": "enterprise", "country": "GB", "domains": dom,
                         "asns": "", "netblocks": ""})
        orgs.append({"org_id": UNIVERSITY[0], "name": UNIVERSITY[1], "kind": "other", "country": "GB",
                     "domains": UNIVERSITY[2], "asns": "", "netblocks": UNIVERSITY[3]})
        orgs.append({"org_id": CARRIER[0], "name": CARRIER[1], "kind": "other", "country": "GB",
                     "domains": "", "asns": str(CARRIER[2]), "netblocks": ""})
        orgs.append({"org_id": VPN[0], "name": VPN[1], "kind": "other", "country": "PA", "domains": "",
                     "asns": str(VPN[2]), "netblocks": ""})
        orgs.append({"org_id": "org-cloud-nimbus", "name": "Nimbus Cloud", "kind": "cloud_provider",
                     "country": "US", "domains": "nimbus-cloud.example", "asns": "64950", "netblocks": ""})
        # staff: each lab has a few people; one senior member is linked to its campaign
        staff_of: dict[str, dict] = {}
        pid = 0
        for org_id, name, dom, asn, net, cc in LABS:
            for j, (role, sen) in enumerate((("research lead", "senior"), ("engineer", "mid"),
                                             ("director of research", "executive"), ("intern", "junior"))):
                pname = str(self.names(1)[0])
                device = f"dev-staff-{pid:03d}"
                ip = net.split("/")[0].rsplit(".", 1)[0] + f".{20 + j}"
                person = {"person_id": f"person-{pid:03d}", "name": pname, "org_id": org_id, "role": role,
                          "seniority": sen, "emails": f"{pname.split()[0].lower()}@{dom}",
                          "device_ids": device, "ips": ip}
                people.append(person)
                if j == 0:
                    staff_of[org_id] = {"person_id": person["person_id"], "name": pname, "device": device}
                pid += 1
        for org_id, name, dom in ENTERPRISES:
            pname = str(self.names(1)[0])
            people.append({"person_id": f"person-{pid:03d}", "name": pname, "org_id": org_id,
                           "role": "IT administrator", "seniority": "mid",
                           "emails": f"{pname.split()[0].lower()}@{dom}", "device_ids": f"dev-staff-{pid:03d}",
                           "ips": ""})
            pid += 1

        n_fraud = int(round(self.n * FRAUD_SHARE))
        n_legit = self.n - n_fraud
        # proxy service exit pools (shared by two campaigns and by legitimate privacy users)
        service_pools = {}
        proxies = []
        for org_id, name, asn in SERVICES:
            pool = self.random_public_ips(max(60, n_fraud // 30))
            service_pools[org_id] = pool
            self.intel(pool, asn, name, "US", dc=False)
            for i, ip in enumerate(pool):
                proxies.append({"proxy_id": f"px-{org_id[-5:]}-{i:05d}", "ip": ip, "service_org_id": org_id,
                                "proxy_type": "residential" if i % 4 else "datacenter",
                                "first_seen": "2026-08-01T00:00:00Z", "last_seen": "2026-10-01T00:00:00Z"})
        # legitimate dense groups
        sizes = {"ent": max(20, n_legit // 40), "hh": max(20, n_legit // 30), "uni": max(40, n_legit // 25),
                 "nat": max(50, n_legit // 20), "vpn": max(30, n_legit // 30), "privacy": max(20, n_legit // 60)}
        base = n_legit - sum(sizes.values())
        self.individuals(base)
        # carrier-grade NAT: many ordinary users behind a handful of addresses
        nat_ips = self.random_public_ips(max(3, sizes["nat"] // 150))
        self.intel(nat_ips, CARRIER[2], CARRIER[1], "GB")
        self.individuals(sizes["nat"], ips=nat_ips[rng.integers(0, len(nat_ips), sizes["nat"])])
        # consumer VPN users: datacenter exit addresses shared by strangers
        vpn_ips = self.random_public_ips(max(5, sizes["vpn"] // 40))
        self.intel(vpn_ips, VPN[2], VPN[1], "PA", dc=True, vpn=True)
        self.individuals(sizes["vpn"], vpn_pool=vpn_ips)
        # privacy-minded users of the same residential proxy service the campaigns use
        self.individuals(sizes["privacy"], vpn_pool=service_pools[SERVICES[0][0]])
        # university: campus NAT inside the university's netblock, own emails and cards
        uni_ips = self.ips_in(UNIVERSITY[3].split("/")[0], max(4, sizes["uni"] // 60))
        self.intel(uni_ips, 64550, UNIVERSITY[1], "GB")
        self.individuals(sizes["uni"], ips=uni_ips[rng.integers(0, len(uni_ips), sizes["uni"])],
                         domain=UNIVERSITY[2])
        self.households(sizes["hh"])
        self.enterprises(sizes["ent"])
        # campaigns
        for c, k in zip(CAMPAIGNS, split_exactly(n_fraud, [c.share for c in CAMPAIGNS])):
            self.campaign(c, k, service_pools[c.service], staff_of[c.lab])
        # every account has one API key; legitimate keys are created from the sign-up address
        accounts = pd.concat(self.accounts, ignore_index=True)
        fraud_keys = pd.concat(self.campaign_keys, ignore_index=True)
        legit = accounts[~accounts["account_id"].isin(fraud_keys["account_id"])]
        api_keys = pd.concat([pd.DataFrame({"api_key_id": "key-" + legit["account_id"],
                                            "account_id": legit["account_id"], "created_at": legit["created_at"],
                                            "created_from_ip": legit["signup_ip"]}), fraud_keys], ignore_index=True)
        exchanges = pd.concat(self.exchanges, ignore_index=True)
        logins = pd.concat(self.logins, ignore_index=True)
        return {
            "organisations": pd.DataFrame(orgs), "people": pd.DataFrame(people), "accounts": accounts,
            "proxies": pd.DataFrame(proxies), "ip_intel": pd.DataFrame(list(self.ip_intel.values())),
            "payment_cards": pd.concat(self.cards, ignore_index=True),
            "account_cards": pd.concat(self.account_cards, ignore_index=True),
            "logins": logins, "api_keys": api_keys, "exchanges": exchanges,
            "events": pd.DataFrame([
                {"event_id": "ev-release-atlas-3", "ts": "2026-06-01T16:00:00Z", "kind": "model_release",
                 "model": OLD_MODEL, "description": f"{OLD_MODEL} generally available"},
                {"event_id": "ev-release-atlas-4", "ts": RELEASE_AT.strftime("%Y-%m-%dT%H:%M:%SZ"),
                 "kind": "model_release", "model": NEW_MODEL, "description": f"{NEW_MODEL} generally available"}]),
            "truth": pd.concat(self.truth, ignore_index=True),
        }

    def households(self, k: int) -> None:
        """2-4 people per home: one address, often one shared card and a shared tablet."""
        sizes = []
        while sum(sizes) < k:
            sizes.append(int(self.rng.integers(2, 5)))
        sizes[-1] -= sum(sizes) - k
        sizes = [s for s in sizes if s > 0]
        home_ips = self.random_public_ips(len(sizes))
        acc = self.individuals(k, ips=np.repeat(home_ips, sizes))
        shared = self.add_cards(len(sizes), names=self.names(len(sizes)), country="GB")
        self.link_cards(acc, np.repeat(shared, sizes))

    def enterprises(self, k: int) -> None:
        """Company staff: company email domain, claimed organisation, corporate cards billed to it."""
        per = np.array_split(np.arange(k), len(ENTERPRISES))
        for (org_id, name, dom), part in zip(ENTERPRISES, per):
            n = len(part)
            office = self.random_public_ips(max(1, n // 25))
            self.intel(office, 64560, f"{name} office", "GB")
            created = self.uniform_times(n) - np.timedelta64(100, "D")
            acc = self.add_accounts(n, domain=dom, created=created, country="GB",
                                    plan_p={"team": 0.8, "enterprise": 0.2}, verified_p=0.95,
                                    signup_ips=office[self.rng.integers(0, len(office), n)], claimed=name)
            corp = self.add_cards(max(1, n // 30), names=np.full(max(1, n // 30), name), country="GB", org=org_id,
                                  emails=f"accounts@{dom}")
            self.link_cards(acc, corp[self.rng.integers(0, len(corp), n)])
            devices = self.ids("dev-", n, "next_device")
            self.add_logins(acc, (2, 8), office, devices, self.uniform_times(4096))
            templates = np.concatenate([self.popular_templates, np.array([f"tpl-{org_id}-{i}" for i in range(15)])])
            p = np.concatenate([self.popular_p * 0.5, np.full(15, 0.5 / 15)])
            self.add_exchanges(acc, REQUESTS_PER_ACCOUNT * 1.2, ips_of=None, ip_pool=office,
                               times=self.uniform_times(20000), templates=templates, template_p=p,
                               categories=("chat", "coding", "tool_use", "agentic"), category_p=(0.4, 0.3, 0.2, 0.1))


def split_exactly(total: int, shares: list[float]) -> list[int]:
    """Whole parts of `total` in proportion to `shares` that add up to `total` (largest remainder)."""
    raw = [total * s / sum(shares) for s in shares]
    parts = [int(r) for r in raw]
    for i in sorted(range(len(raw)), key=lambda i: raw[i] - parts[i], reverse=True)[: total - sum(parts)]:
        parts[i] += 1
    return parts
