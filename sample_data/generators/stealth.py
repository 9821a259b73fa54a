"""The `stealth` scenario: fleets that share no infrastructure, only how they call the API.

Each fleet (run by a fictional lab) buys one card per account, spoofs one device per account, signs up over
months and sends every request through a residential proxy network so large that an exit address is almost
never reused (the provider knows nothing of it: no proxies rows, no ip_intel). What it cannot hide: a
dispatcher hands out work in waves at irregular times, so its accounts are active in the same short windows
again and again for weeks; the job's category mix and token shapes; the whole fleet moves to a newly released
model within hours. Each fleet leaks a little: one card (in a staff member's name) reused by 8 accounts, 20
API keys created from the lab's own network, 10 accounts on the staff member's device.

Innocent look-alikes: an enterprise's scheduled jobs (service accounts in perfect nightly lockstep on its own
network and email domain, an open identity), a course (students in the same weekly lab hours on the same
assignment, on the campus network with university emails), an open-source agent framework whose default
template thousands use, benchmark runners sending one prompt set at different times, a release-day rush of
ordinary users to the new model, and households sharing a card and an address.

`truth` labels the fleets; `lookalikes.csv` (account_id, group) names every look-alike group's accounts for
the bench (detection never reads either).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from sample_data.generators.campaigns import CONSUMER_DOMAINS, LABS, Gen

START = pd.Timestamp("2026-09-01T00:00:00Z")
DAYS = 42
RELEASE_AT = pd.Timestamp("2026-09-30T14:00:00Z")
OLD_MODEL, NEW_MODEL = "sol-3", "sol-4"
FLEET_SHARES = (0.049, 0.032, 0.016)        # 490, 320 and 160 of 10,000 accounts
SIGNUP_DAYS_BEFORE = 150                    # fleets sign up over months
WAVE_MEAN_INTERVAL_H = 6.0                  # the dispatcher's waves: irregular, about four a day
WAVE_MINUTES = 12
CARD_LEAK, KEY_LEAK, DEVICE_LEAK = 8, 20, 10
ENTERPRISE_SHARE, COURSE_SHARE, BENCH_SHARE, HOUSEHOLD_SHARE = 0.01, 0.025, 0.01, 0.03
AGENTKIT_USERS = 0.3                        # ordinary users of the agent framework's default template
RUSH_SHARE = 0.35                           # ordinary users trying the new model on release day
CATEGORIES = ("chat", "coding", "reasoning", "vision", "other", "agentic", "tool_use", "cot_elicitation")
ORDINARY_MIX = (0.42, 0.22, 0.1, 0.08, 0.07, 0.05, 0.04, 0.02)
USER_AGENTS = ("sdk-python/2.1", "sdk-node/1.8", "curl/8.4", "agentkit/0.9 sdk-python/2.1", "playground-web/3")
USER_AGENT_P = (0.45, 0.2, 0.05, 0.15, 0.15)
TLS = tuple(f"tls-{h}" for h in ("7a1c", "93be", "c0d4", "e51f", "2b88", "4f60"))
AGENTKIT_TEMPLATE = "tpl-agentkit-default"

FLEETS = (  # (campaign id, lab index, category mix, input-token median, output/input ratio, switch lag h)
    ("fleet-halcyon", 0, {"cot_elicitation": 0.71, "reasoning": 0.24, "chat": 0.05}, 1800, 4.0, 3.0),
    ("fleet-quillon", 1, {"agentic": 0.45, "coding": 0.35, "tool_use": 0.2}, 3200, 1.5, 5.0),
    ("fleet-moravec", 2, {"vision": 0.6, "reasoning": 0.3, "chat": 0.1}, 900, 2.5, 8.0),
)


def _stamp(t: np.ndarray | pd.DatetimeIndex) -> pd.Series:
    return pd.Series(pd.to_datetime(t, utc=True).strftime("%Y-%m-%dT%H:%M:%SZ"))


class Stealth(Gen):
    """Builds the scenario's tables; the lab organisations and staff come from the campaigns scenario."""

    def __init__(self, n_accounts: int, seed: int) -> None:
        super().__init__(n_accounts, seed)
        self.lookalikes: list[pd.DataFrame] = []
        self.api_keys: list[pd.DataFrame] = []
        self.exits = 0

    # --- helpers ------------------------------------------------------------------------------
    def fresh_exits(self, k: int) -> np.ndarray:
        """Residential exit addresses drawn from a network so large that one is almost never seen twice."""
        x = self.rng.integers(0, 1 << 24, k)
        return np.array([f"10.{v >> 16}.{(v >> 8) & 255}.{v & 255}" for v in x])

    def requests(self, acc: np.ndarray, ts: np.ndarray, *, ip: np.ndarray, categories: np.ndarray,
                 tokens_in: np.ndarray, ratio: np.ndarray, templates: np.ndarray, ua: np.ndarray, tls: np.ndarray,
                 new_model: np.ndarray) -> None:
        n = len(acc)
        self.exchanges.append(pd.DataFrame({
            "request_id": self.ids("req-", n, "next_request"), "account_id": acc,
            "ts": pd.to_datetime(ts, utc=True).floor("s"), "ip": ip, "api_key_id": np.char.add("key-", acc.astype(str)),
            "model": np.where(new_model, NEW_MODEL, OLD_MODEL), "category": categories,
            "prompt_fingerprint": templates, "input_tokens": np.maximum(1, tokens_in).astype(int),
            "output_tokens": np.maximum(1, tokens_in * ratio).astype(int), "user_agent": ua, "tls_fingerprint": tls}))

    def keys(self, acc: np.ndarray, created: np.ndarray, from_ip: np.ndarray) -> None:
        self.api_keys.append(pd.DataFrame({"api_key_id": np.char.add("key-", acc.astype(str)), "account_id": acc,
                                           "created_at": _stamp(created).to_numpy(), "created_from_ip": from_ip}))

    def mark(self, acc: np.ndarray, group: str) -> None:
        self.lookalikes.append(pd.DataFrame({"account_id": acc, "group": group}))

    def ordinary_model(self, ts: np.ndarray) -> np.ndarray:
        hours = (pd.to_datetime(ts, utc=True) - RELEASE_AT) / pd.Timedelta(hours=1)
        p = np.where(hours > 0, 0.6 * (1 - np.exp(-np.asarray(hours, dtype=float).clip(0) / 120)), 0.0)
        return self.rng.random(len(ts)) < p

    # --- populations ----------------------------------------------------------------------------
    def ordinary(self, k: int, *, ips: np.ndarray | None = None, domain=None, claimed="", verified_p=0.7,
                 sessions: float = 6.0, created: np.ndarray | None = None, rush: bool = True,
                 categories: tuple[float, ...] = ORDINARY_MIX) -> np.ndarray:
        """People using the API on their own: a few sessions at their own times of day, their own mix."""
        own_ips = self.random_public_ips(k) if ips is None else ips
        self.intel(own_ips, 64500 + int(self.rng.integers(0, 40)), "Consumer Broadband Ltd", "GB")
        if created is None:
            created = (START - pd.to_timedelta(self.rng.uniform(30, 400, k), unit="D")).tz_convert(None).to_numpy()
        acc = self.add_accounts(k, domain=domain, created=created, country="GB",
                                plan_p={"free": 0.6, "pro": 0.35, "api": 0.05}, verified_p=verified_p,
                                signup_ips=own_ips, claimed=claimed)
        self.link_cards(acc, self.add_cards(k, names=self.names(k), country="GB"))
        devices = self.ids("dev-", k, "next_device")
        nlog = self.rng.integers(1, 6, k)
        pos = np.repeat(np.arange(k), nlog)
        self.logins.append(pd.DataFrame({
            "account_id": acc[pos], "ts": pd.to_datetime(self.uniform_in(len(pos)), utc=True).floor("s"),
            "ip": own_ips[pos], "device_id": devices[pos], "user_agent": "ringtrace-sample/1.0"}))
        self.keys(acc, created, own_ips)
        # sessions: a day, an hour of the person's own day, a few requests within 40 minutes
        n_sess = self.rng.poisson(sessions, k) + 1
        who = np.repeat(np.arange(k), n_sess)
        peak = self.rng.normal(15, 3.5, k)
        day = self.rng.integers(0, DAYS, len(who))
        hour = (peak[who] + self.rng.normal(0, 2.5, len(who))) % 24
        start = START + pd.to_timedelta(day * 86400 + hour * 3600, unit="s")
        rushing = np.zeros(len(who), dtype=bool)
        if rush:  # release day: many try the new model in its first hours
            rushers = np.flatnonzero(self.rng.random(k) < RUSH_SHARE)
            who = np.concatenate([who, rushers])
            rushing = np.concatenate([rushing, np.ones(len(rushers), dtype=bool)])
            start = start.append(RELEASE_AT + pd.to_timedelta(self.rng.exponential(4 * 3600, len(rushers)), unit="s"))
        per = self.rng.poisson(3, len(who)) + 1
        req_who = np.repeat(who, per)
        ts = np.repeat(start.tz_convert(None).to_numpy(), per) + \
            pd.to_timedelta(self.rng.uniform(0, 2400, len(req_who)), unit="s").to_numpy()
        mix = self.rng.dirichlet(np.asarray(categories) * 4 + 0.05, k)
        cat = _draw_rows(self.rng, mix[req_who], CATEGORIES)
        base_in = np.exp(self.rng.normal(6.5, 0.8, k))
        tokens_in = base_in[req_who] * np.exp(self.rng.normal(0, 0.9, len(req_who)))
        ratio = np.exp(self.rng.normal(0.3, 0.7, len(req_who)))
        agentkit = self.rng.random(k) < AGENTKIT_USERS
        tpl = np.char.add(np.char.add("tpl-own-", acc[req_who].astype(str)),
                          np.char.mod("-%d", self.rng.integers(0, 3, len(req_who)))).astype(object)
        popular = self.rng.random(len(req_who)) < 0.2
        tpl[popular] = self.popular_templates[self.rng.choice(len(self.popular_templates), int(popular.sum()),
                                                              p=self.popular_p)]
        kit = agentkit[req_who] & (self.rng.random(len(req_who)) < 0.5)
        tpl[kit] = AGENTKIT_TEMPLATE
        ua_acc = self.rng.choice(len(USER_AGENTS), k, p=USER_AGENT_P)
        ua_acc[agentkit] = USER_AGENTS.index("agentkit/0.9 sdk-python/2.1")
        tls_acc = self.rng.integers(0, len(TLS), k)
        is_new = self.ordinary_model(ts) | (np.repeat(rushing, per) & (self.rng.random(len(req_who)) < 0.9))
        self.requests(acc[req_who], ts, ip=own_ips[req_who], categories=cat, tokens_in=tokens_in, ratio=ratio,
                      templates=tpl, ua=np.array(USER_AGENTS)[ua_acc[req_who]], tls=np.array(TLS)[tls_acc[req_who]],
                      new_model=is_new)
        return acc

    def uniform_in(self, k: int) -> np.ndarray:
        return (START + pd.to_timedelta(self.rng.uniform(0, DAYS * 86400, k), unit="s")).tz_convert(None).to_numpy()

    def fleet(self, spec: tuple, k: int, lab: tuple, staff: dict) -> None:
        campaign_id, _, mix, in_median, out_ratio, lag_h = spec
        created = (START - pd.to_timedelta(self.rng.uniform(-10, SIGNUP_DAYS_BEFORE, k), unit="D")) \
            .tz_convert(None).to_numpy()
        exits = self.fresh_exits(k)
        acc = self.add_accounts(k, created=created, country=str(self.rng.choice(["US", "GB", "DE", "CA"])),
                                plan_p={"free": 0.2, "pro": 0.6, "api": 0.2}, verified_p=0.1, signup_ips=exits,
                                claimed=self.rng.choice(["", "freelance", "student", "self"], k),
                                truth={"is_fraud": "true", "campaign_id": campaign_id, "org_id": lab[0],
                                       "person_id": staff["person_id"]})
        # one card per account, but one card in the staff member's name reused by CARD_LEAK accounts
        names = self.names(k).astype(object)
        cards = self.add_cards(k, names=names, country="US",
                               emails=np.array([f"billing{i}@{self.rng.choice(CONSUMER_DOMAINS)}" for i in range(k)]))
        leak = self.rng.choice(k, CARD_LEAK + DEVICE_LEAK + KEY_LEAK, replace=False)
        card_leak, device_leak, key_leak = np.split(leak, [CARD_LEAK, CARD_LEAK + DEVICE_LEAK])
        self.cards[-1].loc[self.cards[-1].index[card_leak[0]], "billing_name"] = staff["name"]
        per_account_card = cards.copy()
        per_account_card[card_leak] = cards[card_leak[0]]
        self.link_cards(acc, per_account_card)
        devices = self.ids("dev-", k, "next_device").astype(object)
        devices[device_leak] = staff["device"]
        nlog = self.rng.integers(2, 6, k)
        pos = np.repeat(np.arange(k), nlog)
        self.logins.append(pd.DataFrame({
            "account_id": acc[pos], "ts": pd.to_datetime(self.uniform_in(len(pos)), utc=True).floor("s"),
            "ip": self.fresh_exits(len(pos)), "device_id": devices[pos], "user_agent": "sdk-python/2.1"}))
        key_ips = self.fresh_exits(k).astype(object)
        lab_net = lab[4].split("/")[0].rsplit(".", 1)[0]
        key_ips[key_leak] = [f"{lab_net}.{v}" for v in self.rng.integers(60, 63, len(key_leak))]
        self.keys(acc, created, key_ips)
        # the dispatcher's waves: irregular times, each account takes part in a share of them
        gaps = self.rng.exponential(WAVE_MEAN_INTERVAL_H * 3600, int(DAYS * 24 / WAVE_MEAN_INTERVAL_H * 2))
        waves = np.cumsum(gaps)
        waves = waves[waves < DAYS * 86400]
        part = self.rng.uniform(0.2, 0.5, k)
        takes = self.rng.random((k, len(waves))) < part[:, None]
        wave_ts = (START + pd.to_timedelta(waves, unit="s")).tz_convert(None).to_numpy()
        takes &= wave_ts[None, :] >= created[:, None]
        who, wave = np.nonzero(takes)
        per = self.rng.poisson(2, len(who)) + 1
        req_who, req_wave = np.repeat(who, per), np.repeat(wave, per)
        ts = wave_ts[req_wave] + pd.to_timedelta(self.rng.uniform(0, WAVE_MINUTES * 60, len(req_who)),
                                                 unit="s").to_numpy()
        cats, p = list(mix), np.array(list(mix.values()))
        acc_mix = self.rng.dirichlet(p * 60 + 0.05, k)
        cat = _draw_rows(self.rng, acc_mix[req_who], tuple(cats))
        tokens_in = in_median * np.exp(self.rng.normal(0, 0.25, len(req_who)))
        ratio = out_ratio * np.exp(self.rng.normal(0, 0.15, len(req_who)))
        pool = np.array([f"tpl-{campaign_id}-{i:04d}" for i in range(3000)], dtype=object)
        tpl = pool[self.rng.integers(0, len(pool), len(req_who))]
        tpl[self.rng.random(len(req_who)) < 0.3] = AGENTKIT_TEMPLATE
        moved = RELEASE_AT.tz_convert(None).to_datetime64() + np.timedelta64(int(lag_h * 3600), "s") + \
            pd.to_timedelta(self.rng.uniform(0, 3600, k), unit="s").to_numpy()
        new = (ts >= moved[req_who]) & (self.rng.random(len(req_who)) < 0.97)
        self.requests(acc[req_who], ts, ip=self.fresh_exits(len(req_who)), categories=cat, tokens_in=tokens_in,
                      ratio=ratio, templates=tpl, ua=np.full(len(req_who), "sdk-python/2.1"),
                      tls=np.array(TLS)[self.rng.integers(0, len(TLS), len(req_who))], new_model=new)

    def enterprise_jobs(self, k: int) -> None:
        """Service accounts of one company running scheduled jobs every night at 02:00, in lockstep."""
        org_id, name, dom, net = "org-ent-corvid", "Corvid Logistics", "corvid-logistics.example", "198.51.100.0/24"
        office = self.ips_in(net.split("/")[0], 4)
        self.intel(office, 64560, f"{name} office", "GB")
        created = (START - pd.to_timedelta(self.rng.uniform(60, 300, k), unit="D")).tz_convert(None).to_numpy()
        acc = self.add_accounts(k, domain=dom, created=created, country="GB", plan_p={"enterprise": 1.0},
                                verified_p=0.95, signup_ips=office[self.rng.integers(0, 4, k)], claimed=name)
        corp = self.add_cards(max(1, k // 10), names=np.full(max(1, k // 10), name), country="GB", org=org_id,
                              emails=f"accounts@{dom}")
        self.link_cards(acc, corp[self.rng.integers(0, len(corp), k)])
        self.add_logins(acc, (1, 3), office, self.ids("dev-", max(1, k // 20), "next_device"), self.uniform_in(512))
        self.keys(acc, created, office[self.rng.integers(0, 4, k)])
        nights = (START + pd.to_timedelta(np.arange(DAYS) * 86400 + 2 * 3600, unit="s")).tz_convert(None).to_numpy()
        who, night = np.nonzero(self.rng.random((k, DAYS)) < 0.95)
        per = self.rng.poisson(3, len(who)) + 1
        req_who, req_night = np.repeat(who, per), np.repeat(night, per)
        ts = nights[req_night] + pd.to_timedelta(self.rng.uniform(0, 600, len(req_who)), unit="s").to_numpy()
        self.requests(acc[req_who], ts, ip=office[self.rng.integers(0, 4, len(req_who))],
                      categories=self.rng.choice(["tool_use", "agentic", "coding"], len(req_who), p=[0.5, 0.3, 0.2]),
                      tokens_in=np.full(len(req_who), 2500.0), ratio=np.full(len(req_who), 0.4),
                      templates=np.array([f"tpl-{org_id}-{i}" for i in range(12)])[
                          self.rng.integers(0, 12, len(req_who))],
                      ua=np.full(len(req_who), "corvid-batch/4.2 sdk-python/2.1"),
                      tls=np.full(len(req_who), TLS[0]), new_model=self.rng.random(len(req_who)) < 0.02)
        self.mark(acc, "enterprise-cron")
        return org_id, name, dom, net

    def course(self, k: int) -> tuple:
        """Students of one course in the same weekly lab hours, on the same assignment, on the campus network."""
        org_id, name, dom, net = "org-uni-eastmarch", "University of Eastmarch", "eastmarch.example", "198.19.0.0/20"
        campus = self.ips_in(net.split("/")[0], 8)
        claimed = np.where(self.rng.random(k) < 0.85, name, "")
        acc = self.ordinary(k, ips=campus[self.rng.integers(0, 8, k)], domain=dom, claimed=claimed, verified_p=0.5,
                            sessions=3.0)
        labs = []  # Tuesdays 14:00 and Thursdays 10:00, two hours each, six weeks
        for week in range(DAYS // 7):
            for day, hour in ((1, 14), (3, 10)):
                labs.append(START + pd.Timedelta(days=7 * week + day, hours=hour))
        labs = pd.DatetimeIndex(labs).tz_convert(None).to_numpy()
        who, lab = np.nonzero(self.rng.random((k, len(labs))) < 0.8)
        per = self.rng.poisson(4, len(who)) + 1
        req_who, req_lab = np.repeat(who, per), np.repeat(lab, per)
        ts = labs[req_lab] + pd.to_timedelta(self.rng.uniform(0, 7200, len(req_who)), unit="s").to_numpy()
        n = len(req_who)
        self.requests(acc[req_who], ts, ip=campus[self.rng.integers(0, 8, n)],
                      categories=self.rng.choice(["coding", "reasoning", "chat"], n, p=[0.7, 0.2, 0.1]),
                      tokens_in=np.exp(self.rng.normal(6.8, 0.6, n)), ratio=np.exp(self.rng.normal(0.5, 0.5, n)),
                      templates=np.array([f"tpl-course-ds101-{i}" for i in range(10)])[self.rng.integers(0, 10, n)],
                      ua=np.full(n, "sdk-python/2.1"), tls=np.array(TLS)[self.rng.integers(0, 3, n)],
                      new_model=self.ordinary_model(ts))
        self.mark(acc, "course")
        return org_id, name, dom, net

    def benchmark_runners(self, k: int) -> None:
        """Independent researchers each running one public prompt set a few times, at times of their own."""
        acc = self.ordinary(k, sessions=2.0)
        runs = self.rng.integers(2, 6, k)
        who = np.repeat(np.arange(k), runs)
        start = self.uniform_in(len(who))
        per = self.rng.integers(30, 60, len(who))
        req_who = np.repeat(who, per)
        ts = np.repeat(start, per) + pd.to_timedelta(self.rng.uniform(0, 5400, len(req_who)), unit="s").to_numpy()
        n = len(req_who)
        self.requests(acc[req_who], ts, ip=self.frames_ip(acc, req_who),
                      categories=self.rng.choice(["reasoning", "coding", "cot_elicitation"], n, p=[0.6, 0.3, 0.1]),
                      tokens_in=np.exp(self.rng.normal(6.2, 0.4, n)), ratio=np.exp(self.rng.normal(1.0, 0.3, n)),
                      templates=np.array([f"tpl-bench-evalset-{i:03d}" for i in range(300)])[
                          self.rng.integers(0, 300, n)],
                      ua=np.full(n, "sdk-python/2.1"), tls=np.array(TLS)[self.rng.integers(0, len(TLS), n)],
                      new_model=self.ordinary_model(ts))
        self.mark(acc, "benchmark-runners")

    def frames_ip(self, acc: np.ndarray, idx: np.ndarray) -> np.ndarray:
        """Each account's sign-up address (its home)."""
        signup = self.accounts[-1].set_index("account_id")["signup_ip"]
        return signup.reindex(acc[idx]).to_numpy()

    def households(self, k: int) -> None:
        sizes = []
        while sum(sizes) < k:
            sizes.append(int(self.rng.integers(2, 5)))
        sizes[-1] -= sum(sizes) - k
        sizes = [s for s in sizes if s > 0]
        home_ips = self.random_public_ips(len(sizes))
        acc = self.ordinary(k, ips=np.repeat(home_ips, sizes))
        self.link_cards(acc, np.repeat(self.add_cards(len(sizes), names=self.names(len(sizes)), country="GB"), sizes))
        self.mark(acc, "households")

    # --- the whole dataset ------------------------------------------------------------------
    def build(self) -> dict[str, pd.DataFrame]:
        orgs, people = [], []
        staff_of: dict[str, dict] = {}
        for j, (org_id, name, dom, asn, net, cc) in enumerate(LABS):
            orgs.append({"org_id": org_id, "name": name, "kind": "ai_lab", "country": cc, "domains": dom,
                         "asns": str(asn), "netblocks": net})
            for r, (role, sen) in enumerate((("research lead", "senior"), ("engineer", "mid"), ("intern", "junior"))):
                pid = f"person-{3 * j + r:03d}"
                pname = str(self.names(1)[0])
                people.append({"person_id": pid, "name": pname, "org_id": org_id, "role": role, "seniority": sen,
                               "emails": f"{pname.split()[0].lower()}@{dom}", "device_ids": f"dev-staff-{pid[-3:]}",
                               "ips": net.split("/")[0].rsplit(".", 1)[0] + f".{20 + r}"})
                if r == 0:
                    staff_of[org_id] = {"person_id": pid, "name": pname, "device": f"dev-staff-{pid[-3:]}"}
        n_fleet = [max(20, int(round(self.n * s))) for s in FLEET_SHARES]
        sizes = {"ent": max(20, int(self.n * ENTERPRISE_SHARE)), "course": max(30, int(self.n * COURSE_SHARE)),
                 "bench": max(10, int(self.n * BENCH_SHARE)), "hh": max(10, int(self.n * HOUSEHOLD_SHARE))}
        rest = self.n - sum(n_fleet) - sum(sizes.values())
        self.ordinary(rest)
        for org_id, name, dom, net in (self.enterprise_jobs(sizes["ent"]), self.course(sizes["course"])):
            orgs.append({"org_id": org_id, "name": name, "kind": "enterprise" if "ent" in org_id else "other",
                         "country": "GB", "domains": dom, "asns": "", "netblocks": net})
        self.benchmark_runners(sizes["bench"])
        self.households(sizes["hh"])
        for spec, k in zip(FLEETS, n_fleet):
            lab = LABS[spec[1]]
            self.fleet(spec, k, lab, staff_of[lab[0]])
        return {
            "organisations": pd.DataFrame(orgs), "people": pd.DataFrame(people),
            "accounts": pd.concat(self.accounts, ignore_index=True),
            "ip_intel": pd.DataFrame(list(self.ip_intel.values())),
            "payment_cards": pd.concat(self.cards, ignore_index=True),
            "account_cards": pd.concat(self.account_cards, ignore_index=True),
            "logins": pd.concat(self.logins, ignore_index=True),
            "api_keys": pd.concat(self.api_keys, ignore_index=True),
            "exchanges": pd.concat(self.exchanges, ignore_index=True).sort_values("ts", kind="stable"),
            "events": pd.DataFrame([
                {"event_id": "ev-release-sol-3", "ts": "2026-05-01T16:00:00Z", "kind": "model_release",
                 "model": OLD_MODEL, "description": f"{OLD_MODEL} generally available"},
                {"event_id": "ev-release-sol-4", "ts": RELEASE_AT.strftime("%Y-%m-%dT%H:%M:%SZ"),
                 "kind": "model_release", "model": NEW_MODEL, "description": f"{NEW_MODEL} generally available"}]),
            "truth": pd.concat(self.truth, ignore_index=True),
            "lookalikes": pd.concat(self.lookalikes, ignore_index=True),
        }


def _draw_rows(rng: np.random.Generator, p: np.ndarray, labels: tuple[str, ...]) -> np.ndarray:
    """One label per row of the probability matrix `p`."""
    u = rng.random(len(p))[:, None]
    idx = (p.cumsum(axis=1) < u).sum(axis=1).clip(0, len(labels) - 1)
    return np.asarray(labels)[idx]
