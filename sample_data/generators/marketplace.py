"""The `marketplace` scenario: small fraud rings among people who share innocently, no request log.

Fraud rings of 2-10 accounts share devices, phones, a postal address, a bank account and a few
IP addresses, and move money between members (transfers to a cash-out account). The legitimate
population shares too: households (one address, one home IP, often one card or one tablet),
shared offices, public Wi-Fi, a carrier NAT, and friends who refer each other. Fictional names
only; the `truth` table labels ring members with their ring id as `campaign_id`.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

FRAUD_SHARE = 0.05
RING_SIZES = (2, 10)
HOUSEHOLD_SHARE, OFFICE_SHARE, NAT_SHARE, WIFI_SHARE = 0.15, 0.10, 0.06, 0.04
START = pd.Timestamp("2026-03-01T00:00:00Z")
DAYS = 60


@dataclass
class _Tables:
    accounts: list[dict] = field(default_factory=list)
    logins: list[dict] = field(default_factory=list)
    identifiers: list[dict] = field(default_factory=list)
    links: list[dict] = field(default_factory=list)
    cards: list[dict] = field(default_factory=list)
    account_cards: list[dict] = field(default_factory=list)
    truth: list[dict] = field(default_factory=list)


class Marketplace:
    def __init__(self, n_accounts: int, seed: int) -> None:
        self.n = n_accounts
        self.rng = np.random.default_rng(seed)
        self.t = _Tables()
        self.counters: dict[str, int] = {}

    def next_id(self, prefix: str) -> str:
        i = self.counters.get(prefix, 0)
        self.counters[prefix] = i + 1
        return f"{prefix}{i:07d}"

    def ip(self) -> str:
        v = int(self.rng.integers(0, 1 << 22))
        return f"100.{64 + (v >> 16)}.{(v >> 8) & 255}.{v & 255}"

    def when(self) -> str:
        return (START + pd.Timedelta(seconds=float(self.rng.uniform(0, DAYS * 86400)))).strftime("%Y-%m-%dT%H:%M:%SZ")

    # --- one account and what it uses -----------------------------------------------------------
    def account(self, ring: str | None = None) -> str:
        a = self.next_id("m-acc-")
        self.t.accounts.append({"account_id": a, "email": f"{a}@mail.example" if self.rng.random() < 0.6 else "",
                                "created_at": self.when(), "country": "GB"})
        self.t.truth.append({"account_id": a, "is_fraud": "true" if ring else "false", "campaign_id": ring or "",
                             "org_id": "", "person_id": ""})
        return a

    def login(self, a: str, ip: str | None, device: str | None, times: int = 1) -> None:
        for _ in range(times):
            self.t.logins.append({"account_id": a, "ts": self.when(), "ip": ip or "", "device_id": device or ""})

    def identifier(self, a: str, kind: str, value: str) -> None:
        self.t.identifiers.append({"account_id": a, "kind": kind, "value": value})

    def card(self, accounts: list[str]) -> None:
        fp = self.next_id("m-card-")
        self.t.cards.append({"card_fingerprint": fp, "issuer_country": "GB"})
        self.t.account_cards += [{"account_id": a, "card_fingerprint": fp} for a in accounts]

    def individual(self, a: str, ip: str | None = None, own_card: float = 0.7) -> None:
        """What everyone has of their own: a phone, a device, an address, a home IP, often a card."""
        self.identifier(a, "phone", self.next_id("+44-7"))
        self.identifier(a, "postal_address", self.next_id("addr-"))
        if self.rng.random() < 0.3:
            self.identifier(a, "bank_account", self.next_id("iban-"))
        self.login(a, ip or self.ip(), self.next_id("m-dev-"), int(self.rng.integers(1, 4)))
        if self.rng.random() < own_card:
            self.card([a])

    # --- the legitimate population --------------------------------------------------------------
    def households(self, k: int) -> None:
        while k > 0:
            size = min(k, int(self.rng.integers(2, 5)))
            k -= size
            members = [self.account() for _ in range(size)]
            home_ip, address = self.ip(), self.next_id("addr-")
            for a in members:
                self.identifier(a, "phone", self.next_id("+44-7"))
                self.identifier(a, "postal_address", address)
                self.login(a, home_ip, self.next_id("m-dev-"), int(self.rng.integers(1, 4)))
            if self.rng.random() < 0.5:  # a family paying with one card
                self.card(members)
            if self.rng.random() < 0.3:  # a shared tablet
                tablet = self.next_id("m-dev-")
                for a in members:
                    self.login(a, home_ip, tablet)

    def offices(self, k: int) -> None:
        while k > 0:
            size = min(k, int(self.rng.integers(10, 41)))
            k -= size
            office = [self.ip(), self.ip()]
            for _ in range(size):
                a = self.account()
                self.individual(a)
                self.login(a, office[int(self.rng.integers(0, 2))], None, 2)

    def shared_addresses(self, k: int, per_ip: tuple[int, int]) -> None:
        """Carrier NAT and public Wi-Fi: strangers behind a few addresses."""
        while k > 0:
            size = min(k, int(self.rng.integers(*per_ip)))
            k -= size
            ip = self.ip()
            for _ in range(size):
                a = self.account()
                self.individual(a, ip=ip)

    def referrals(self, accounts: list[str]) -> None:
        """Friends refer friends: a tenth of people refer one to three others."""
        for a in accounts:
            if self.rng.random() < 0.1:
                for b in self.rng.choice(accounts, int(self.rng.integers(1, 4)), replace=False):
                    if b != a:
                        self.t.links.append({"src_account_id": a, "dst_account_id": str(b), "kind": "referral",
                                             "ts": self.when(), "amount": "", "currency": ""})

    # --- fraud rings ---------------------------------------------------------------------------
    def ring(self, ring_id: str, size: int) -> None:
        members = [self.account(ring_id) for _ in range(size)]
        devices = [self.next_id("m-dev-") for _ in range(1 + (size > 5))]
        phones = [self.next_id("+44-7") for _ in range(1 + (size > 6))]
        ips = [self.ip() for _ in range(int(self.rng.integers(1, 4)))]
        address, bank = self.next_id("addr-"), self.next_id("iban-")
        for i, a in enumerate(members):
            self.login(a, ips[i % len(ips)], devices[i % len(devices)], int(self.rng.integers(1, 4)))
            self.identifier(a, "phone", phones[i % len(phones)])
            if self.rng.random() < 0.8:
                self.identifier(a, "postal_address", address)
            if self.rng.random() < 0.7:
                self.identifier(a, "bank_account", bank)
            if i and self.rng.random() < 0.8:  # money moves to the ring's cash-out account
                self.t.links.append({"src_account_id": a, "dst_account_id": members[0], "kind": "transfer",
                                     "ts": self.when(), "amount": f"{self.rng.uniform(20, 900):.2f}",
                                     "currency": "GBP"})
        if self.rng.random() < 0.4:  # a stolen card used by part of the ring
            self.card(members[: max(2, size // 2)])

    def build(self) -> dict[str, pd.DataFrame]:
        n_fraud = int(round(self.n * FRAUD_SHARE))
        r = 0
        while n_fraud >= RING_SIZES[0]:
            size = min(n_fraud, int(self.rng.integers(RING_SIZES[0], RING_SIZES[1] + 1)))
            if n_fraud - size == 1:
                size += 1
            self.ring(f"ring-{r:04d}", size)
            n_fraud -= size
            r += 1
        legit = self.n - len(self.t.accounts)
        groups = {"hh": int(legit * HOUSEHOLD_SHARE), "office": int(legit * OFFICE_SHARE),
                  "nat": int(legit * NAT_SHARE), "wifi": int(legit * WIFI_SHARE)}
        self.households(groups["hh"])
        self.offices(groups["office"])
        self.shared_addresses(groups["nat"], (80, 150))
        self.shared_addresses(groups["wifi"], (20, 60))
        for _ in range(self.n - len(self.t.accounts)):
            self.individual(self.account())
        legit_ids = [t["account_id"] for t in self.t.truth if t["is_fraud"] == "false"]
        self.referrals(legit_ids)
        return {"accounts": pd.DataFrame(self.t.accounts), "logins": pd.DataFrame(self.t.logins),
                "account_identifiers": pd.DataFrame(self.t.identifiers).drop_duplicates(),
                "account_links": pd.DataFrame(self.t.links).drop_duplicates(
                    ["src_account_id", "dst_account_id", "kind", "ts"]),
                "payment_cards": pd.DataFrame(self.t.cards), "account_cards": pd.DataFrame(self.t.account_cards),
                "truth": pd.DataFrame(self.t.truth)}


HOUSEHOLDS_SHARE = 0.05   # of accounts, in homes of 2-3 (about 2.5 % of people live in such pairs in real data)
HOUSEHOLDS_RING_SHARE = 0.03
HOUSEHOLD_SIZES = (2, 3)
SURNAMES = ("Ashdown", "Brightwell", "Carrow", "Dunmore", "Elsworth", "Fairleigh", "Greywood", "Hollins")


class Households(Marketplace):
    """The `households` scenario: homes of 2-3 accounts sharing one card (billed in the family's name), one
    device, one home address and its IP, signed up months apart, as common as in real data; among them
    small fraud rings that sign up in a burst and move money. `households.csv` lists each home (for the
    bench; detection never reads it)."""

    def __init__(self, n_accounts: int, seed: int) -> None:
        super().__init__(n_accounts, seed)
        self.homes: list[dict] = []

    def home(self, h: int) -> None:
        size = int(self.rng.integers(HOUSEHOLD_SIZES[0], HOUSEHOLD_SIZES[1] + 1))
        members = [self.account() for _ in range(size)]
        ip, address, tablet = self.ip(), self.next_id("addr-"), self.next_id("m-dev-")
        fp = self.next_id("m-card-")
        self.t.cards.append({"card_fingerprint": fp, "issuer_country": "GB",
                             "billing_name": f"J {SURNAMES[h % len(SURNAMES)]}"})
        for a in members:
            self.identifier(a, "phone", self.next_id("+44-7"))
            self.identifier(a, "postal_address", address)
            self.login(a, ip, tablet, int(self.rng.integers(1, 4)))
            self.t.account_cards.append({"account_id": a, "card_fingerprint": fp})
            self.homes.append({"household_id": f"home-{h:05d}", "account_id": a})

    def burst_ring(self, ring_id: str, size: int) -> None:
        start = START + pd.Timedelta(seconds=float(self.rng.uniform(0, DAYS * 86400)))
        first = len(self.t.accounts)
        self.ring(ring_id, size)
        for i, row in enumerate(self.t.accounts[first:]):  # created by one script within minutes
            row["created_at"] = (start + pd.Timedelta(seconds=float(self.rng.uniform(0, 900)))).strftime(
                "%Y-%m-%dT%H:%M:%SZ")

    def build(self) -> dict[str, pd.DataFrame]:
        n_fraud = int(round(self.n * HOUSEHOLDS_RING_SHARE))
        r = 0
        while n_fraud >= 3:
            size = min(n_fraud, int(self.rng.integers(3, 9)))
            self.burst_ring(f"ring-{r:04d}", size)
            n_fraud -= size
            r += 1
        h = 0
        while len(self.homes) < self.n * HOUSEHOLDS_SHARE:
            self.home(h)
            h += 1
        for _ in range(self.n - len(self.t.accounts)):
            self.individual(self.account())
        tables = {"accounts": pd.DataFrame(self.t.accounts), "logins": pd.DataFrame(self.t.logins),
                  "account_identifiers": pd.DataFrame(self.t.identifiers).drop_duplicates(),
                  "account_links": pd.DataFrame(self.t.links).drop_duplicates(
                      ["src_account_id", "dst_account_id", "kind", "ts"]),
                  "payment_cards": pd.DataFrame(self.t.cards), "account_cards": pd.DataFrame(self.t.account_cards),
                  "truth": pd.DataFrame(self.t.truth), "households": pd.DataFrame(self.homes)}
        return tables
