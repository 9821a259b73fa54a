#!/usr/bin/env python3
"""Blind synthetic scenario for ringtrace: coordinated abuse of an AI model
provider's API platform, mixed with common innocent sharing.

Written from the input data contract only (no knowledge of how detection
works).  See BRIEF.md beside this file for the design.

    python bench/blind/generate.py OUT_DIR [--accounts N] [--seed S] [--check]

Only the standard library, numpy, pandas and pyarrow (for the Parquet
request log) are used.  Output is deterministic for (N, seed).
"""
from __future__ import annotations

import argparse
import bisect
import ipaddress
import math
import os
import re
import sys
import time
from collections import Counter, defaultdict
from datetime import datetime, timezone

import numpy as np
import pandas as pd

DAY = 86400.0
HOUR = 3600.0
MINUTE = 60.0
INF = float("inf")
DIGIT_RUN = re.compile(r"\d{7,}")


def T(y, m, d, h=0, mi=0):
    return datetime(y, m, d, h, mi, tzinfo=timezone.utc).timestamp()


ACC_START = T(2024, 9, 1)       # oldest sign-ups
LOGIN_START = T(2026, 4, 1)     # login log retention starts here
LOG_START = T(2026, 6, 15)      # request log (exchanges) starts here
LOG_END = T(2026, 10, 1)        # export time

CATS = ["chat", "coding", "tool_use", "agentic", "reasoning",
        "cot_elicitation", "vision", "other"]
C = {c: i for i, c in enumerate(CATS)}
TOK_BASE = np.array([[300, 400], [1500, 900], [2000, 300], [6000, 800],
                     [500, 2500], [400, 4000], [1200, 500], [400, 300]], float)
PROFILES = {
    "casual":       [.55, .14, .03, .02, .08, .01, .09, .08],
    "developer":    [.14, .36, .15, .16, .08, .02, .04, .05],
    "researcher":   [.10, .15, .05, .05, .30, .22, .08, .05],
    "student":      [.30, .40, .03, .04, .15, .02, .03, .03],
    "enterprise":   [.25, .30, .12, .12, .08, .01, .06, .06],
    "eval":         [.05, .20, .05, .10, .30, .25, .04, .01],
    "hack":         [.10, .35, .15, .30, .04, .01, .04, .01],
    "distill_cot":  [.04, .12, .04, .08, .26, .40, .04, .02],
    "distill_agent": [.03, .30, .15, .32, .08, .10, .01, .01],
    "distill_vision": [.03, .04, .02, .02, .10, .17, .60, .02],
    "distill_mix":  [.05, .22, .08, .15, .20, .25, .03, .02],
    "shop":         [.30, .30, .05, .10, .10, .08, .05, .02],
    "cardtest":     [.80, .05, .00, .00, .05, .00, .05, .05],
}

COUNTRIES = [("US", .26, -6), ("IN", .10, 5.5), ("GB", .06, 0), ("DE", .05, 1),
             ("FR", .04, 1), ("BR", .05, -3), ("JP", .04, 9), ("KR", .03, 9),
             ("CA", .03, -5), ("AU", .02, 10), ("NL", .02, 1), ("ES", .02, 1),
             ("IT", .02, 1), ("PL", .02, 1), ("MX", .02, -6), ("ID", .03, 7),
             ("NG", .02, 1), ("TR", .02, 3), ("VN", .02, 7), ("SG", .01, 8),
             ("PH", .02, 8), ("EG", .01, 2), ("AR", .01, -3), ("SE", .01, 1),
             ("CH", .01, 1), ("AE", .01, 4), ("HK", .01, 8), ("TW", .01, 8)]
CC = [c[0] for c in COUNTRIES]
CCW = np.array([c[1] for c in COUNTRIES])
CCW = CCW / CCW.sum()
CCW_C = np.cumsum(CCW).tolist()
TZ = {c[0]: c[2] for c in COUNTRIES}

FIRST = ("Ada Aiden Akira Alba Alma Amir Ana Anika Ari Arjun Asha Aurel Bea Bram "
         "Cai Cara Cleo Dara Dev Dilan Eda Elio Emre Esme Ezra Farah Felix Gia "
         "Hana Hugo Ida Ilya Imani Iris Ivo Jae Jana Joon Juno Kai Kaia Kavi Kenji "
         "Kira Lars Lea Leon Lina Luca Lumi Maya Mei Milo Mira Nadia Naveen Nia "
         "Nico Nils Noa Noor Omar Orin Otto Pia Priya Quinn Rafe Ravi Remy Rhea "
         "Rio Rosa Sami Sana Selin Sora Suri Tala Taro Tess Theo Uma Vera Wren "
         "Yara Yuki Zara Zeno Zoe Bodhi Chioma Dana Emeka Fen Goran Hale Ines "
         "Jovan Keira Lio Marit Nesrin Ode Per Rumi Saoirse Tomas Ulla Vito").split()
SUR_PRE = ("Ash Birch Cold Dun Elm Fern Glen Hollow Iron Jun Kest Lark Marsh North "
           "Oak Pine Quill Rook Stone Thorn Umber Vale Wick Yarrow Brack Clay Dale "
           "Frost Gray Hart Ivy Moss Pell Red Sand Tarn West Wolf Brook Crane Alder "
           "Bram Cinder Drey Ember Fallow Gorse Heath").split()
SUR_SUF = ("by field ford wood well more ridge ley ton worth hurst combe dale brook "
           "croft hill mere stead wick shaw holt lock vane").split()
WORDS = ("amber atlas bright cobalt delta ember falcon glacier harbor indigo juniper "
         "kestrel lumen maple nimbus onyx pixel quartz raven sable tundra umbra "
         "vector willow xenon yonder zephyr basil cedar drift echo fable gleam "
         "hollow iris jade koi lotus mosaic nova orbit prism quill ripple sprout").split()

WEBMAIL = ["mailnest.example", "postvault.example", "quickpost.example", "inboxly.example",
           "letterbox.example", "corvomail.example", "skymail.example", "fastinbox.example",
           "pigeonpost.example", "ourmail.example"]
WEBMAIL_W = np.array([30, 20, 12, 10, 8, 6, 5, 4, 3, 2], float)
WEBMAIL_W /= WEBMAIL_W.sum()
WEBMAIL_C = np.cumsum(WEBMAIL_W).tolist()
DISPOSABLE = ["tempdrop.example", "burnbox.example", "ten-minute-inbox.example", "nullpost.example"]

LAB_NAMES = ["Halvard Cognition", "Pelagic Intelligence", "Sorrel Reasoning Lab",
             "Kestrel Minds", "Obsidian Loom Labs", "Tamarind Compute", "Vireo Research",
             "Brightwater Models", "Corvane AI", "Lumenfold Systems"]
LAB_CC = ["SG", "KR", "AE", "IN", "HK", "TR", "BR", "DE", "TW", "GB"]
PROXY_NAMES = ["Hydra Relay Network", "Manifold Proxy Co", "Tessera Exit Systems", "Cerberus Mesh"]
CLOUD_NAMES = ["Nimbusforge Cloud", "Stratoline Hosting", "Cumulo Compute", "Basalt Datacenters"]
VPN_NAMES = ["Veilway VPN", "Shroudline Networks", "Tunnelbird VPN", "Quietroute"]
PAY_NAMES = ["Ledgerlane Payments", "Coinwell Processing"]
ENT_PRE = ("Copperleaf Bluefen Marrow Stonegate Tidewell Amberly Larchmont Riverstone "
           "Glasswing Ironbark Silverpine Harbourline Foxglove Brackwater Sunmoor "
           "Kingsreach Orchidale Redfern Meadowlark Quarrymoor Thistledown Wintermere "
           "Saltmarsh Goldcrest Ravensworth Oakhaven Brightforge Mistral Cobbleton").split()
ENT_IND = ("Logistics Insurance Health Analytics Retail Bank Energy Media Software Legal "
           "Pharma Robotics Telecom Foods Aerospace Consulting Games Travel").split()
ENT_SUF = ["Group", "Inc", "Ltd", "GmbH", "SA", "Holdings", "Partners", "Co"]
UNI_NAMES = ["University of Westmarch", "Eastvale Institute of Technology", "Northmere University",
             "Saint Alder College", "Riverbend Polytechnic", "Lakeshire University",
             "Highcombe Technical University", "Duncaster University"]
ISP_WORDS = ("Skeinet Ferrolink Kitewire Velanex Duskfiber Marlivo Tervonet Quellcom Ostrafon "
             "Lumavio Harrowtel Brisklane Pellanet Corvalink Nimtel Zephyrine Aldernet "
             "Rivulink Cantorel Mirevo Solvane Grivnet Palumet Tessalink Odessine "
             "Brevamo Castovia Fennelink Glimnet Hovarel Ixilink Jorvanet Kalmeno").split()
ISP_SUF = ["Broadband", "Telecom", "Fibre", "Net", "Communications", "Cable"]
FAKE_CO = ["Bluestone Analytics", "Northgate Data Services", "Pinecrest Consulting",
           "Arclight Solutions", "Vantage Point Research", "Summit Ridge Digital",
           "Clearwater Insights", "Eastbridge Labs", "Greyhaven Technologies"]
ROLES = [("research lead", "senior"), ("ML engineer", "mid"), ("data engineer", "mid"),
         ("infrastructure engineer", "mid"), ("research scientist", "senior"),
         ("operations manager", "mid"), ("procurement", "junior"), ("CTO", "executive"),
         ("intern", "junior"), ("evaluation engineer", "mid")]

DESKTOP_UA = ["Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/127.0 Safari/537.36",
              "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 Version/17.5 Safari/605.1.15",
              "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
              "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:129.0) Gecko/20100101 Firefox/129.0",
              "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/537.36 Chrome/128.0 Safari/537.36",
              "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/126.0 Safari/537.36",
              "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Edg/127.0"]
DESKTOP_UA_W = np.array([30, 18, 8, 8, 14, 6, 8], float)
DESKTOP_UA_W /= DESKTOP_UA_W.sum()
DESKTOP_UA_C = np.cumsum(DESKTOP_UA_W).tolist()
MOBILE_UA = ["Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148",
             "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/127.0 Mobile Safari/537.36",
             "Mozilla/5.0 (Linux; Android 13; SM-A546B) AppleWebKit/537.36 Chrome/126.0 Mobile Safari/537.36",
             "Mozilla/5.0 (iPhone; CPU iPhone OS 17_6 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148",
             "providerapp-ios/4.2.1", "providerapp-android/4.2.0"]
API_UA = ["sdk-python/2.6.1", "sdk-python/2.5.0", "sdk-python/2.4.3", "sdk-node/1.9.0", "sdk-node/1.8.2",
          "curl/8.7.1", "go-http-client/1.1", "python-httpx/0.27.2", "python-requests/2.32.3",
          "sdk-java/0.8.1"]
API_UA_W = np.array([22, 12, 6, 14, 6, 6, 5, 10, 14, 5], float)
API_UA_W /= API_UA_W.sum()
API_UA_C = np.cumsum(API_UA_W).tolist()
OSS_UA = ["openhive-agent/0.9.4", "openhive-agent/0.9.6", "openhive-agent/0.10.0"]
CONSOLE_UA = "console-web/2026.09"

PRIVATE_ASN = list(range(64512, 65535))


def ip4(x):
    return f"{(x >> 24) & 255}.{(x >> 16) & 255}.{(x >> 8) & 255}.{x & 255}"


class World:
    def __init__(self, n, seed):
        self.N = int(n)
        self.seed = int(seed)
        self.s = self.N / 20000.0
        self.rng = np.random.default_rng(self.seed)
        self.used = set()
        self.used16 = set()
        self.emails = set()
        self.asn_iter = iter(self.rng.permutation(PRIVATE_ASN).tolist())
        self.ipinfo = {}            # ip -> [asn, asn_org, cc, dc, vpn, tor, coverage]
        self.orgs = []
        self.people = []
        self.proxies = []
        self.cards = {}             # fp -> [bin, last4, cc, name, email, org]
        self.acards = []            # (acct, fp, first, last)
        self.idents = []            # (acct, kind, value, first, last)
        self.links = []             # (src, dst, kind, ts, amount, currency)
        self.events = []
        self.accts = []
        self.ncamp = 0
        self.campaigns = []         # dicts: id, type, org, person, accounts
        self.igroups = Counter()    # innocent sharing groups by type
        self.igroup_accts = Counter()
        self.innocent_cards = []
        self.org_by_id = {}
        self._buf = []
        self._bi = 0

    # ------------------------------------------------------------ random helpers
    def _r(self):
        """Next uniform [0,1) from a buffer (much faster than scalar draws)."""
        if self._bi >= len(self._buf):
            self._buf = self.rng.random(1 << 16).tolist()
            self._bi = 0
        v = self._buf[self._bi]
        self._bi += 1
        return v

    def u(self, a=0.0, b=1.0):
        if b <= a:
            return float(a)
        return a + (b - a) * self._r()

    def ri(self, a, b):
        return a + min(int(self._r() * (b - a + 1)), b - a)

    def p(self, prob):
        return self._r() < prob

    def ch(self, seq):
        return seq[min(int(self._r() * len(seq)), len(seq) - 1)]

    def chw(self, seq, w):
        tot = float(sum(w))
        r = self._r() * tot
        acc = 0.0
        for x, ww in zip(seq, w):
            acc += ww
            if r < acc:
                return x
        return seq[-1]

    def wpick(self, seq, cum):
        """Weighted pick with a precomputed cumulative list ending at 1."""
        return seq[min(bisect.bisect_right(cum, self._r()), len(seq) - 1)]

    def sample(self, seq, k):
        n = len(seq)
        k = min(k, n)
        if k * 4 < n:
            got = {}
            while len(got) < k:
                got[min(int(self._r() * n), n - 1)] = True
            return [seq[i] for i in got]
        idx = self.rng.permutation(n)[:k]
        return [seq[int(i)] for i in idx]

    def hx(self, n):
        """n random hex digits, never with a run of 7+ decimal digits (so no
        token can ever look like part of a card number or a numeric id)."""
        while True:
            out = []
            m = n
            while m > 0:
                k = min(m, 12)
                out.append(format(int(self._r() * 16 ** k), f"0{k}x"))
                m -= k
            v = "".join(out)
            if not DIGIT_RUN.search(v):
                return v

    def tok(self, prefix, n=12):
        while True:
            v = prefix + self.hx(n)
            if v not in self.used:
                self.used.add(v)
                return v

    def clampt(self, t):
        """Keep a sign-up time inside the export without piling rows on the edge."""
        if t > LOG_END - HOUR:
            return LOG_END - self.u(HOUR, 20 * DAY)
        if t < ACC_START:
            return ACC_START + self.u(0, 30 * DAY)
        return t

    def lognorm(self, median, sigma):
        return float(median * math.exp(self.rng.normal(0, sigma)))

    def scaled(self, lo, hi, minimum=2):
        return max(minimum, int(round(self.u(lo, hi) * self.s)))

    # ------------------------------------------------------------ names, emails
    def surname(self):
        return self.ch(SUR_PRE) + self.ch(SUR_SUF)

    def name(self):
        return self.ch(FIRST), self.surname()

    def email(self, first, last, domain, style=None):
        f, l = first.lower(), last.lower()
        if style is None:
            style = self.chw(["dot", "digits", "handle", "initial", "random"], [35, 25, 20, 15, 5])
        for attempt in range(50):
            if style == "dot":
                loc = f"{f}.{l}"
            elif style == "digits":
                loc = f"{f}{l}{self.ri(1, 99)}" if self.p(.5) else f"{f}{l}{self.ri(1965, 2008)}"
            elif style == "handle":
                loc = f"{self.ch(WORDS)}{self.ch(WORDS)}{self.ri(0, 999) if self.p(.6) else ''}"
            elif style == "initial":
                loc = f"{f[0]}{l}" if self.p(.6) else f"{f}.{l[0]}"
            elif style == "first":
                loc = f
            elif style == "seq":
                loc = f"{f}{l[:3]}{self.ri(100, 9999)}"
            else:
                loc = self.hx(self.ri(6, 10))
                if loc.isdigit():
                    loc = "x" + loc
            if attempt > 0 and style in ("dot", "initial", "first"):
                loc += str(self.ri(1, 999))
            e = f"{loc}@{domain}"
            if e not in self.emails:
                self.emails.add(e)
                return e
        e = f"{f}.{self.hx(6)}@{domain}"
        self.emails.add(e)
        return e

    def webmail(self):
        if self.p(.015):
            return self.ch(DISPOSABLE)
        return self.wpick(WEBMAIL, WEBMAIL_C)

    def country(self):
        return self.wpick(CC, CCW_C)

    # ------------------------------------------------------------ address space
    def alloc16(self):
        while True:
            a = self.ri(11, 223)
            if a in (10, 100, 127, 169, 172, 192, 198, 203):
                continue
            b = self.ri(0, 255)
            if (a, b) not in self.used16:
                self.used16.add((a, b))
                return (a << 24) | (b << 16)

    def reg(self, ip, asn, org, cc, dc=False, vpn=False, tor=False, cov=0.95):
        if ip not in self.ipinfo:
            self.ipinfo[ip] = [asn, org, cc, dc, vpn, tor, cov]
        return ip

    def asn(self):
        return next(self.asn_iter)

    def add_org(self, name, kind, cc, domains=(), asns=(), netblocks=(), prefix="org"):
        slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
        oid = f"{prefix}-{slug}"
        if oid in self.org_by_id:
            oid = f"{oid}-{self.hx(4)}"
        row = dict(org_id=oid, name=name, kind=kind, country=cc, domains=";".join(domains),
                   asns=";".join(str(a) for a in asns), netblocks=";".join(netblocks))
        self.orgs.append(row)
        self.org_by_id[oid] = row
        return oid

    def add_person(self, name, org, role, seniority, emails, devices, ips):
        pid = self.tok("person-", 8)
        self.people.append(dict(person_id=pid, name=name, org_id=org, role=role, seniority=seniority,
                                emails=";".join(emails), device_ids=";".join(devices), ips=";".join(ips)))
        return pid

    # ------------------------------------------------------------ infrastructure
    def setup_time(self):
        r1 = math.floor((LOG_START + self.u(25, 38) * DAY) / DAY) * DAY + self.ri(15, 18) * HOUR
        r2 = math.floor((r1 + self.u(38, 50) * DAY) / DAY) * DAY + self.ri(15, 18) * HOUR
        self.r1, self.r2 = r1, r2
        r0 = T(2025, 11, 18, 17)
        ev = [("meridian-2", r0, "meridian-2 generally available"),
              ("meridian-2-mini", r0 + 2 * HOUR, "meridian-2-mini generally available"),
              ("meridian-3", r1, "meridian-3 generally available"),
              ("meridian-3-mini", r1 + 1 * HOUR, "meridian-3-mini generally available"),
              ("meridian-3.5", r2, "meridian-3.5 generally available (improved vision and reasoning)")]
        for m, t, d in ev:
            self.events.append(dict(event_id=f"ev-release-{m}", ts=t, kind="model_release", model=m, description=d))
        self.events.append(dict(event_id="ev-pricing-2026-07", ts=T(2026, 7, 1), kind="pricing_change", model="",
                                description="output token price for meridian-2 reduced by 30%"))
        to = LOG_START + self.u(5, 90) * DAY
        self.events.append(dict(event_id="ev-outage-1", ts=to, kind="outage", model="",
                                description="partial API outage, 47 minutes"))
        self.events.append(dict(event_id="ev-policy-2026-08", ts=T(2026, 8, 20), kind="policy_update", model="",
                                description="usage policy update: model output may not be used to train competing models"))

    def setup_infra(self):
        rng = self.rng
        # ISPs per country
        self.isps = {}
        words = list(rng.permutation(ISP_WORDS))
        wi = 0
        for cc, w, _ in COUNTRIES:
            n_isp = 3 if w >= .04 else 2
            lst = []
            for k in range(n_isp):
                nm = f"{words[wi % len(words)]} {self.ch(ISP_SUF)}"
                if wi >= len(words):
                    nm += f" {cc}"
                wi += 1
                a = self.asn()
                blocks = [self.alloc16() for _ in range(2)]
                v6 = None
                if self.p(.35):
                    v6 = (0x2a00 + self.ri(1, 15), self.ri(0x1000, 0xfffe))
                cg = None
                if cc in ("IN", "ID", "NG", "BR", "PH", "VN", "TR", "EG") and self.p(.5):
                    base = blocks[0] + (self.ri(0, 200) << 8)
                    cg = [self.reg(ip4(base + i), a, nm, cc, cov=.8) for i in
                          self.sample(list(range(1, 1020)), max(60, int(400 * math.sqrt(self.s))))]
                lst.append(dict(name=nm, asn=a, blocks=blocks, v6=v6, cgnat=cg, cc=cc,
                                w=[.5, .3, .2][k] if n_isp == 3 else [.6, .4][k]))
                self.add_org(nm, "other", cc, asns=[a],
                             netblocks=[f"{ip4(b)}/16" for b in blocks], prefix="org-isp")
            self.isps[cc] = lst
        # mobile carriers (carrier-grade NAT pools of public IPs)
        self.carriers = {}
        for cc, w, _ in COUNTRIES:
            if w < .015:
                continue
            nm = f"{words[wi % len(words)]} Mobile"
            wi += 1
            a = self.asn()
            b = self.alloc16()
            n_pool = max(40, int(self.u(120, 400) * math.sqrt(self.s)))
            pool = [self.reg(ip4(b + (self.ri(0, 3) << 8) + self.ri(1, 254)), a, nm, cc, cov=.85)
                    for _ in range(n_pool)]
            pool = list(dict.fromkeys(pool))
            self.carriers[cc] = dict(name=nm, asn=a, pool=pool)
            self.add_org(nm, "other", cc, asns=[a], netblocks=[f"{ip4(b)}/16"], prefix="org-isp")
        # public Wi-Fi venues (cafes, airports, libraries, coworking)
        self.venues = []
        for _ in range(max(12, int(70 * self.s))):
            cc = self.country()
            ips = [self.biz_ip(cc) for _ in range(self.ri(1, 2))]
            self.venues.append(dict(cc=cc, ips=ips))
        # clouds
        self.clouds = []
        for nm in self.sample(CLOUD_NAMES, 3):
            a = self.asn()
            blocks = [self.alloc16() for _ in range(2)]
            oid = self.add_org(nm, "cloud_provider", self.ch(["US", "DE", "SG", "NL"]),
                               domains=[re.sub(r"[^a-z]", "", nm.lower()) + ".example"], asns=[a],
                               netblocks=[f"{ip4(b)}/16" for b in blocks])
            self.clouds.append(dict(name=nm, asn=a, blocks=blocks, org=oid))
        self.serverless = [self.cloud_ip(0) for _ in range(max(10, int(30 * math.sqrt(self.s))))]
        self.relay = [self.cloud_ip(1 if len(self.clouds) > 1 else 0) for _ in range(max(30, int(150 * math.sqrt(self.s))))]
        # commercial VPNs
        self.vpns = []
        for nm in self.sample(VPN_NAMES, 3):
            a = self.asn()
            b = self.alloc16()
            exits = []
            for _ in range(max(10, int(self.u(25, 70) * math.sqrt(self.s)))):
                ip = ip4(b + (self.ri(0, 40) << 8) + self.ri(2, 250))
                self.reg(ip, a, nm, self.chw(["US", "NL", "DE", "GB", "SG", "JP", "CH", "SE", "CA"],
                                             [30, 12, 12, 10, 6, 6, 8, 8, 8]),
                         dc=True, vpn=self.p(.9))
                exits.append(ip)
            exits = list(dict.fromkeys(exits))
            self.vpns.append(dict(name=nm, exits=exits))
            self.add_org(nm, "other", self.ch(["PA", "CH", "SE", "VG"]),
                         domains=[re.sub(r"[^a-z]", "", nm.lower()) + ".example"], asns=[a],
                         netblocks=[f"{ip4(b)}/16"])
        # Tor exits
        b = self.alloc16()
        ta = self.asn()
        self.tor = [self.reg(ip4(b + (self.ri(0, 255) << 8) + self.ri(1, 254)), ta, "Assorted Hosting",
                             self.ch(["DE", "NL", "US", "SE"]), dc=True, tor=self.p(.97)) for _ in range(20)]
        # payment processors
        for nm in PAY_NAMES:
            self.add_org(nm, "payment_processor", self.ch(["US", "GB", "NL"]),
                         domains=[re.sub(r"[^a-z]", "", nm.lower()) + ".example"])
        # BINs per issuer country, and a popular fintech virtual-card BIN range
        self.bins = {cc: [f"{self.ch([4, 5])}{self.ri(0, 99999):05d}" for _ in range(self.ri(3, 6))] for cc in CC}
        for cc in ("PA", "VG", "CH"):
            self.bins[cc] = [f"{self.ch([4, 5])}{self.ri(0, 99999):05d}" for _ in range(3)]
        self.virtual_bins = [f"{self.ch([4, 5])}{self.ri(0, 9999999):07d}" for _ in range(3)]
        # fingerprint pools: browser configurations (Zipf), TLS client hellos
        self.bfp_pool = [self.tok("bfp_", 16) for _ in range(max(600, int(4000 * self.s)))]
        zw = 1.0 / np.arange(1, len(self.bfp_pool) + 1) ** 1.05
        self.bfp_c = np.cumsum(zw / zw.sum()).tolist()
        self.tls_pool = [self.tok("ja3_", 32) for _ in range(40)]
        tw = 1.0 / np.arange(1, 41) ** 1.3
        self.tls_c = np.cumsum(tw / tw.sum()).tolist()
        # popular shared prompt templates: open-source agent framework defaults,
        # IDE plug-in, a gallery of community system prompts
        self.tpl_oss = [self.tok("pf-", 12) for _ in range(3)]
        self.tpl_ide = [self.tok("pf-", 12) for _ in range(2)]
        self.tpl_gallery = [self.tok("pf-", 12) for _ in range(300)]
        gw = 1.0 / np.arange(1, 301) ** 1.1
        self.tpl_gallery_c = np.cumsum(gw / gw.sum()).tolist()
        # influencer / creator referral codes (used by many unrelated people)
        self.influencer_codes = []
        self.proxy_services = []

    def biz_ip(self, cc):
        isp = self.ch(self.isps[cc])
        x = self.ch(isp["blocks"]) + (self.ri(200, 255) << 8) + self.ri(1, 254)
        return self.reg(ip4(x), isp["asn"], isp["name"], cc)

    def cloud_ip(self, k=None, cc=None):
        cl = self.clouds[k if k is not None else self.ri(0, len(self.clouds) - 1)]
        x = self.ch(cl["blocks"]) + (self.ri(0, 255) << 8) + self.ri(1, 254)
        return self.reg(ip4(x), cl["asn"], cl["name"], cc or self.ch(["US", "DE", "SG", "NL", "GB", "JP"]), dc=True, cov=.99)

    def home_ip(self, cc, allow_proxy_peer=True):
        """A residential address.  A small share of home connections are also
        exit nodes of residential proxy networks (bandwidth-sharing apps)."""
        if allow_proxy_peer and self.proxy_services and self.p(.012):
            svc = self.ch(self.proxy_services)
            cands = svc["res_by_cc"].get(cc)
            if cands:
                return self.ch(cands)
        isps = self.isps[cc]
        isp = self.chw(isps, [i["w"] for i in isps])
        if isp["cgnat"] is not None:
            return self.ch(isp["cgnat"])
        x = self.ch(isp["blocks"]) + (self.ri(0, 199) << 8) + self.ri(1, 254)
        return self.reg(ip4(x), isp["asn"], isp["name"], cc, cov=.85)

    def home_v6(self, cc):
        """Return a function giving addresses in one household /64, or None."""
        cands = [i for i in self.isps[cc] if i["v6"]]
        if not cands:
            return None
        isp = self.ch(cands)
        p0, p1 = isp["v6"]
        p2, p3 = self.ri(0, 0xffff), self.ri(0, 0xffff)

        def addr():
            ip = f"{p0:x}:{p1:x}:{p2:x}:{p3:x}:{self.ri(1, 0xffff):x}:{self.ri(0, 0xffff):x}:{self.ri(0, 0xffff):x}:{self.ri(1, 0xffff):x}"
            return self.reg(ip, isp["asn"], isp["name"], cc, cov=.7)
        return addr

    def home_ips(self, cc):
        """1-3 addresses a home connection had during the log (dynamic IPs)."""
        if self.p(.12):
            f = self.home_v6(cc)
            if f:
                return [f() for _ in range(self.ri(1, 3))] + ([self.home_ip(cc)] if self.p(.6) else [])
        return [self.home_ip(cc) for _ in range(self.chw([1, 2, 3], [.55, .3, .15]))]

    def mobile_ips(self, cc, k=None):
        car = self.carriers.get(cc)
        if car is None:
            car = self.carriers[self.ch(sorted(self.carriers))]
        return self.sample(car["pool"], k or self.ri(2, 10))

    def setup_proxies(self):
        """Commercial proxy services ("hydra clusters"): rotating pools of
        datacenter, residential and mobile exits."""
        specs = [("hydra", 1800, 600, 80), ("manifold", 700, 350, 30), ("tessera", 500, 250, 20)]
        names = [PROXY_NAMES[0]] + self.sample(PROXY_NAMES[1:], 2)
        for (key, nres, ndc, nmob), nm in zip(specs, names):
            a = self.asn()
            b = self.alloc16()
            oid = self.add_org(nm, "proxy_service", self.ch(["CY", "SC", "LT", "US", "HK"]),
                               domains=[re.sub(r"[^a-z]", "", nm.lower()) + ".example"], asns=[a],
                               netblocks=[f"{ip4(b)}/16"])
            svc = dict(key=key, name=nm, org=oid, res=[], dc=[], mob=[], res_by_cc=defaultdict(list))
            for _ in range(max(60, int(nres * self.s))):
                cc = self.country()
                ip = self.home_ip(cc, allow_proxy_peer=False)
                svc["res"].append(ip)
                svc["res_by_cc"][cc].append(ip)
            for _ in range(max(30, int(ndc * self.s))):
                if self.p(.55):
                    ip = self.reg(ip4(b + (self.ri(0, 60) << 8) + self.ri(1, 254)), a, nm,
                                  self.chw(["US", "DE", "NL", "GB", "SG", "JP", "FR", "CA"], [30, 15, 12, 10, 5, 6, 8, 8]),
                                  dc=True, cov=.97)
                else:
                    ip = self.cloud_ip()
                svc["dc"].append(ip)
            for _ in range(max(8, int(nmob * self.s))):
                cc = self.ch(sorted(self.carriers))
                svc["mob"].append(self.ch(self.carriers[cc]["pool"]))
            svc["res"] = list(dict.fromkeys(svc["res"]))
            svc["dc"] = list(dict.fromkeys(svc["dc"]))
            svc["mob"] = list(dict.fromkeys(svc["mob"]))
            cover = self.u(.7, .9)   # the proxy feed only knows part of the exits
            first = LOG_START - self.u(60, 300) * DAY
            for typ, lst in (("residential", svc["res"]), ("datacenter", svc["dc"]), ("mobile", svc["mob"])):
                for ip in lst:
                    if self.p(cover):
                        f = first + self.u(0, 200) * DAY
                        l = min(LOG_END, f + self.u(20, 400) * DAY)
                        self.proxies.append(dict(proxy_id=self.tok(f"px-{key}-", 8), ip=ip, service_org_id=oid,
                                                 proxy_type=typ, first_seen=f, last_seen=max(l, LOG_START + DAY)))
            self.proxy_services.append(svc)
        self.psvc = {s["key"]: s for s in self.proxy_services}

    # ------------------------------------------------------------ accounts
    def acct(self, created, cc, grp):
        a = dict(created=float(created), cc=cc, email="", plan="free", status="active", verified=False,
                 signup_ip="", claimed="", owner="", fraud=False, camp="", org="", person="", grp=grp,
                 lctx=[], rctx=[], n_login=None, n_req=0, cats=None, tpl=[], tplw=[], empty_fp=.2,
                 win=None, bursts=[], d1=INF, d2=INF, mini=.15, tin=1.0, tout=1.0,
                 uas=[], uaw=[], console=.1, keys=None, tz=TZ.get(cc, 0), human=True,
                 end=LOG_END, id=None, key_ips=None, n_keys=None)
        self.accts.append(a)
        return a

    def lctx(self, a, devs, ips, w, ua=None, t0=-INF, t1=INF):
        if isinstance(devs, str) and devs != "FRESH":
            devs = [devs]
        a["lctx"].append((devs, np.array(list(ips), dtype=object), float(w), ua, t0, t1))

    def rctx(self, a, ips, w, t0=-INF, t1=INF):
        a["rctx"].append((np.array(list(ips), dtype=object), float(w), t0, t1))

    def ident(self, a, kind, value, first=None, last=None):
        f = a["created"] if first is None else first
        l = (a["end"] - self.u(0, 20) * DAY) if last is None else last
        l = max(l, f)
        self.idents.append((a, kind, value, f, min(l, LOG_END)))

    def link(self, src, dst, kind, ts, amount=None, currency=None):
        self.links.append((src, dst, kind, ts, amount, currency))

    def card(self, cc, name, email="", org="", bin_=None):
        fp = self.tok("cfp_", 20)
        b = bin_ or self.ch(self.bins.get(cc) or self.bins["US"])
        if self.p(.15) and len(b) == 6:
            b = b + f"{self.ri(0, 99):02d}"
        self.cards[fp] = [b, f"{self.ri(0, 9999):04d}", cc, name, email, org]
        return fp

    def use_card(self, a, fp, first=None, last=None):
        f = a["created"] + self.u(0, 30) * DAY if first is None else first
        f = min(max(f, a["created"]), a["end"])
        l = a["end"] - self.u(0, 10) * DAY if last is None else last
        self.acards.append((a, fp, f, max(f, min(l, LOG_END))))

    def billing_name(self, first, last):
        r = self.rng.random()
        if r < .6:
            return f"{first} {last}"
        if r < .85:
            return f"{first} {last}".upper()
        return f"{first[0]}. {last}"

    def dirichlet(self, prof, conc=25.0):
        base = np.asarray(PROFILES[prof], float) + 1e-3
        return self.rng.dirichlet(base * conc)

    def adopt_delay(self, rush):
        r = self.rng.random()
        if r < rush:
            return float(self.rng.exponential(6 * HOUR))
        if r < rush + .45:
            return self.lognorm(6 * DAY, 1.0)
        return INF

    def set_activity(self, a, profile, p_active=None, heavy=False):
        """Ordinary user activity in the request log."""
        rng = self.rng
        c = a["created"]
        if p_active is None:
            p_active = .88 if c >= LOG_START else (.7 if c >= LOG_START - 120 * DAY else .5)
        a["cats"] = self.dirichlet(profile)
        if not self.p(p_active):
            a["n_req"] = 0
            return
        s = max(c, LOG_START)
        e = a["end"]
        if self.p(.12):
            e = min(e, s + self.u(3, 80) * DAY)
        a["win"] = (s, max(e, s + HOUR))
        med = {"casual": 7, "developer": 24, "researcher": 30, "student": 10, "enterprise": 18,
               "eval": 120, "hack": 14}.get(profile, 10)
        if heavy:
            med = 160
        a["n_req"] = int(min(900, max(1, self.lognorm(med, .6 if heavy else 1.0))))
        rush = self.rush
        a["d1"] = self.adopt_delay(rush)
        a["d2"] = self.adopt_delay(.6 if a["d1"] < DAY else rush * .7)
        for r, d in ((self.r1, a["d1"]), (self.r2, a["d2"])):
            if d < DAY and a["win"][0] < r + d < a["win"][1]:
                a["bursts"].append((r + d, 2 * DAY, .25))
        a["mini"] = {"casual": .3, "student": .3}.get(profile, .15)
        if heavy:
            a["mini"] = .35
        a["tin"] = self.lognorm(1.0, .3)
        a["tout"] = self.lognorm(1.0, .3)
        a["console"] = {"casual": .35, "student": .3, "hack": .1}.get(profile, .06)

    def personal_templates(self, a, k=None):
        k = k or self.ri(1, 6)
        own = [self.tok("pf-", 12) for _ in range(k)]
        w = list(self.rng.dirichlet(np.ones(k)) * self.u(.5, .9))
        return own, w

    def innocent_user(self, a, profile="casual", home=None, laptop=None, phone_dev=None,
                      verified=None, card=True, tpl_extra=None, heavy=False, p_active=None,
                      home_w=.6, key_ips=None):
        """Generic ordinary person: home connection(s), laptop and/or phone,
        maybe mobile data, public Wi-Fi, a commercial VPN, cloud servers."""
        cc = a["cc"]
        rng = self.rng
        home = home if home is not None else self.home_ips(cc)
        if laptop is None and self.p(.85):
            laptop = self.tok("dev-", 12)
        if phone_dev is None and (laptop is None or self.p(.6)):
            phone_dev = self.tok("dev-", 12)
        dua = self.wpick(DESKTOP_UA, DESKTOP_UA_C)
        mua = self.ch(MOBILE_UA)
        if laptop:
            self.lctx(a, laptop, home, home_w, dua)
        mob = self.p(.35)
        if phone_dev:
            if self.p(.12):     # the phone's built-in private relay: shared cloud egress
                self.lctx(a, phone_dev, self.sample(self.relay, self.ri(2, 8)), .25, mua)
            else:
                self.lctx(a, phone_dev, self.mobile_ips(cc) if mob else home, .25, mua)
        dev_any = laptop or phone_dev
        if profile in ("developer", "researcher", "eval", "hack") and self.p(.1):
            # cloud workstation / remote dev box
            self.lctx(a, self.tok("dev-", 12), [self.cloud_ip() for _ in range(self.ri(1, 2))], self.u(.2, 1), DESKTOP_UA[5])
        vpn = self.p(.11)
        if vpn:
            v = self.ch(self.vpns)
            self.lctx(a, dev_any, self.sample(v["exits"], self.ri(2, 12)), self.u(.2, 1.5), dua if laptop else mua)
        if self.p(.10):
            ven = self.ch(self.venues)
            self.lctx(a, dev_any, ven["ips"], .1, dua if laptop else mua)
        if self.p(.003):
            self.lctx(a, dev_any, self.sample(self.tor, 3), .5, dua)
        # where API requests come from
        self.rctx(a, home, 1.0)
        if profile in ("developer", "researcher", "eval") or heavy:
            if self.p(.35):
                self.rctx(a, [self.cloud_ip() for _ in range(self.ri(1, 3))], self.u(.5, 3))
                a["human"] = self.p(.5)
            if self.p(.08):
                self.rctx(a, self.sample(self.serverless, self.ri(3, 12)), self.u(.3, 2))
                a["human"] = False
        if mob and phone_dev:
            self.rctx(a, self.mobile_ips(cc, 3), .15)
        if vpn:
            v = self.ch(self.vpns)
            self.rctx(a, self.sample(v["exits"], self.ri(2, 8)), self.u(.2, 1.5))
        if self.p(.004):   # scrapers / privacy-minded users of a proxy network
            svc = self.ch(self.proxy_services)
            self.rctx(a, self.sample(svc["res"] + svc["dc"], self.ri(5, 40)), self.u(.5, 2))
        if not a["signup_ip"]:
            # sign-up happens from wherever the person was: home, VPN, phone, cafe
            c = self.chw(a["lctx"], [x[2] for x in a["lctx"]]) if a["lctx"] else None
            a["signup_ip"] = self.ch(list(c[1])) if c is not None and self.p(.6) else self.ch(home)
        self.set_activity(a, profile, p_active=p_active, heavy=heavy)
        # templates
        own, w = self.personal_templates(a)
        tpl, tw = own, w
        if self.p(.4):
            g = [self.wpick(self.tpl_gallery, self.tpl_gallery_c) for _ in range(self.ri(1, 3))]
            tpl = tpl + g
            tw = tw + [self.u(.05, .3) for _ in g]
        if profile in ("developer", "hack", "enterprise", "student", "researcher") and self.p(.3) or self.p(.08):
            o = self.ch(self.tpl_oss)
            tpl = tpl + [o]
            tw = tw + [self.u(.3, 1.5)]
        if profile in ("developer", "enterprise") and self.p(.25):
            tpl = tpl + [self.ch(self.tpl_ide)]
            tw = tw + [self.u(.1, .6)]
        if tpl_extra:
            for t, ww in tpl_extra:
                tpl.append(t)
                tw.append(ww)
        a["tpl"], a["tplw"] = tpl, tw
        a["empty_fp"] = self.u(.1, .35)
        a["uas"] = [self.wpick(API_UA, API_UA_C)] + ([self.ch(API_UA)] if self.p(.3) else [])
        a["uaw"] = [1.0] + ([.3] if len(a["uas"]) > 1 else [])
        # identity and payment
        if verified is None:
            verified = self.p(.68)
        a["verified"] = verified
        self.ident(a, "email", a["email"])
        for d in (laptop, phone_dev):
            if d and self.p(.8):
                b = self.wpick(self.bfp_pool, self.bfp_c)
                self.ident(a, "browser_fingerprint", b)
        t = self.wpick(self.tls_pool, self.tls_c)
        self.ident(a, "tls_fingerprint", t)
        if key_ips is not None:
            a["key_ips"] = key_ips
        return home, laptop, phone_dev

    def innocent_phone(self, a, value=None):
        v = value or self.tok("ph_", 16)
        self.ident(a, "phone", v)
        return v

    def own_card(self, a, first, last, cc=None):
        bn = self.ch(self.virtual_bins) if self.p(.06) else None
        fp = self.card(cc or a["cc"], self.billing_name(first, last), bin_=bn)
        self.use_card(a, fp)
        self.innocent_cards.append(fp)
        return fp

    def innocent_plan(self, a, weights=(45, 27, 5, 3, 20)):
        a["plan"] = self.chw(["free", "pro", "team", "enterprise", "api"], weights)
        r = self.rng.random()
        if r < .025:
            a["status"] = "closed"
            a["end"] = self.u(max(a["created"], LOG_START - 60 * DAY) + DAY, LOG_END)
        elif r < .042:
            a["status"] = "suspended"        # failed payments, unpaid invoices, automated false positives
        elif r < .052:
            a["status"] = "banned"
            a["end"] = self.u(max(a["created"], LOG_START) + DAY, LOG_END)
        return a["plan"] in ("pro", "team", "enterprise", "api")

    def created_solo(self):
        """Sign-up times grow with the platform; spikes around releases."""
        r = self.rng.random()
        if r < .03:
            return self.r1 + self.rng.exponential(.8 * DAY)
        if r < .05:
            return self.r2 + self.rng.exponential(.8 * DAY)
        span = LOG_END - 3 * HOUR - ACC_START
        return ACC_START + span * self.rng.random() ** (1 / 1.8)

    def solo(self, cc=None, created=None, profile=None, grp="solo"):
        cc = cc or self.country()
        a = self.acct(created if created is not None else self.created_solo(), cc, grp)
        first, last = self.name()
        if self.p(.03):      # personal vanity domain
            dom = f"{last.lower()}{self.ch(['', 'family', 'home', self.hx(2)])}.example"
        else:
            dom = self.webmail()
        a["email"] = self.email(first, last, dom)
        paid = self.innocent_plan(a)
        if profile is None:
            profile = self.chw(["casual", "developer", "researcher"], [54, 40, 6])
        heavy = self.p(.02)
        self.innocent_user(a, profile, heavy=heavy)
        if a["verified"]:
            self.innocent_phone(a)
        if paid:
            self.own_card(a, first, last)
            if self.p(.1):
                self.own_card(a, first, last)
        if paid and self.p(.25):
            self.ident(a, "postal_address", self.tok("addr_", 16))
        if self.p(.12):
            a["claimed"] = self.ch(["", "self-employed", "freelance", "n/a", "student", "personal"]) if self.p(.4) else \
                f"{self.ch(ENT_PRE)} {self.ch(ENT_IND)}"
        a["_name"] = (first, last)
        return a

    # ------------------------------------------------------------ innocent groups
    def households(self, n):
        for _ in range(n):
            k = self.chw([2, 3, 4], [.55, .3, .15])
            cc = self.country()
            last = self.surname()
            addr = self.tok("addr_", 16)
            home = self.home_ips(cc)
            fam_dev = self.tok("dev-", 12) if self.p(.4) else None
            card_owner = None
            share_card = self.p(.55)
            share_phone = self.p(.15)
            phone = self.tok("ph_", 16)
            share_bank = self.p(.05)
            bank = self.tok("bank_", 16)
            times = sorted(self.created_solo() for _ in range(k))
            members = []
            for i, t in enumerate(times):
                first = self.ch(FIRST)
                a = self.acct(t, cc, "household")
                dom = self.webmail()
                a["email"] = self.email(first, last if self.p(.8) else self.surname(), dom)
                paid = self.innocent_plan(a, (45, 35, 3, 0, 17))
                self.innocent_user(a, self.chw(["casual", "developer", "student"], [6, 3, 2]),
                                   home=list(home) if self.p(.95) else self.home_ips(cc))
                if fam_dev:
                    self.lctx(a, fam_dev, home, .3, self.ch(DESKTOP_UA))
                if self.p(.9):
                    self.ident(a, "postal_address", addr)
                if share_phone and (i == 0 or a["verified"]):
                    a["verified"] = True
                    self.ident(a, "phone", phone)
                elif a["verified"]:
                    self.innocent_phone(a)
                if paid or (share_card and i > 0):
                    if share_card:
                        if card_owner is None:
                            card_owner = self.card(cc, self.billing_name(first, last))
                            self.innocent_cards.append(card_owner)
                        self.use_card(a, card_owner)
                        if a["plan"] == "free":
                            a["plan"] = "pro"
                    else:
                        self.own_card(a, first, last)
                if share_bank:
                    self.ident(a, "bank_account", bank)
                if i > 0:
                    if self.p(.3):
                        self.link(members[0], a, "invite", a["created"])
                    if self.p(.25) and members[0]["verified"]:
                        self.ident(a, "email", members[0]["email"])      # parent as recovery email
                    if self.p(.15):
                        for _ in range(self.ri(1, 4)):
                            self.link(members[0], a, "transfer", self.u(a["created"], LOG_END),
                                      self.ch([5, 10, 20, 25, 50]), self.ch(["USD", "EUR", "GBP"]))
                members.append(a)
            self.igroups["household"] += 1
            self.igroup_accts["household"] += k

    def duals(self, n):
        """One person with a work and a personal account."""
        for _ in range(n):
            cc = self.country()
            first, last = self.name()
            home = self.home_ips(cc)
            laptop = self.tok("dev-", 12)
            t1 = self.created_solo()
            gap = self.u(20, 500) * DAY
            t2 = self.clampt(t1 - gap if t1 - gap > ACC_START else t1 + gap)
            work_dom = f"{self.ch(ENT_PRE).lower()}{self.ch(['', '-', ''])}{self.ch(ENT_IND).lower()}.example"
            share_card = self.p(.5)
            share_phone = self.p(.6) or not share_card
            phone = self.tok("ph_", 16)
            fp = None
            accs = []
            for j, t in enumerate((t1, t2)):
                a = self.acct(t, cc, "dual")
                a["email"] = self.email(first, last, work_dom if j == 0 else self.webmail(),
                                        style="dot" if j == 0 else None)
                paid = self.innocent_plan(a, (20, 40, 5, 5, 30) if j == 0 else (60, 30, 0, 0, 10))
                self.innocent_user(a, "developer" if j == 0 else "casual",
                                   home=home, laptop=laptop if self.p(.85) else None, verified=share_phone or None)
                if j == 0:
                    a["claimed"] = work_dom.split(".")[0].replace("-", " ").title() if self.p(.5) else ""
                if share_phone:
                    a["verified"] = True
                    self.ident(a, "phone", phone)
                elif a["verified"]:
                    self.innocent_phone(a)
                if share_card:
                    if fp is None:
                        fp = self.card(cc, self.billing_name(first, last))
                        self.innocent_cards.append(fp)
                    self.use_card(a, fp)
                    if a["plan"] == "free":
                        a["plan"] = "pro"
                elif paid:
                    self.own_card(a, first, last)
                accs.append(a)
            if self.p(.35):
                self.ident(accs[0], "email", accs[1]["email"])
            if self.p(.05):
                self.link(accs[0], accs[1], "transfer", self.u(max(t1, t2), LOG_END), self.ch([10, 20, 50]), "USD")
            self.igroups["dual_account"] += 1
            self.igroup_accts["dual_account"] += 2

    def enterprises(self, n, eval_vendors):
        for i in range(n + eval_vendors):
            is_eval = i >= n
            cc = self.country()
            if is_eval:
                name = f"{self.ch(ENT_PRE)} {self.ch(['Evals', 'Benchmarking', 'Model Assurance'])} {self.ch(ENT_SUF)}"
            else:
                name = f"{self.ch(ENT_PRE)} {self.ch(ENT_IND)} {self.ch(ENT_SUF)}"
            slug = re.sub(r"[^a-z]", "", name.split()[0].lower())
            doms = [f"{slug}.example"] + ([f"{slug}-{name.split()[1].lower()}.example"] if self.p(.4) else [])
            b = self.alloc16()
            nb = b + (self.ri(0, 250) << 8)
            blocks = [f"{ip4(nb)}/24"]
            egress = [ip4(nb + self.ri(1, 254)) for _ in range(self.ri(2, 6))]
            isp = self.ch(self.isps[cc])
            own_asn = self.asn() if self.p(.3) else None
            for ip in egress:
                self.reg(ip, own_asn or isp["asn"], name if own_asn else isp["name"], cc, cov=.9)
            if self.p(.3):       # second office abroad
                cc2 = self.country()
                nb2 = self.alloc16() + (self.ri(0, 250) << 8)
                blocks.append(f"{ip4(nb2)}/25")
                e2 = [ip4(nb2 + self.ri(1, 126)) for _ in range(self.ri(1, 3))]
                for ip in e2:
                    self.reg(ip, own_asn or self.ch(self.isps[cc2])["asn"], name, cc2, cov=.9)
                egress += e2
            oid = self.add_org(name, "enterprise", cc, domains=doms, asns=[own_asn] if own_asn else [],
                               netblocks=blocks)
            cloud_egress = [self.cloud_ip() for _ in range(self.ri(1, 3))]
            hq = self.tok("addr_", 16)
            bank = self.tok("bank_", 16) if self.p(.3) else None
            cards = [self.card(cc, self.ch([name, name.upper(), "ACCOUNTS PAYABLE", name.split()[0] + " AP"]),
                               email=f"ap@{doms[0]}", org=oid) for _ in range(self.ri(1, 2))]
            tpls = [self.tok("pf-", 12) for _ in range(self.ri(1, 3))]
            size = self.ri(3, 9) if is_eval else int(np.clip(self.lognorm(40, .6) * max(self.s, .3), 6, 260))
            rollout = self.u(ACC_START + 60 * DAY, LOG_END - 20 * DAY)
            members = []
            admins = []
            for j in range(size):
                if self.p(.5):
                    t = rollout + self.rng.exponential(1.5 * DAY)
                else:
                    t = self.u(ACC_START, LOG_END - DAY)
                t = self.clampt(t)
                ecc = cc if self.p(.85) else self.country()
                a = self.acct(t, ecc, "enterprise")
                first, last = self.name()
                a["email"] = self.email(first, last, self.ch(doms) if self.p(.88) else self.webmail(),
                                        style=self.chw(["dot", "initial", "first"], [6, 3, 1]))
                a["plan"] = self.chw(["enterprise", "team", "api", "pro"], [55, 25, 12, 8])
                r = self.rng.random()
                if r < .03:
                    a["status"] = "closed"
                    a["end"] = self.u(max(a["created"], LOG_START) + DAY, LOG_END)
                nm = name.split()
                a["claimed"] = self.chw([name, nm[0], f"{nm[0]} {nm[1]}", name.lower(), ""], [35, 15, 10, 5, 35])
                prof = "eval" if is_eval else "enterprise"
                laptop = self.tok("dev-", 12)
                home = self.home_ips(ecc)
                self.innocent_user(a, prof, home=home, laptop=laptop, verified=self.p(.85),
                                   tpl_extra=[(t_, self.u(.5, 2.0)) for t_ in self.sample(tpls, self.ri(1, len(tpls)))],
                                   home_w=.3, heavy=is_eval and self.p(.5),
                                   key_ips=egress if self.p(.8) else None)
                self.lctx(a, laptop, egress, self.u(.8, 2.0), self.ch(DESKTOP_UA))
                self.rctx(a, egress, self.u(1, 3))
                if self.p(.4) or is_eval:
                    self.rctx(a, cloud_egress, self.u(.5, 4 if is_eval else 1.5))
                    if is_eval:
                        a["human"] = False
                if a["verified"]:
                    self.innocent_phone(a)
                if a["plan"] != "pro" or self.p(.5):
                    self.use_card(a, self.ch(cards))
                else:
                    self.own_card(a, first, last)
                if self.p(.7):
                    self.ident(a, "postal_address", hq)
                if bank and self.p(.4):
                    self.ident(a, "bank_account", bank)
                if j < (1 if size < 30 else 2):
                    admins.append(a)
                    pid = self.add_person(f"{first} {last}", oid, self.ch(["IT administrator", "engineering manager",
                                                                            "platform lead"]), "senior",
                                          [a["email"]], [laptop], egress[:2])
                    a["owner"] = pid
                elif admins and self.p(.75):
                    self.link(self.ch(admins), a, "team_member", max(a["created"], admins[0]["created"]) + self.u(0, 3) * DAY)
                members.append(a)
            self.igroups["eval_vendor" if is_eval else "enterprise"] += 1
            self.igroup_accts["eval_vendor" if is_eval else "enterprise"] += size

    def startups(self, n):
        """Small undeclared teams: shared card, domain, office/coworking IP."""
        cowork = [self.ch(self.venues) for _ in range(max(3, int(12 * self.s)))]
        for _ in range(n):
            k = self.chw([2, 3, 4, 5, 6, 8], [20, 25, 22, 15, 10, 8])
            cc = self.country()
            nm = f"{self.ch(WORDS).title()}{self.ch(['ly', 'io', 'stack', 'labs', 'works', 'base'])}"
            dom = f"{nm.lower()}.example"
            office = self.ch(cowork)["ips"] if self.p(.5) else [self.biz_ip(cc)]
            server = [self.cloud_ip() for _ in range(self.ri(1, 2))]
            f0, l0 = self.name()
            fp = self.card(cc, self.ch([self.billing_name(f0, l0), nm.upper(), f"{nm} Inc"]), email=f"{f0.lower()}@{dom}")
            self.innocent_cards.append(fp)
            tpl = [self.tok("pf-", 12) for _ in range(self.ri(1, 2))]
            t0 = self.created_solo()
            burst = self.p(.5)
            members = []
            for j in range(k):
                t = t0 + (self.rng.exponential(2 * HOUR) if burst else self.u(0, 200) * DAY)
                t = self.clampt(t)
                first, last = (f0, l0) if j == 0 else self.name()
                a = self.acct(t, cc, "startup")
                a["email"] = self.email(first, last, dom if self.p(.8) else self.webmail(), style=self.chw(["first", "dot"], [6, 4]))
                a["plan"] = self.chw(["team", "api", "pro"], [6, 3, 1])
                a["claimed"] = nm if self.p(.6) else ""
                self.innocent_user(a, "developer", verified=self.p(.7),
                                   tpl_extra=[(x, self.u(.5, 2)) for x in tpl], key_ips=office if self.p(.5) else None)
                self.lctx(a, a["lctx"][0][0] if a["lctx"] else self.tok("dev-", 12), office, self.u(.5, 1.5), self.ch(DESKTOP_UA))
                self.rctx(a, office, .6)
                self.rctx(a, server, self.u(.5, 2))
                if a["verified"]:
                    self.innocent_phone(a)
                self.use_card(a, fp)
                if j > 0 and self.p(.8):
                    self.link(members[0], a, self.ch(["team_member", "invite"]), a["created"] + self.u(0, 2) * HOUR)
                members.append(a)
            self.igroups["startup_team"] += 1
            self.igroup_accts["startup_team"] += k

    def universities(self, n_uni, target):
        terms = [T(2025, 9, 8), T(2026, 1, 19), T(2026, 2, 2), T(2026, 9, 7), T(2025, 10, 1)]
        per = max(20, target // max(1, n_uni))
        for _ in range(n_uni):
            name = self.ch(UNI_NAMES)
            cc = self.country()
            slug = re.sub(r"[^a-z]", "", name.replace("University of ", "").split()[0].lower())
            dom = f"{slug}-uni.example"
            sdom = f"student.{dom}"
            b = self.alloc16()
            a_ = self.asn()
            oid = self.add_org(name, self.ch(["other", "enterprise"]), cc, domains=[dom, sdom], asns=[a_],
                               netblocks=[f"{ip4(b)}/16"])
            nat = [self.reg(ip4(b + (self.ri(0, 3) << 8) + self.ri(1, 254)), a_, name, cc, cov=.95)
                   for _ in range(self.ri(6, 20))]
            lab_devs = [self.tok("dev-", 12) for _ in range(self.ri(15, 40))]
            dorms = [self.tok("addr_", 16) for _ in range(self.ri(4, 10))]
            it_staff = []
            for _ in range(self.ri(1, 2)):
                f, l = self.name()
                it_staff.append(self.add_person(f"{f} {l}", oid, "IT services", "mid", [f"{f.lower()}.{l.lower()}@{dom}"],
                                                [self.tok("dev-", 12)], nat[:1]))
            n_courses = self.ri(2, 4)
            remaining = per
            for ci in range(n_courses):
                size = remaining if ci == n_courses - 1 else max(10, int(per * self.u(.15, .45)))
                size = max(size, 5)
                remaining = max(0, remaining - size)
                term = self.ch(terms)
                tpl = self.tok("pf-", 12)
                tpl2 = self.tok("pf-", 12)
                instructor = None
                for j in range(size):
                    t = term + self.rng.exponential(3 * DAY) if self.p(.8) else self.u(ACC_START, LOG_END - DAY)
                    t = self.clampt(t)
                    a = self.acct(t, cc, "university")
                    first, last = self.name()
                    a["email"] = self.email(first, last, sdom if self.p(.75) else self.webmail(),
                                            style=self.chw(["dot", "seq", "initial"], [5, 3, 2]))
                    a["plan"] = self.chw(["free", "pro"], [8, 2])
                    a["claimed"] = self.chw([name, slug.title(), "", "student"], [3, 2, 4, 2])
                    dorm_ip = [self.reg(ip4(b + (self.ri(8, 250) << 8) + self.ri(1, 254)), a_, name, cc, cov=.95)]
                    home = dorm_ip if self.p(.5) else self.home_ips(cc)
                    in_term = LOG_START <= term + 120 * DAY and term <= LOG_END
                    self.innocent_user(a, "student", home=home, verified=self.p(.5),
                                       tpl_extra=[(tpl, self.u(1, 3)), (tpl2, self.u(.2, 1))],
                                       p_active=.8 if in_term else .45)
                    dev = a["lctx"][0][0] if a["lctx"] else None
                    self.lctx(a, dev or "FRESH", nat, self.u(.5, 2), self.ch(DESKTOP_UA))
                    self.rctx(a, nat, self.u(.5, 2))
                    if self.p(.3):
                        self.lctx(a, self.sample(lab_devs, self.ri(1, 3)), nat[:3], self.u(.2, .8), DESKTOP_UA[5])
                    if a["verified"]:
                        self.innocent_phone(a)
                    if a["plan"] == "pro":
                        f, l = self.name() if self.p(.3) else (first, last)
                        self.own_card(a, f, l)
                    if home is dorm_ip and self.p(.6):
                        self.ident(a, "postal_address", self.ch(dorms))
                    if j == 0:
                        instructor = a
                    elif self.p(.25):
                        self.link(instructor, a, "invite", a["created"])
                self.igroups["university_course"] += 1
                self.igroup_accts["university_course"] += size

    def hackathons(self, n):
        for _ in range(n):
            t0 = self.ch([self.r1 + self.u(3, 20) * DAY, LOG_START - self.u(10, 120) * DAY,
                          self.u(ACC_START + 100 * DAY, LOG_START)])
            cc = self.country()
            venue = [self.biz_ip(cc) for _ in range(self.ri(1, 3))]
            code = f"HACK-{self.hx(6).upper()}"
            tpl = self.tok("pf-", 12)
            size = max(8, int(self.u(40, 150) * self.s))
            team = []
            for j in range(size):
                t = t0 + self.u(0, 36) * HOUR
                a = self.acct(t, cc if self.p(.8) else self.country(), "hackathon")
                first, last = self.name()
                a["email"] = self.email(first, last, self.webmail())
                a["plan"] = "free" if self.p(.85) else "api"
                self.innocent_user(a, "hack", verified=self.p(.4), tpl_extra=[(tpl, self.u(1, 4))], p_active=.55)
                self.lctx(a, a["lctx"][0][0] if a["lctx"] else "FRESH", venue, 3.0, self.ch(DESKTOP_UA),
                          t0=t0 - HOUR, t1=t0 + 48 * HOUR)
                a["signup_ip"] = self.ch(venue)
                if a["n_req"]:
                    a["bursts"].append((max(t, LOG_START), 2 * DAY, .6))
                    self.rctx(a, venue, 3.0, t0=t0 - HOUR, t1=t0 + 48 * HOUR)
                if self.p(.7):
                    self.ident(a, "promo_code", code, first=t, last=t + HOUR)
                if a["verified"]:
                    self.innocent_phone(a)
                if a["plan"] == "api":
                    self.own_card(a, first, last)
                if not team or len(team) >= self.ri(3, 5):
                    team = [a]
                else:
                    if self.p(.6):
                        self.link(team[0], a, "invite", t + self.u(0, 2) * HOUR)
                    team.append(a)
            self.igroups["hackathon"] += 1
            self.igroup_accts["hackathon"] += size

    def lab_official(self, lab, k):
        for j in range(k):
            t = self.u(ACC_START, LOG_START)
            a = self.acct(t, lab["cc"], "lab_official")
            staff = self.ch([p for p in lab["staff"] if p["role"] in ("procurement", "evaluation engineer", "CTO")] or lab["staff"])
            a["email"] = staff["email"] if j == 0 and staff["email"] not in self.emails else self.email(*self.name(), lab["domain"])
            self.emails.add(a["email"])
            a["plan"] = self.ch(["enterprise", "team"])
            a["claimed"] = lab["name"]
            a["owner"] = staff["pid"]
            self.innocent_user(a, "eval", home=list(lab["egress"]), laptop=staff["dev"], verified=True,
                               key_ips=list(lab["egress"]))
            self.innocent_phone(a)
            self.use_card(a, lab["corp_card"])
            self.igroups["lab_official_account"] += 1
            self.igroup_accts["lab_official_account"] += 1

    def referrals(self, solos):
        """Friends using each other's referral codes; creator codes used by many."""
        if len(solos) < 10:
            return
        idx = self.rng.permutation(len(solos))
        npairs = int(len(solos) * .04)
        used_ref = {}
        for k in range(npairs):
            a, b = solos[int(idx[2 * k])], solos[int(idx[2 * k + 1])]
            if a["created"] > b["created"]:
                a, b = b, a
            code = used_ref.get(id(a))
            if code is None:
                code = f"REF-{self.hx(7).upper()}"
                used_ref[id(a)] = code
                self.ident(a, "referral_code", code)
            self.ident(b, "referral_code", code, first=b["created"], last=b["created"])
            self.link(a, b, "referral", b["created"])
            self.igroups["friend_referral"] += 1
            self.igroup_accts["friend_referral"] += 2
        rest = [solos[int(i)] for i in idx[2 * npairs:]]
        n_inf = max(2, int(5 * self.s))
        pos = 0
        for _ in range(n_inf):
            if pos >= len(rest):
                break
            owner = rest[pos]
            pos += 1
            code = f"{self.ch(WORDS).upper()}{self.ri(10, 99)}"
            self.ident(owner, "referral_code", code)
            n = max(5, int(self.u(20, 120) * self.s))
            cnt = 0
            for b in rest[pos:pos + n]:
                if b["created"] > owner["created"]:
                    self.ident(b, "referral_code", code, first=b["created"], last=b["created"])
                    self.link(owner, b, "referral", b["created"])
                    cnt += 1
            pos += n
            self.igroups["creator_referral_code"] += 1
            self.igroup_accts["creator_referral_code"] += cnt + 1
        # recycled phone numbers: a carrier reassigns a number years later
        for _ in range(max(2, int(len(solos) * .002))):
            a, b = self.sample(solos, 2)
            if a["created"] > b["created"]:
                a, b = b, a
            if b["created"] - a["created"] < 200 * DAY:
                continue
            ph = self.tok("ph_", 16)
            self.ident(a, "phone", ph, first=a["created"], last=a["created"] + self.u(10, 150) * DAY)
            self.ident(b, "phone", ph, first=b["created"])
            self.igroups["recycled_phone"] += 1
            self.igroup_accts["recycled_phone"] += 2

    # ------------------------------------------------------------ fraud
    def new_campaign(self, typ, org="", person=""):
        self.ncamp += 1
        c = dict(id=f"camp-{self.ncamp:03d}-{typ}", type=typ, org=org, person=person, accts=[])
        self.campaigns.append(c)
        return c

    def facct(self, camp, created, cc):
        a = self.acct(self.clampt(created), cc, camp["type"])
        a["fraud"] = True
        a["camp"] = camp["id"]
        a["org"] = camp["org"]
        a["person"] = camp["person"]
        camp["accts"].append(a)
        return a

    def fraud_email(self, styles, own_domains=()):
        st = self.chw(list(styles), list(styles.values()))
        first, last = self.name()
        if st == "own":
            return self.email(first, last, self.ch(own_domains), style=self.ch(["random", "handle", "seq"])), first, last
        if st == "random":
            return self.email(first, last, self.webmail(), style="random"), first, last
        if st == "disposable":
            return self.email(first, last, self.ch(DISPOSABLE), style=self.ch(["random", "handle"])), first, last
        return self.email(first, last, self.webmail()), first, last

    def setup_labs(self):
        names = self.sample(LAB_NAMES, 5)
        ccs = self.sample(LAB_CC, 5)
        self.labs = []
        for i, (nm, cc) in enumerate(zip(names, ccs)):
            slug = re.sub(r"[^a-z]", "", nm.split()[0].lower())
            dom = f"{slug}-ai.example"
            b = self.alloc16()
            nb = b + (self.ri(0, 250) << 8)
            a_ = self.asn() if self.p(.5) else None
            isp = self.ch(self.isps[cc])
            egress = [self.reg(ip4(nb + self.ri(1, 254)), a_ or isp["asn"], nm if a_ else isp["name"], cc, cov=.9)
                      for _ in range(self.ri(2, 4))]
            oid = self.add_org(nm, "ai_lab", cc, domains=[dom], asns=[a_] if a_ else [], netblocks=[f"{ip4(nb)}/24"])
            lab = dict(name=nm, org=oid, cc=cc, domain=dom, egress=egress, staff=[], fraud=i < 3)
            for j in range(self.ri(4, 10)):
                role, sen = ROLES[j % len(ROLES)] if j < len(ROLES) else self.ch(ROLES)
                f, l = self.name()
                em = f"{f.lower()}.{l.lower()}@{dom}"
                self.emails.add(em)
                devs = [self.tok("dev-", 12) for _ in range(self.ri(1, 2))]
                home = self.home_ip(cc, allow_proxy_peer=False)
                pid = self.add_person(f"{f} {l}", oid, role, sen, [em] + ([f"{f.lower()}{self.ri(1, 99)}@{self.webmail()}"] if self.p(.3) else []),
                                      devs, egress[:2] + [home])
                lab["staff"].append(dict(pid=pid, role=role, email=em, dev=devs[0], devs=devs, home=home, name=(f, l)))
            lab["corp_card"] = self.card(cc, nm.upper(), email=f"finance@{dom}", org=oid)
            self.labs.append(lab)

    def lab_campaign(self, lab, size, svc, style):
        """Distillation operation run through a commercial proxy service."""
        lead = self.ch([s for s in lab["staff"] if s["role"] in style.get("lead_roles", ("research lead", "data engineer", "ML engineer"))] or lab["staff"])
        camp = self.new_campaign(style["typ"], lab["org"], lead["pid"])
        res_frac = style["res_frac"]
        n_pool = int(min(len(svc["res"]) + len(svc["dc"]), max(20, size * self.u(1.5, 3.5))))
        n_res = min(len(svc["res"]), int(n_pool * res_frac))
        pool = self.sample(svc["res"], n_res) + self.sample(svc["dc"], n_pool - n_res)
        if self.p(.5):
            pool += self.sample(svc["mob"], min(len(svc["mob"]), self.ri(2, 10)))
        pool_arr = np.array(pool, dtype=object)
        hosts = [self.tok("dev-", 12) for _ in range(self.ri(5, 18))]
        throwaway = [f"{self.ch(WORDS)}{self.hx(3)}.example" for _ in range(self.ri(2, 3))]
        shell = None
        if style.get("shell"):
            sh_name = f"{self.ch(ENT_PRE)} {self.ch(['Trading', 'Digital Services', 'Technology'])} Ltd"
            shell = self.add_org(sh_name, "other", self.ch(["HK", "AE", "SG", "CY"]), domains=[throwaway[0]])
        cards = []
        for k in range(style["n_cards"]):
            if shell and self.p(.6):
                nm, org = self.org_by_id[shell]["name"].upper(), shell
            elif self.p(.25):
                nm, org = self.billing_name(*self.ch(lab["staff"])["name"]), ""
            else:
                nm, org = self.ch(FAKE_CO).upper(), ""
            icc = self.ch([lab["cc"], lab["cc"], "HK", "AE", "US", "SG"])
            em = f"billing@{self.ch(throwaway)}" if self.p(.5) else ""
            if style.get("card_leak") and k == 0:
                em = f"finance@{lab['domain']}"
            bn = self.ch(self.virtual_bins) if self.p(.4) else None
            cards.append(self.card(icc, nm, email=em, org=org, bin_=bn))
        cw = self.rng.dirichlet(np.ones(len(cards)) * .8)
        sms = [self.tok("ph_", 16) for _ in range(max(3, int(size * .45)))]
        fakes = self.sample(FAKE_CO, 3)
        tpls = [self.tok("pf-", 12) for _ in range(self.ri(4, 10))]
        tplw = list(self.rng.dirichlet(np.ones(len(tpls)) * .7) * style.get("tpl_share", self.u(.6, .85)))
        if style.get("kit"):
            tpls += style["kit"]
            tplw = [w * .3 for w in tplw] + list(self.rng.dirichlet(np.ones(len(style["kit"]))) * .55)
        tls = self.tls_pool[self.ri(2, 8)]          # a popular HTTP client library
        uas = self.sample(API_UA, self.ri(1, 3))
        if self.p(.4):
            uas.append(self.ch(OSS_UA))
        waves = style["waves"]
        leak = set(self.rng.choice(size, size=min(size, self.ri(2, 6)), replace=False).tolist())
        leak_staff = [lead] + self.sample(lab["staff"], 1)
        ip_leak = set(self.rng.choice(size, size=min(size, self.ri(1, 3)), replace=False).tolist())
        team_hub = None
        for i in range(size):
            w = self.chw(list(range(len(waves))), [x[2] for x in waves])
            wt, spread, _ = waves[w]
            t = wt + self.rng.exponential(spread * HOUR / 3)
            if t > wt + spread * HOUR:
                t = wt + self.u(0, spread * HOUR)
            if style["rotate"]:
                sticky = list(pool_arr[self.rng.integers(0, len(pool_arr), self.ri(2, 5))])
            else:
                sticky = self.sample(pool, self.ri(2, 6))
            sip = sticky[0]
            cc = self.ipinfo[sip][2] if self.p(.6) else self.country()   # IP geolocation or declared
            a = self.facct(camp, t, cc)
            a["signup_ip"] = sip
            a["email"], first, last = self.fraud_email({"name": 5, "own": 3, "random": 2}, throwaway)
            a["plan"] = self.chw(["api", "pro", "team", "enterprise"], [6, 3, 1, .3])
            a["verified"] = self.p(style.get("p_verified", .55))
            a["claimed"] = self.chw(["", self.ch(fakes), f"{self.ch(ENT_PRE)} {self.ch(ENT_IND)}"], [50, 35, 15])
            # activity: burst after the release following sign-up, then ban or abandon
            nextr = [r for r in (self.r1, self.r2) if r > t - 2 * DAY]
            life = self.u(*style.get("life", (15, 45))) * DAY
            end = min(LOG_END, (nextr[0] if nextr else t) + life)
            if end < LOG_END - DAY and self.p(style.get("p_ban", .4)):
                a["status"] = self.chw(["banned", "suspended"], [8, 2])
                a["end"] = end
            elif end < LOG_END - DAY:
                a["end"] = end            # abandoned, still "active"
            s = max(t, LOG_START)
            if a["end"] > s:
                a["win"] = (s, a["end"])
                a["n_req"] = int(min(900, self.lognorm(style["nreq"], .55)))
                a["d1"] = float(self.rng.exponential(5 * HOUR)) if self.p(.9) else self.u(1, 3) * DAY
                a["d2"] = float(self.rng.exponential(5 * HOUR)) if self.p(.9) else self.u(1, 3) * DAY
                for r, d in ((self.r1, a["d1"]), (self.r2, a["d2"])):
                    if s - DAY < r + d < a["end"]:
                        a["bursts"].append((r + d, self.u(4, 12) * DAY, .35))
            a["cats"] = self.dirichlet(style["profile"], 30)
            a["human"] = False
            a["mini"] = .03
            a["tin"] = self.lognorm(1.2, .2)
            a["tout"] = self.lognorm(1.5, .25)
            a["console"] = .01
            own, ow = self.personal_templates(a, self.ri(1, 3))
            a["tpl"] = tpls + own + [self.tpl_oss[0]]
            a["tplw"] = tplw + [x * .2 for x in ow] + [.05]
            a["empty_fp"] = self.u(.05, .2)
            a["uas"] = uas
            a["uaw"] = list(self.rng.dirichlet(np.ones(len(uas))))
            # infrastructure
            devs = self.sample(hosts, self.ri(1, 2))
            self.lctx(a, devs, sticky, 1.0, self.ch(DESKTOP_UA))
            self.lctx(a, "FRESH", sticky, self.u(.1, .5), self.ch(DESKTOP_UA))
            self.rctx(a, pool_arr if style["rotate"] else sticky, 1.0)
            if i in leak:
                st = self.ch(leak_staff)
                self.lctx(a, st["dev"], self.ch([lab["egress"], [st["home"]]]), self.u(.1, .3), self.ch(DESKTOP_UA))
            if i in ip_leak:
                st = self.ch(leak_staff)
                self.lctx(a, devs, [st["home"]], .1, self.ch(DESKTOP_UA))
                self.rctx(a, lab["egress"][:1], .03)
            nk = self.chw([1, 2, 3], [5, 3, 2])
            a["key_ips"] = [self.ch(lab["egress"]) if self.p(style["p_office"]) else self.ch(sticky) for _ in range(nk)]
            a["n_keys"] = nk
            a["n_login"] = 1 + int(self.rng.poisson(4))
            # payment, identifiers
            k = self.chw(list(range(len(cards))), cw)
            self.use_card(a, cards[k], first=t + self.u(5, 90) * MINUTE)
            if self.p(.3):
                self.use_card(a, cards[self.chw(list(range(len(cards))), cw)])
            self.ident(a, "email", a["email"])
            if a["verified"]:
                self.ident(a, "phone", self.ch(sms), first=t, last=t + self.u(0, 2) * HOUR)
            self.ident(a, "tls_fingerprint", tls)
            self.ident(a, "browser_fingerprint", self.bfp_pool[self.ri(0, 40)])
            if a["plan"] == "team":
                if team_hub is None or self.p(.15):
                    team_hub = a
                else:
                    self.link(team_hub, a, "team_member", a["created"] + self.u(0, 6) * HOUR)
        return camp

    def kit_shop(self, size, kit):
        """Second buyer of the prompt kit: an API-access reseller shop."""
        camp = self.new_campaign("kit_shop")
        shop_dom = f"{self.ch(WORDS)}{self.ch(['api', 'gpt', 'ai'])}{self.hx(2)}.example"
        servers = [self.cloud_ip(k % len(self.clouds)) for k in range(self.ri(8, 25))]
        vpn = self.ch(self.vpns)
        vexits = self.sample(vpn["exits"], self.ri(4, 12))
        devs = [self.tok("dev-", 12) for _ in range(self.ri(2, 5))]
        vb = self.ch(self.virtual_bins)
        t0 = self.u(LOG_START - 30 * DAY, self.r1)
        own_t = [self.tok("pf-", 12) for _ in range(2)]
        for i in range(size):
            t = t0 + self.u(0, 21) * DAY
            cc = self.ch(["US", "GB", "DE", "NL", "CA"])
            a = self.facct(camp, t, cc)
            a["email"], first, last = self.fraud_email({"name": 6, "random": 3, "disposable": 1})
            a["plan"] = "api"
            a["verified"] = self.p(.5)
            a["signup_ip"] = self.ch(vexits)
            self.lctx(a, self.sample(devs, 1), vexits, 1.0, self.ch(DESKTOP_UA))
            srv = self.sample(servers, self.ri(1, 4))
            self.rctx(a, srv, 1.0)
            self.rctx(a, vexits, .15)
            a["win"] = (max(t, LOG_START), LOG_END)
            a["n_req"] = int(self.lognorm(45, .6))
            a["d1"] = self.u(.5, 3) * DAY
            a["d2"] = self.u(.3, 2) * DAY
            a["cats"] = self.dirichlet("shop")
            a["human"] = False
            a["tpl"] = kit + own_t + [self.tpl_oss[1]]
            a["tplw"] = list(self.rng.dirichlet(np.ones(len(kit))) * .55) + [.1, .05, .2]
            a["uas"] = ["sdk-node/1.9.0"]
            a["uaw"] = [1.0]
            a["console"] = 0
            a["tout"] = self.lognorm(1.4, .2)
            a["key_ips"] = [self.ch(srv)]
            fp = self.card(self.ch(["US", "GB", "PA"]), self.billing_name(first, last), email=f"payments@{shop_dom}", bin_=vb)
            self.use_card(a, fp)
            self.ident(a, "email", a["email"])
            self.ident(a, "tls_fingerprint", self.tls_pool[1])
            if a["verified"]:
                self.ident(a, "phone", self.tok("ph_", 16))
            if self.p(.2):
                a["status"] = "suspended"
                a["end"] = self.u(a["win"][0] + DAY, LOG_END)
                a["win"] = (a["win"][0], a["end"])
        return camp

    def card_farm(self, size):
        camp = self.new_campaign("card_testing")
        devs = [self.tok("dev-", 12) for _ in range(self.ri(2, 8))]
        mode = self.ch(["resi", "dc", "vpn"])
        if mode == "resi":
            svc = self.ch(self.proxy_services)
            ips = self.sample(svc["res"], self.ri(3, 15))
        elif mode == "dc":
            ips = [self.cloud_ip() for _ in range(self.ri(2, 6))]
        else:
            ips = self.sample(self.ch(self.vpns)["exits"], self.ri(3, 10))
        n_bursts = self.ri(1, 3)
        bt = [self.u(LOGIN_START, LOG_END - 2 * DAY) for _ in range(n_bursts)]
        for i in range(size):
            t = self.ch(bt) + self.rng.exponential(3 * HOUR)
            a = self.facct(camp, t, self.ipinfo[ips[0]][2])
            a["email"], first, last = self.fraud_email({"name": 4, "random": 3, "disposable": 3})
            a["plan"] = self.chw(["pro", "free", "api"], [6, 3, 1])
            a["verified"] = self.p(.15)
            sip = self.ch(ips)
            a["signup_ip"] = sip
            a["cc"] = self.ipinfo[sip][2]
            self.lctx(a, self.sample(devs, self.ri(1, 2)), ips, 1.0, self.ch(DESKTOP_UA))
            a["n_login"] = self.ri(1, 3)
            r = self.rng.random()
            a["status"] = "banned" if r < .22 else ("suspended" if r < .38 else "active")
            if a["status"] != "active":
                a["end"] = t + self.u(1, 72) * HOUR
            a["cats"] = self.dirichlet("cardtest")
            if self.p(.5):
                self.rctx(a, ips, 1.0)
                a["win"] = (max(t, LOG_START), max(a["end"] if a["end"] < LOG_END else t + 3 * DAY, t + HOUR))
                if a["win"][1] > a["win"][0]:
                    a["n_req"] = self.ri(1, 4)
                a["console"] = 1.0
                a["tout"] = .2
            for k in range(self.ri(1, 4)):
                if self.innocent_cards and self.p(.05):
                    fp = self.ch(self.innocent_cards)          # victim is also a customer
                else:
                    f, l = self.name()
                    fp = self.card(self.country(), self.billing_name(f, l))
                ft = t + self.u(2, 40) * MINUTE + k * self.u(1, 10) * MINUTE
                self.use_card(a, fp, first=ft, last=ft + self.u(0, 20) * MINUTE)
            self.ident(a, "email", a["email"])
            self.ident(a, "browser_fingerprint", self.bfp_pool[self.ri(0, 200)] if self.p(.5) else self.tok("bfp_", 16))
            if self.p(.4):
                self.ident(a, "postal_address", self.tok("addr_", 16))
        return camp

    def reseller(self, size, known=False):
        """Aged accounts made months apart on one device set, then sold."""
        org = person = ""
        devs = [self.tok("dev-", 12) for _ in range(self.ri(2, 4))]
        cc = self.country()
        home = [self.home_ip(cc) for _ in range(self.ri(1, 3))]
        if known:
            nm = f"{self.ch(ENT_PRE)} Account Market"
            dom = re.sub(r"[^a-z]", "", nm.lower()) + ".example"
            org = self.add_org(nm, "other", cc, domains=[dom])
            f, l = self.name()
            person = self.add_person(f"{f} {l}", org, "seller", "executive", [f"{f.lower()}@{dom}"], devs[:2], home[:1])
        camp = self.new_campaign("account_reseller", org, person)
        t_start = self.u(ACC_START, LOG_START - 240 * DAY)
        span = self.u(180, 420) * DAY
        phones = [self.tok("ph_", 16) for _ in range(max(2, size // self.ri(3, 8)))]
        for i in range(size):
            t = t_start + self.u(0, span)
            a = self.facct(camp, t, cc)
            a["email"], first, last = self.fraud_email({"name": 7, "random": 2, "disposable": 1})
            a["verified"] = self.p(.8)
            a["signup_ip"] = self.ch(home)
            sale = t + self.u(20, 150) * DAY
            self.lctx(a, self.sample(devs, self.ri(1, 2)), home + self.mobile_ips(cc, 2), 1.0, self.ch(DESKTOP_UA), t1=sale)
            if a["verified"]:
                self.ident(a, "phone", self.ch(phones), first=t, last=sale)
            self.ident(a, "email", a["email"], last=sale)
            self.ident(a, "browser_fingerprint", self.bfp_pool[self.ri(0, 300)], last=sale)
            # the buyer
            bcc = self.country()
            bhome = self.home_ips(bcc)
            bdev = self.tok("dev-", 12)
            self.lctx(a, bdev, bhome, 3.0, self.ch(DESKTOP_UA), t0=sale)
            if self.p(.4):
                v = self.ch(self.vpns)
                bh = self.sample(v["exits"], self.ri(2, 6))
                self.lctx(a, bdev, bh, 2.0, self.ch(DESKTOP_UA), t0=sale)
                bhome = bhome + bh
            self.rctx(a, bhome, 1.0, t0=sale)
            bf, bl = self.name()
            be = self.email(bf, bl, self.webmail())
            self.ident(a, "email", be, first=sale)
            self.ident(a, "tls_fingerprint", self.wpick(self.tls_pool, self.tls_c), first=sale)
            a["plan"] = "free"
            if self.p(.5):
                a["plan"] = self.ch(["pro", "api"])
                fp = self.card(bcc, self.billing_name(bf, bl))
                self.use_card(a, fp, first=sale + self.u(0, 10) * DAY)
            a["cats"] = self.dirichlet(self.ch(["developer", "casual", "distill_mix"]))
            s = max(sale, LOG_START)
            if s < LOG_END - DAY and self.p(.8):
                a["win"] = (s, LOG_END)
                a["n_req"] = int(self.lognorm(20, 1.0))
                a["d1"] = self.adopt_delay(.3)
                a["d2"] = self.adopt_delay(.3)
                a["tz"] = TZ.get(bcc, 0)
                a["uas"] = [self.ch(API_UA)]
                a["uaw"] = [1.0]
                own, ow = self.personal_templates(a)
                a["tpl"], a["tplw"] = own, ow
            if self.p(.15):
                a["status"] = "banned"
                a["end"] = self.u(max(sale, LOG_START), LOG_END)
                if a["win"]:
                    a["win"] = (a["win"][0], max(a["win"][0] + HOUR, a["end"]))
        return camp

    def verified_farm(self, size):
        """Verified-account farm: one or two phone numbers verify everything."""
        camp = self.new_campaign("verified_farm")
        cc = self.ch(sorted(self.carriers))
        phones = [self.tok("ph_", 16) for _ in range(self.ri(1, 3))]
        emus = [self.tok("dev-", 12) for _ in range(self.ri(1, 3))]
        dom = self.ch(WEBMAIL[:4])
        t = self.u(ACC_START + 200 * DAY, LOG_START)
        done = 0
        while done < size:
            batch = min(size - done, self.ri(4, 10))
            for _ in range(batch):
                tt = t + self.u(0, 8) * HOUR
                a = self.facct(camp, tt, cc)
                f, l = self.name()
                a["email"] = self.email(f, l, dom, style=self.ch(["digits", "seq"]))
                a["verified"] = True
                mips = self.mobile_ips(cc, 3)
                a["signup_ip"] = mips[0]
                self.lctx(a, emus if self.p(.5) else "FRESH", mips, 1.0, self.ch(MOBILE_UA), t1=tt + 3 * DAY)
                self.ident(a, "phone", self.ch(phones), first=tt, last=tt + HOUR)
                self.ident(a, "email", a["email"])
                a["n_login"] = self.ri(1, 3)
                if self.p(.5):     # sold on: somebody else uses it later
                    sale = tt + self.u(10, 90) * DAY
                    bcc = self.country()
                    bh = self.home_ips(bcc)
                    self.lctx(a, self.tok("dev-", 12), bh, 2.0, self.ch(DESKTOP_UA), t0=sale)
                    a["n_login"] = self.ri(2, 8)
                    if sale < LOG_END - DAY:
                        self.rctx(a, bh, 1.0, t0=sale)
                        a["win"] = (max(sale, LOG_START), LOG_END)
                        a["n_req"] = int(self.lognorm(15, 1.0))
                        a["cats"] = self.dirichlet(self.ch(["developer", "casual", "distill_mix"]))
                        a["d1"] = self.adopt_delay(.3)
                        a["d2"] = self.adopt_delay(.3)
                        a["uas"] = [self.ch(API_UA)]
                        a["uaw"] = [1.0]
                        a["tz"] = TZ.get(bcc, 0)
                        own, ow = self.personal_templates(a)
                        a["tpl"], a["tplw"] = own, ow
                        if self.p(.4):
                            a["plan"] = "pro"
                            self.use_card(a, self.card(bcc, self.billing_name(*self.name())), first=sale)
                if self.p(.2):
                    a["status"] = "banned"
                    a["end"] = self.u(tt + 10 * DAY, LOG_END)
                    if a["win"]:
                        if a["end"] <= a["win"][0] + HOUR:
                            a["win"] = None
                            a["n_req"] = 0
                        else:
                            a["win"] = (a["win"][0], a["end"])
            done += batch
            t += self.u(10, 30) * DAY
        return camp

    def stealth(self, size, kind, lab=None):
        """Operations sharing only one or two kinds of thing, with camouflage."""
        org = lab["org"] if lab else ""
        lead = self.ch(lab["staff"]) if lab else None
        camp = self.new_campaign(f"stealth_{kind}", org, lead["pid"] if lead else "")
        tpls = [self.tok("pf-", 12) for _ in range(self.ri(1, 2))]
        t0 = self.u(LOG_START - 90 * DAY, self.r2 - 5 * DAY)
        spread = self.u(14, 60) * DAY
        if kind == "subnet":
            cl = self.ch(self.clouds)
            base = self.ch(cl["blocks"]) + (self.ri(0, 255) << 8)
            subnet = [self.reg(ip4(base + h), cl["asn"], cl["name"], self.ch(["US", "DE"]), dc=True) for h in
                      self.sample(list(range(2, 254)), min(250, size * 2 + 10))]
            # the same /24 also hosts other customers' servers
            self.shared_subnet = subnet[size * 2:]
        tls_rare = self.tls_pool[self.ri(25, 39)]
        vb = self.ch(self.virtual_bins)
        bank = self.tok("wallet_", 16)
        svc = self.ch(self.proxy_services)
        vpn = self.ch(self.vpns)
        for i in range(size):
            t = t0 + self.u(0, spread)
            cc = self.country()
            a = self.facct(camp, t, cc)
            a["email"], first, last = self.fraud_email({"name": 8, "random": 2})
            a["plan"] = self.chw(["api", "pro", "free"], [5, 4, 1])
            a["verified"] = self.p(.6)
            home = self.home_ips(cc)
            dev = self.tok("dev-", 12)
            if kind == "subnet":
                own_ips = [subnet[2 * i], subnet[2 * i + 1]] if 2 * i + 1 < len(subnet) else self.sample(subnet, 2)
                self.lctx(a, dev, home, 1.0, self.ch(DESKTOP_UA))
                self.rctx(a, own_ips, 1.0)
                self.rctx(a, home, .1)
                a["key_ips"] = [own_ips[0]] if self.p(.6) else None
                a["signup_ip"] = home[0]
            elif kind == "resi_tls":
                ex = self.sample(svc["res"], self.ri(1, 3))
                self.lctx(a, dev, ex, 1.0, self.ch(DESKTOP_UA))
                self.rctx(a, ex, 1.0)
                a["signup_ip"] = ex[0]
                a["cc"] = self.ipinfo[ex[0]][2]
                self.ident(a, "tls_fingerprint", tls_rare)
            elif kind == "vpn_wallet":
                ex = self.sample(vpn["exits"], self.ri(2, 6))
                self.lctx(a, dev, ex, 1.0, self.ch(DESKTOP_UA))
                self.lctx(a, dev, home, .3, self.ch(DESKTOP_UA))
                self.rctx(a, ex, 1.0)
                a["signup_ip"] = ex[0]
                if self.p(.45):
                    self.ident(a, "payment_instrument", bank)
            elif kind == "covert":
                ex = self.sample(vpn["exits"], self.ri(2, 5)) + self.sample(svc["res"], self.ri(1, 3))
                self.lctx(a, dev, ex, 1.0, self.ch(DESKTOP_UA))
                self.rctx(a, ex, 1.0)
                a["signup_ip"] = ex[0]
                if i < 2:
                    a["key_ips"] = [self.ch(lab["egress"])]
                if i == 2 or (size < 3 and i == 0):
                    self.lctx(a, lead["dev"], [lead["home"]], .15, self.ch(DESKTOP_UA))
            # camouflage: ordinary-looking extras shared with innocents
            if self.p(.3):
                self.rctx(a, self.mobile_ips(a["cc"], 2), .1)
            self.ident(a, "email", a["email"])
            if a["verified"]:
                self.ident(a, "phone", self.tok("ph_", 16))
            self.ident(a, "browser_fingerprint", self.wpick(self.bfp_pool, self.bfp_c))
            if kind != "resi_tls":
                self.ident(a, "tls_fingerprint", self.wpick(self.tls_pool, self.tls_c))
            if a["plan"] != "free":
                bn = vb if kind in ("resi_tls", "covert") else None
                self.use_card(a, self.card(self.country(), self.billing_name(first, last), bin_=bn))
            a["win"] = (max(t, LOG_START), LOG_END)
            a["n_req"] = int(self.lognorm(self.u(25, 60), .7))
            a["d1"] = self.adopt_delay(.5)
            a["d2"] = self.adopt_delay(.5)
            a["cats"] = self.dirichlet(self.ch(["distill_mix", "distill_cot", "developer"]))
            a["human"] = self.p(.3)
            own, ow = self.personal_templates(a, self.ri(1, 3))
            a["tpl"] = tpls + [self.tpl_oss[0], self.tpl_gallery[self.ri(0, 20)]] + own
            a["tplw"] = [self.u(.3, .5) / len(tpls)] * len(tpls) + [self.u(.1, .3), .05] + [x * .4 for x in ow]
            a["uas"] = [self.ch(API_UA), self.ch(OSS_UA)]
            a["uaw"] = [.8, .2]
            a["tout"] = self.lognorm(1.5, .2)
            a["console"] = .05
            if self.p(.08):
                a["status"] = "suspended"
        return camp

    def small_ring(self):
        camp = self.new_campaign("small_ring")
        k = self.chw([2, 3, 4, 5, 6, 7, 8, 10], [26, 22, 16, 12, 9, 6, 5, 4])
        kinds = ["phone", "bank_account", "shipping_address", "referral_code", "device", "card", "home_ip",
                 "recovery_email", "payment_instrument"]
        kw = [18, 14, 10, 16, 14, 8, 12, 5, 3]
        shared = []
        for _ in range(self.chw([1, 2, 3], [45, 40, 15])):
            x = self.chw(kinds, kw)
            if x not in shared:
                shared.append(x)
        cc = self.country()
        t0 = self.u(LOGIN_START - 120 * DAY, LOG_END - 5 * DAY)
        spread = self.chw([2 * HOUR, 12 * HOUR, 3 * DAY, 10 * DAY], [3, 3, 2, 1])
        vals = dict(phone=self.tok("ph_", 16), bank_account=self.tok("bank_", 16),
                    shipping_address=self.tok("ship_", 16), payment_instrument=self.tok("wallet_", 16),
                    recovery_email=self.email(*self.name(), self.webmail(), style="handle"))
        home = self.home_ips(cc)
        dev = self.tok("dev-", 12)
        vpn = self.sample(self.ch(self.vpns)["exits"], self.ri(2, 5)) if self.p(.45) else None
        f0, l0 = self.name()
        fp = self.card(cc, self.billing_name(f0, l0))
        base = f"{self.ch(WORDS)}{self.ch(WORDS)}"
        pat = self.p(.4)
        code = f"REF-{self.hx(7).upper()}"
        members = []
        for j in range(k):
            t = t0 + self.u(0, spread)
            a = self.facct(camp, t, cc)
            if pat:
                dom = self.webmail()
                loc = f"{base}{j + self.ri(1, 9)}" if self.p(.6) else f"{base}+{j + 1}"
                e = f"{loc}@{dom}"
                if e in self.emails:
                    e = f"{base}{self.hx(3)}@{dom}"
                self.emails.add(e)
                a["email"] = e
                first, last = self.name()
            else:
                a["email"], first, last = self.fraud_email({"name": 7, "random": 2, "disposable": 1})
            a["plan"] = self.chw(["free", "pro", "api"], [5, 3, 2])
            a["verified"] = "phone" in shared or self.p(.5)
            myhome = home if "home_ip" in shared else self.home_ips(cc)
            mydev = dev if "device" in shared else self.tok("dev-", 12)
            self.lctx(a, mydev, myhome, 1.0, self.ch(DESKTOP_UA))
            if vpn:
                self.lctx(a, mydev, vpn, self.u(.5, 2), self.ch(DESKTOP_UA))
            self.rctx(a, myhome, 1.0)
            if vpn:
                self.rctx(a, vpn, self.u(.5, 2))
            a["signup_ip"] = self.ch(vpn) if vpn and self.p(.5) else myhome[0]
            for x in shared:
                if x in ("phone", "bank_account", "shipping_address", "payment_instrument"):
                    self.ident(a, x, vals[x])
                elif x == "recovery_email":
                    self.ident(a, "email", vals[x])
                elif x == "card":
                    self.use_card(a, fp)
                    if a["plan"] == "free":
                        a["plan"] = "pro"
                elif x == "referral_code":
                    self.ident(a, "referral_code", code, first=t, last=t)
            if a["verified"] and "phone" not in shared:
                self.ident(a, "phone", self.tok("ph_", 16))
            if a["plan"] != "free" and "card" not in shared:
                self.use_card(a, self.card(cc, self.billing_name(first, last)))
            self.ident(a, "email", a["email"])
            self.ident(a, "browser_fingerprint", self.wpick(self.bfp_pool, self.bfp_c))
            self.ident(a, "tls_fingerprint", self.wpick(self.tls_pool, self.tls_c))
            if self.p(.7):
                a["win"] = (max(t, LOG_START), LOG_END)
                a["n_req"] = int(self.lognorm(12, .9))
                a["d1"] = self.adopt_delay(.25)
                a["d2"] = self.adopt_delay(.25)
                a["cats"] = self.dirichlet(self.ch(["casual", "developer", "distill_mix"]))
                own, ow = self.personal_templates(a)
                a["tpl"], a["tplw"] = own, ow
                a["uas"] = [self.ch(API_UA)]
                a["uaw"] = [1.0]
            else:
                a["cats"] = self.dirichlet("casual")
            r = self.rng.random()
            if r < .2:
                a["status"] = "banned"
                a["end"] = self.u(t + DAY, LOG_END + DAY)
                a["end"] = min(a["end"], LOG_END)
            if members:
                if "referral_code" in shared:
                    self.link(members[0], a, "referral", a["created"])
                if self.p(.6):
                    src = self.ch(members)
                    for _ in range(self.ri(1, 3)):
                        self.link(a, src, "transfer", self.u(a["created"], LOG_END),
                                  round(self.u(5, 200), 2), self.ch(["USD", "EUR"]))
                elif self.p(.3):
                    self.link(members[0], a, "invite", a["created"])
            members.append(a)
            if a["win"] and a["end"] < a["win"][1]:
                a["win"] = (a["win"][0], max(a["win"][0] + HOUR, a["end"]))
        return camp

    # ------------------------------------------------------------ build
    def build(self):
        t_start = time.time()
        self.setup_time()
        self.setup_infra()
        self.setup_proxies()
        self.setup_labs()
        self.rush = self.u(.15, .25)
        s = self.s
        # ---- fraud plan (sizes first, so the innocent remainder is known)
        kit = [self.tok("pf-", 12) for _ in range(6)]
        plan = []
        la, lb, lc = self.labs[0], self.labs[1], self.labs[2]
        r1, r2 = self.r1, self.r2
        plan.append(("lab", la, self.scaled(250, 420, 12), "hydra", dict(
            typ="distillation", profile="distill_cot", rotate=True, res_frac=.6, p_office=self.u(.3, .6),
            n_cards=self.ri(4, 7), nreq=self.u(90, 130), shell=True, card_leak=self.p(.5),
            waves=[(r1 - self.u(25, 40) * DAY, 48, .35), (r1 - self.u(2, 20) * HOUR, 20, .4),
                   (r2 - self.u(2, 20) * HOUR, 20, .25)])))
        plan.append(("lab", la, self.scaled(40, 100, 6), "manifold", dict(
            typ="distillation_vision", profile="distill_vision", rotate=False, res_frac=.2, p_office=self.u(.05, .2),
            n_cards=self.ri(2, 3), nreq=self.u(60, 90), lead_roles=("ML engineer", "research scientist", "intern"),
            waves=[(r2 - self.u(1, 10) * HOUR, 30, .7), (r2 + self.u(5, 12) * DAY, 24, .3)])))
        plan.append(("lab", lb, self.scaled(120, 240, 10), "hydra", dict(
            typ="distillation", profile="distill_agent", rotate=False, res_frac=.15, p_office=self.u(.2, .45),
            n_cards=self.ri(3, 5), nreq=self.u(80, 120), life=(25, 70),
            waves=[(r1 - self.u(10, 30) * HOUR, 36, .6), (r2 - self.u(5, 30) * HOUR, 36, .4)])))
        plan.append(("lab", lc, self.scaled(50, 120, 6), "tessera", dict(
            typ="distillation_kit", profile="distill_mix", rotate=True, res_frac=.9, p_office=self.u(.15, .35),
            n_cards=self.ri(2, 3), nreq=self.u(50, 80), kit=kit, p_ban=.3,
            waves=[(r1 - self.u(5, 15) * DAY, 96, .5), (r1 + self.u(1, 10) * HOUR, 30, .5)])))
        if self.p(.5):
            ld = self.labs[3]
            ld["fraud"] = True
            plan.append(("lab", ld, self.scaled(25, 70, 5), "manifold", dict(
                typ="distillation", profile="distill_cot", rotate=True, res_frac=.5, p_office=self.u(.2, .5),
                n_cards=self.ri(1, 3), nreq=self.u(60, 100),
                waves=[(r1 - self.u(1, 12) * HOUR, 20, .5), (r2 - self.u(1, 12) * HOUR, 20, .5)])))
        plan.append(("kit_shop", self.scaled(20, 60, 4)))
        for _ in range(self.ri(2, 4)):
            plan.append(("card", self.scaled(25, 150, 4)))
        for i in range(self.ri(2, 3)):
            plan.append(("reseller", self.scaled(20, 70, 4), i == 0))
        for _ in range(self.ri(1, 3)):
            plan.append(("verified", self.scaled(15, 50, 4)))
        skinds = ["subnet", "resi_tls", "vpn_wallet", "covert"] + self.sample(["subnet", "resi_tls", "vpn_wallet"], self.ri(0, 1))
        for kd in skinds:
            plan.append(("stealth", self.scaled(8, 50, 3), kd))
        n_rings = max(4, int(round(self.u(35, 65) * s)))
        # ---- innocents
        # Fraud is built after innocents (card farms reuse innocent victims'
        # cards), so estimate its size first.
        fraud_est = sum(x[2] if x[0] == "lab" else x[1] for x in plan) + n_rings * 4
        n_inn = self.N - fraud_est
        n_hh = int(n_inn * self.u(.011, .014))
        n_dual = int(n_inn * self.u(.008, .011))
        n_ent = max(2, int(round(self.u(10, 16) * s)))
        n_startup = max(2, int(n_inn * .01 / 4.2))
        n_uni = max(1, int(round(self.u(2, 4) * s)))
        uni_target = int(n_inn * self.u(.03, .05))
        n_hack = max(1, int(round(self.u(2, 3) * s)))
        self.enterprises(n_ent, self.ri(1, 2))
        self.universities(n_uni, uni_target)
        self.hackathons(n_hack)
        self.startups(n_startup)
        self.households(n_hh)
        self.duals(n_dual)
        for lab in self.labs:
            if (not lab["fraud"] and self.p(.8)) or self.p(.4):
                self.lab_official(lab, self.ri(1, 2) if lab["fraud"] else self.ri(1, 4))
        grouped = len(self.accts)
        # ---- fraud
        for x in plan:
            if x[0] == "lab":
                self.lab_campaign(x[1], x[2], self.psvc[x[3]], x[4])
            elif x[0] == "kit_shop":
                self.kit_shop(x[1], kit)
            elif x[0] == "card":
                self.card_farm(x[1])
            elif x[0] == "reseller":
                self.reseller(x[1], known=x[2])
            elif x[0] == "verified":
                self.verified_farm(x[1])
            elif x[0] == "stealth":
                self.stealth(x[1], x[2], lab=lc if x[2] == "covert" else None)
        # small rings: fill up to the number planned
        for _ in range(n_rings):
            self.small_ring()
        n_solo = self.N - len(self.accts)
        if n_solo < 0:
            raise SystemExit(f"too few accounts ({self.N}) for the planned scenario")
        solos = [self.solo() for _ in range(n_solo)]
        if hasattr(self, "shared_subnet"):
            # other customers' servers in the stealth operation's /24
            devs_ = [a for a in solos if a["rctx"] and a["n_req"]][:max(3, len(self.shared_subnet) // 2)]
            for a, ip in zip(devs_, self.shared_subnet):
                self.rctx(a, [ip], self.u(.5, 2))
        self.igroups["solo"] = 0
        self.referrals(solos)
        # some operators close accounts themselves once used up
        for a in self.accts:
            if a["fraud"] and a["status"] == "active" and self.p(.025):
                a["status"] = "closed"
                a["end"] = self.u(max(a["created"], LOG_START) + DAY, LOG_END)
                if a["win"]:
                    if a["end"] <= a["win"][0] + HOUR:
                        a["win"], a["n_req"] = None, 0
                    else:
                        a["win"] = (a["win"][0], a["end"])
        self.build_seconds = time.time() - t_start

    # ------------------------------------------------------------ emit
    def pick_ctx(self, ctxs, t, wi):
        """Pick a context index for each time in t among those valid then."""
        n = len(t)
        if len(ctxs) == 1:
            return np.zeros(n, dtype=np.int64)
        W = np.empty((n, len(ctxs)))
        for k, c in enumerate(ctxs):
            t0, t1 = c[-2], c[-1]
            W[:, k] = np.where((t >= t0) & (t < t1), c[wi], 0.0)
        tot = W.sum(1)
        bad = tot <= 0
        if bad.any():
            W[bad] = [c[wi] for c in ctxs]
            tot = W.sum(1)
        cum = np.cumsum(W, 1) / tot[:, None]
        r = self.rng.random(n)[:, None]
        return np.minimum((r > cum).sum(1), len(ctxs) - 1)

    def sample_times(self, n, lo, hi, bursts, tz, human):
        rng = self.rng
        if hi <= lo:
            hi = lo + HOUR
        t = lo + rng.random(n) * (hi - lo)
        if bursts:
            comp = rng.random(n)
            acc = 0.0
            for bs, bl, bw in bursts:
                b0, b1 = max(bs, lo), min(bs + bl, hi)
                m = (comp >= acc) & (comp < acc + bw)
                acc += bw
                if b1 <= b0:
                    continue
                k = int(m.sum())
                t[m] = b0 + rng.random(k) ** 1.6 * (b1 - b0)
        if human:
            off = tz * HOUR
            day = np.floor((t + off) / DAY)
            tod = np.clip(rng.normal(14.5, 3.8, n), 0, 23.99) * HOUR
            t2 = day * DAY + tod - off
            t = np.where((t2 >= lo) & (t2 < hi), t2, t)
        return t

    def finalize(self):
        rng = self.rng
        # ids
        for a in self.accts:
            a["id"] = self.tok("acct-", 10)
        # api keys
        keys = []
        for a in self.accts:
            if a["fraud"] and a["n_keys"] is None and not a["n_req"]:
                nk = 0 if self.p(.6) else 1
            elif a["n_keys"] is not None:
                nk = a["n_keys"]
            elif a["n_req"] or self.p(.3):
                nk = self.chw([1, 2, 3, 4], [70, 20, 7, 3])
            else:
                nk = 0
            a["keylist"] = []
            for k in range(nk):
                first_act = a["win"][0] if a["win"] else a["end"]
                if k == 0:
                    kt = a["created"] + min(self.rng.exponential(2 * HOUR), max(60.0, first_act - a["created"]))
                else:
                    kt = self.u(a["created"], max(a["created"] + 60, a["end"] - HOUR))
                kt = min(kt, LOG_END - 60)
                if a["key_ips"]:
                    ip = a["key_ips"][k % len(a["key_ips"])]
                elif a["lctx"]:
                    ip = self.ch(list(a["lctx"][0][1]))
                else:
                    ip = a["signup_ip"]
                kid = self.tok("key-", 14)
                keys.append((kid, a["id"], kt, ip))
                a["keylist"].append((kt, kid))
            a["keylist"].sort()
        self.keys = keys
        # logins
        L_acc, L_ts, L_ip, L_dev, L_ua = [], [], [], [], []
        for a in self.accts:
            if not a["lctx"]:
                continue
            lo = max(a["created"], LOGIN_START)
            hi = a["end"]
            if a["n_login"] is not None:
                n = a["n_login"]
            elif a["n_req"]:
                n = 1 + int(rng.poisson(5))
            else:
                n = int(rng.poisson(.8))
            rows_t = []
            if a["created"] >= LOGIN_START:
                rows_t.append(a["created"])
                n = max(0, n - 1)
            if hi > lo and n > 0:
                tt = self.sample_times(n, lo, hi, [], a["tz"], a["human"])
                rows_t.extend(tt.tolist())
            if not rows_t:
                continue
            t = np.array(rows_t)
            n = len(t)
            ci = self.pick_ctx(a["lctx"], t, 2)
            ipc = np.empty(n, dtype=object)
            dvc = np.full(n, "", dtype=object)
            uac = np.full(n, "", dtype=object)
            for k, (devs, ips, w, ua, t0, t1) in enumerate(a["lctx"]):
                m = ci == k
                cnt = int(m.sum())
                if not cnt:
                    continue
                ipc[m] = ips[rng.integers(0, len(ips), cnt)]
                if isinstance(devs, str):          # "FRESH": anti-detect browser, new fingerprint each time
                    dvc[m] = [self.tok("dev-", 12) for _ in range(cnt)]
                elif devs:
                    dvc[m] = np.array(devs, dtype=object)[rng.integers(0, len(devs), cnt)]
                uac[m] = ua or ""
            if a["created"] >= LOGIN_START and a["signup_ip"]:
                ipc[0] = a["signup_ip"]
            dvc[rng.random(n) < .03] = ""          # device fingerprint missing on some logins
            L_acc.append(np.full(n, a["id"], dtype=object))
            L_ts.append(t)
            L_ip.append(ipc)
            L_dev.append(dvc)
            L_ua.append(uac)
        self.logins = pd.DataFrame(dict(account_id=np.concatenate(L_acc), ts=np.concatenate(L_ts), ip=np.concatenate(L_ip),
                                        device_id=np.concatenate(L_dev), user_agent=np.concatenate(L_ua)))
        # exchanges
        cols = defaultdict(list)
        models = np.array([["meridian-2", "meridian-2-mini"], ["meridian-3", "meridian-3-mini"],
                           ["meridian-3.5", "meridian-3-mini"]], dtype=object)
        cats_arr = np.array(CATS, dtype=object)
        oss = set(self.tpl_oss)
        for a in self.accts:
            n = a["n_req"]
            if not n or not a["win"] or not a["rctx"]:
                continue
            lo, hi = a["win"]
            hi = min(hi, a["end"], LOG_END)
            if hi <= lo:
                continue
            t = self.sample_times(n, lo, hi, a["bursts"], a["tz"], a["human"])
            ci = self.pick_ctx(a["rctx"], t, 1)
            ip = np.empty(n, dtype=object)
            for k, c in enumerate(a["rctx"]):
                m = ci == k
                cnt = int(m.sum())
                if cnt:
                    ip[m] = c[0][rng.integers(0, len(c[0]), cnt)]
            cats = a["cats"] if a["cats"] is not None else self.dirichlet("casual")
            cat = rng.choice(8, n, p=cats)
            if a["tpl"]:
                tw = np.asarray(a["tplw"], float)
                tpl_arr = np.array(a["tpl"], dtype=object)
                ti = rng.choice(len(tw), n, p=tw / tw.sum())
                fp = tpl_arr[ti]
                fp[rng.random(n) < a["empty_fp"]] = ""
            else:
                fp = np.full(n, "", dtype=object)
            is_oss = np.isin(fp, self.tpl_oss) if any(x in oss for x in a["tpl"]) else np.zeros(n, bool)
            if is_oss.any():
                cat[is_oss] = rng.choice([C["agentic"], C["tool_use"], C["coding"]], int(is_oss.sum()), p=[.5, .3, .2])
            lvl = np.zeros(n, dtype=np.int64)
            lvl[t >= self.r1 + a["d1"]] = 1
            lvl[(t >= self.r2 + a["d2"]) & (t >= self.r2)] = 2
            mini = (rng.random(n) < a["mini"]).astype(np.int64)
            model = models[lvl, mini]
            tin = (TOK_BASE[cat, 0] * a["tin"] * np.exp(rng.normal(0, .7, n))).astype(np.int64) + 5
            tout = (TOK_BASE[cat, 1] * a["tout"] * np.exp(rng.normal(0, .7, n))).astype(np.int64) + 1
            tin = np.minimum(tin, 190000)
            tout = np.minimum(tout, 32000)
            if a["uas"]:
                uw = np.asarray(a["uaw"], float)
                ua = np.array(a["uas"], dtype=object)[rng.choice(len(uw), n, p=uw / uw.sum())]
            else:
                ua = np.full(n, "sdk-python/2.6.1", dtype=object)
            if is_oss.any():
                ua[is_oss] = self.ch(OSS_UA)
            key = np.full(n, "", dtype=object)
            kl = a["keylist"]
            console = rng.random(n) < a["console"]
            if kl:
                kts = np.array([k[0] for k in kl])
                kids = np.array([k[1] for k in kl], dtype=object)
                valid = np.maximum(np.searchsorted(kts, t, "right"), 1)
                kidx = np.minimum((rng.random(n) * valid).astype(np.int64), len(kl) - 1)
                key = kids[kidx]
            else:
                console[:] = True
            key = np.where(console, "", key)
            ua = np.where(console, CONSOLE_UA, ua)
            for k_, v_ in (("account_id", np.full(n, a["id"], dtype=object)), ("ts", t), ("ip", ip),
                           ("api_key_id", key), ("model", model), ("category", cats_arr[cat]),
                           ("prompt_fingerprint", fp), ("input_tokens", tin), ("output_tokens", tout),
                           ("user_agent", ua)):
                cols[k_].append(v_)
        ex = pd.DataFrame({k_: np.concatenate(v_) for k_, v_ in cols.items()})
        ex = ex.sort_values(["ts", "account_id"], kind="stable").reset_index(drop=True)
        ex.insert(0, "request_id", [f"req-{i:09d}" for i in range(len(ex))])
        self.exchanges = ex

    # ------------------------------------------------------------ write
    def write(self, out):
        os.makedirs(out, exist_ok=True)

        def iso(col):
            x = np.asarray(col, dtype="float64")
            out = np.char.add(np.datetime_as_string(np.floor(np.nan_to_num(x)).astype("int64").astype("datetime64[s]"),
                                                    unit="s"), "Z").astype(object)
            out[np.isnan(x)] = ""
            return out

        def b(x):
            return "true" if x else "false"

        accts = sorted(self.accts, key=lambda a: (a["created"], a["id"]))
        df = pd.DataFrame(dict(
            account_id=[a["id"] for a in accts], email=[a["email"] for a in accts],
            created_at=iso([a["created"] for a in accts]), country=[a["cc"] for a in accts],
            plan=[a["plan"] for a in accts], status=[a["status"] for a in accts],
            verified=[b(a["verified"]) for a in accts], signup_ip=[a["signup_ip"] for a in accts],
            claimed_org=[a["claimed"] for a in accts], owner_person_id=[a["owner"] for a in accts]))
        df.to_csv(os.path.join(out, "accounts.csv"), index=False)
        tr = sorted(self.accts, key=lambda a: a["id"])
        pd.DataFrame(dict(account_id=[a["id"] for a in tr], is_fraud=[b(a["fraud"]) for a in tr],
                          campaign_id=[a["camp"] for a in tr], org_id=[a["org"] for a in tr],
                          person_id=[a["person"] for a in tr])).to_csv(os.path.join(out, "truth.csv"), index=False)
        pd.DataFrame(self.orgs, columns=["org_id", "name", "kind", "country", "domains", "asns", "netblocks"]) \
            .to_csv(os.path.join(out, "organisations.csv"), index=False)
        pd.DataFrame(self.people, columns=["person_id", "name", "org_id", "role", "seniority", "emails", "device_ids", "ips"]) \
            .to_csv(os.path.join(out, "people.csv"), index=False)
        px = pd.DataFrame(self.proxies, columns=["proxy_id", "ip", "service_org_id", "proxy_type", "first_seen", "last_seen"])
        px["first_seen"] = iso(px["first_seen"])
        px["last_seen"] = iso(px["last_seen"])
        px.to_csv(os.path.join(out, "proxies.csv"), index=False)
        # ip intel: partial coverage, as enrichment feeds are
        seen = set(self.logins["ip"]) | set(self.exchanges["ip"]) | {k[3] for k in self.keys} | \
            {a["signup_ip"] for a in self.accts} | set(px["ip"])
        for p_ in self.people:
            seen.update(x for x in p_["ips"].split(";") if x)
        rows = []
        for ip, (asn, org, cc, dc, vpn, tor, cov) in self.ipinfo.items():
            if ip in seen and self.p(cov):
                rows.append(dict(ip=ip, asn=asn, asn_org=org, country=cc, is_datacenter=b(dc), is_vpn=b(vpn), is_tor=b(tor)))
        pd.DataFrame(rows, columns=["ip", "asn", "asn_org", "country", "is_datacenter", "is_vpn", "is_tor"]) \
            .to_csv(os.path.join(out, "ip_intel.csv"), index=False)
        pc = pd.DataFrame([[fp] + v for fp, v in self.cards.items()],
                          columns=["card_fingerprint", "bin", "last4", "issuer_country", "billing_name",
                                   "billing_email", "billing_org_id"])
        used_fp = {x[1] for x in self.acards}
        pc = pc[pc["card_fingerprint"].isin(used_fp)]
        pc.to_csv(os.path.join(out, "payment_cards.csv"), index=False)
        ac = pd.DataFrame(dict(account_id=[x[0]["id"] for x in self.acards], card_fingerprint=[x[1] for x in self.acards],
                               first_used=iso([x[2] for x in self.acards]), last_used=iso([x[3] for x in self.acards])))
        ac = ac.drop_duplicates(["account_id", "card_fingerprint"]).sort_values(["account_id", "first_used"])
        ac.to_csv(os.path.join(out, "account_cards.csv"), index=False)
        lg = self.logins.sort_values(["ts", "account_id"], kind="stable").copy()
        lg["ts"] = iso(lg["ts"].to_numpy())
        lg.to_csv(os.path.join(out, "logins.csv"), index=False)
        ks = sorted(self.keys, key=lambda k: k[2])
        pd.DataFrame(dict(api_key_id=[k[0] for k in ks], account_id=[k[1] for k in ks], created_at=iso([k[2] for k in ks]),
                          created_from_ip=[k[3] for k in ks])).to_csv(os.path.join(out, "api_keys.csv"), index=False)
        idf = pd.DataFrame(dict(account_id=[x[0]["id"] for x in self.idents], kind=[x[1] for x in self.idents],
                                value=[x[2] for x in self.idents], first_seen=[x[3] for x in self.idents],
                                last_seen=[x[4] for x in self.idents]))
        idf = idf.drop_duplicates(["account_id", "kind", "value"]).sort_values(["account_id", "kind", "first_seen"])
        idf["first_seen"] = iso(idf["first_seen"].to_numpy())
        idf["last_seen"] = iso(idf["last_seen"].to_numpy())
        idf.to_csv(os.path.join(out, "account_identifiers.csv"), index=False)
        lk = pd.DataFrame(dict(src_account_id=[x[0]["id"] for x in self.links], dst_account_id=[x[1]["id"] for x in self.links],
                               kind=[x[2] for x in self.links], ts=[min(x[3], LOG_END - 60) for x in self.links],
                               amount=[("" if x[4] is None else f"{x[4]:.2f}") for x in self.links],
                               currency=[x[5] or "" for x in self.links]))
        lk = lk.sort_values("ts", kind="stable")
        lk["ts"] = iso(lk["ts"].to_numpy())
        lk.to_csv(os.path.join(out, "account_links.csv"), index=False)
        ev = pd.DataFrame(self.events, columns=["event_id", "ts", "kind", "model", "description"])
        ev["ts"] = iso(ev["ts"])
        ev.to_csv(os.path.join(out, "events.csv"), index=False)
        ex = self.exchanges
        ex["ts"] = pd.to_datetime(ex["ts"].to_numpy(), unit="s", utc=True).floor("ms")
        ex.to_parquet(os.path.join(out, "exchanges.parquet"), index=False)

    # ------------------------------------------------------------ summary
    def summary(self):
        n = len(self.accts)
        nf = sum(1 for a in self.accts if a["fraud"])
        print(f"accounts: {n}")
        print(f"fraud accounts: {nf} ({100.0 * nf / n:.1f}%)")
        print(f"rings / operations (campaigns): {len(self.campaigns)}")
        by = defaultdict(list)
        for c in self.campaigns:
            by[c["type"]].append(len(c["accts"]))
        for k in sorted(by):
            v = by[k]
            print(f"  {k:24s} {len(v):3d} campaigns, {sum(v):5d} accounts, sizes {min(v)}-{max(v)}")
        gs = sum(v for k, v in self.igroups.items())
        print(f"innocent sharing groups: {gs}")
        for k in sorted(self.igroups):
            if self.igroups[k]:
                print(f"  {k:24s} {self.igroups[k]:4d} groups, {self.igroup_accts[k]:5d} accounts")
        print(f"organisations: {len(self.orgs)}, people: {len(self.people)}, proxies: {len(self.proxies)}")
        print(f"requests: {len(self.exchanges)} ({len(self.exchanges) / n:.1f} per account), logins: {len(self.logins)}")


# ---------------------------------------------------------------- check
ISO_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?$")
REQUIRED = {
    "organisations": ["org_id", "name"], "people": ["person_id", "name"], "accounts": ["account_id"],
    "proxies": ["proxy_id", "ip", "service_org_id"], "ip_intel": ["ip"], "payment_cards": ["card_fingerprint"],
    "account_cards": ["account_id", "card_fingerprint"], "logins": ["account_id", "ts"],
    "api_keys": ["api_key_id", "account_id"], "account_identifiers": ["account_id", "kind", "value"],
    "account_links": ["src_account_id", "dst_account_id", "kind"],
    "exchanges": ["request_id", "account_id", "ts", "ip"], "events": ["event_id", "ts", "kind"],
    "truth": ["account_id", "is_fraud"],
}
TS_COLS = {"accounts": ["created_at"], "proxies": ["first_seen", "last_seen"], "account_cards": ["first_used", "last_used"],
           "logins": ["ts"], "api_keys": ["created_at"], "account_identifiers": ["first_seen", "last_seen"],
           "account_links": ["ts"], "events": ["ts"], "exchanges": ["ts"]}
BOOL_COLS = {"accounts": ["verified"], "ip_intel": ["is_datacenter", "is_vpn", "is_tor"], "truth": ["is_fraud"]}
ID_COLS = {"accounts": ["account_id", "owner_person_id"], "organisations": ["org_id"], "people": ["person_id"],
           "proxies": ["proxy_id"], "payment_cards": ["card_fingerprint"], "api_keys": ["api_key_id"],
           "logins": ["device_id"], "exchanges": ["request_id", "api_key_id", "prompt_fingerprint"],
           "events": ["event_id"], "truth": ["campaign_id", "org_id", "person_id"]}
IP_COLS = {"accounts": ["signup_ip"], "proxies": ["ip"], "ip_intel": ["ip"], "logins": ["ip"],
           "api_keys": ["created_from_ip"], "exchanges": ["ip"]}


def luhn(s):
    d = [int(c) for c in s][::-1]
    tot = 0
    for i, x in enumerate(d):
        if i % 2:
            x *= 2
            if x > 9:
                x -= 9
        tot += x
    return tot % 10 == 0


def check(out):
    errs = []
    t = {}
    for f in sorted(os.listdir(out)):
        name, ext = f.split(".", 1)
        if ext == "parquet":
            d = pd.read_parquet(os.path.join(out, f))
            if "ts" in d and str(d["ts"].dtype).startswith("datetime64"):
                d["ts"] = d["ts"].dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
            d = d.astype(str).replace({"nan": "", "None": "", "<NA>": ""})
        else:
            d = pd.read_csv(os.path.join(out, f), dtype=str, keep_default_na=False)
        t[name] = d
    if list(t["truth"].columns) != ["account_id", "is_fraud", "campaign_id", "org_id", "person_id"]:
        errs.append(f"truth columns {list(t['truth'].columns)}")
    for name, cols in REQUIRED.items():
        if name not in t:
            errs.append(f"missing table {name}")
            continue
        for c in cols:
            if c not in t[name].columns:
                errs.append(f"{name}: missing column {c}")
            elif (t[name][c] == "").any():
                errs.append(f"{name}: empty required {c} ({(t[name][c] == '').sum()} rows)")
    for name, cols in TS_COLS.items():
        for c in cols:
            v = t[name][c]
            v = v[v != ""]
            bad = ~v.str.match(ISO_RE)
            if bad.any():
                errs.append(f"{name}.{c}: {bad.sum()} non-ISO timestamps e.g. {v[bad].iloc[0]}")
    for name, cols in BOOL_COLS.items():
        for c in cols:
            bad = ~t[name][c].isin(["true", "false"])
            if bad.any():
                errs.append(f"{name}.{c}: {bad.sum()} non-boolean")
    long_digits = re.compile(r"(?<!\d)\d{13,19}(?!\d)")
    for name, d in t.items():
        for c in d.columns:
            u_ = pd.Series(d[c].unique())
            u_ = u_[u_.str.contains(r"\d{13}", regex=True)]
            for v in u_:
                for m in long_digits.findall(v.replace(" ", "").replace("-", "")):
                    errs.append(f"{name}.{c}: 13-19 digit run {'luhn-valid ' if luhn(m) else ''}found: ...{m[-4:]}")
    for name, cols in ID_COLS.items():
        for c in cols:
            if c in t[name]:
                bad = t[name][c].str.fullmatch(r"\d{6,}")
                if bad.any():
                    errs.append(f"{name}.{c}: {bad.sum()} long all-digit ids")
    fps = t["payment_cards"]["card_fingerprint"]
    if fps.str.fullmatch(r"\d{13,19}").any():
        errs.append("card_fingerprint looks like a PAN")
    if fps.duplicated().any():
        errs.append("duplicate card_fingerprint")
    for name, cols in IP_COLS.items():
        for c in cols:
            for v in t[name][c].unique():
                if v == "":
                    continue
                try:
                    ipaddress.ip_address(v)
                except ValueError:
                    errs.append(f"{name}.{c}: bad ip {v}")
                    break
    for nb in ";".join(t["organisations"]["netblocks"]).split(";"):
        if nb:
            try:
                ipaddress.ip_network(nb, strict=True)
            except ValueError:
                errs.append(f"bad netblock {nb}")
    acc = set(t["accounts"]["account_id"])
    if len(acc) != len(t["accounts"]):
        errs.append("duplicate account_id")
    orgs = set(t["organisations"]["org_id"])
    people = set(t["people"]["person_id"])
    keys = set(t["api_keys"]["api_key_id"])
    cards = set(fps)

    def ref(name, col, universe, allow_empty=False):
        v = t[name][col]
        if allow_empty:
            v = v[v != ""]
        bad = ~v.isin(universe)
        if bad.any():
            errs.append(f"{name}.{col}: {bad.sum()} dangling references e.g. {v[bad].iloc[0]}")

    for name, col in (("account_cards", "account_id"), ("logins", "account_id"), ("api_keys", "account_id"),
                      ("account_identifiers", "account_id"), ("account_links", "src_account_id"),
                      ("account_links", "dst_account_id"), ("exchanges", "account_id"), ("truth", "account_id")):
        ref(name, col, acc)
    if set(t["truth"]["account_id"]) != acc:
        errs.append("truth does not cover every account")
    ref("account_cards", "card_fingerprint", cards)
    ref("exchanges", "api_key_id", keys, True)
    ref("accounts", "owner_person_id", people, True)
    ref("people", "org_id", orgs, True)
    ref("payment_cards", "billing_org_id", orgs, True)
    ref("truth", "org_id", orgs, True)
    ref("truth", "person_id", people, True)
    psvc = set(t["organisations"].loc[t["organisations"]["kind"] == "proxy_service", "org_id"])
    ref("proxies", "service_org_id", psvc)
    allowed = {("organisations", "kind"): {"ai_lab", "proxy_service", "cloud_provider", "payment_processor", "enterprise", "other"},
               ("accounts", "plan"): {"free", "pro", "team", "enterprise", "api"},
               ("accounts", "status"): {"active", "suspended", "banned", "closed"},
               ("proxies", "proxy_type"): {"residential", "datacenter", "mobile"},
               ("people", "seniority"): {"junior", "mid", "senior", "executive", ""},
               ("exchanges", "category"): set(CATS)}
    for (name, col), vals in allowed.items():
        bad = ~t[name][col].isin(vals)
        if bad.any():
            errs.append(f"{name}.{col}: unexpected values {sorted(set(t[name][col][bad]))[:5]}")
    for name, col in (("accounts", "country"), ("organisations", "country"), ("ip_intel", "country"),
                      ("payment_cards", "issuer_country")):
        v = t[name][col]
        bad = ~v[v != ""].str.fullmatch(r"[A-Z]{2}")
        if bad.any():
            errs.append(f"{name}.{col}: bad country codes")
    for name, col in (("account_identifiers", "kind"), ("account_links", "kind")):
        if (~t[name][col].str.fullmatch(r"[a-z_]+")).any():
            errs.append(f"{name}.{col}: not lower case")
    lg = t["logins"]
    if ((lg["ip"] == "") & (lg["device_id"] == "")).any():
        errs.append("login row without ip and device_id")
    tr = t["truth"]
    fr = tr["is_fraud"] == "true"
    if (tr.loc[fr, "campaign_id"] == "").any() or (tr.loc[~fr, "campaign_id"] != "").any():
        errs.append("campaign_id inconsistent with is_fraud")
    if (tr.loc[~fr, "org_id"] != "").any() or (tr.loc[~fr, "person_id"] != "").any():
        errs.append("legit account with org/person in truth")
    rpa = len(t["exchanges"]) / len(acc)
    if rpa > 30:
        errs.append(f"{rpa:.1f} requests per account > 30")
    # sharing statistics: accounts that share a card, device, identifier value
    # (excluding ubiquitous browser/TLS fingerprints) or login IP with another account
    fraud = set(tr.loc[fr, "account_id"])
    pairs = [t["account_cards"][["account_id", "card_fingerprint"]].rename(columns={"card_fingerprint": "v"}).assign(k="card"),
             lg.loc[lg["device_id"] != "", ["account_id", "device_id"]].rename(columns={"device_id": "v"}).assign(k="device"),
             t["account_identifiers"].loc[~t["account_identifiers"]["kind"].isin(["browser_fingerprint", "tls_fingerprint"]),
                                          ["account_id", "value", "kind"]].rename(columns={"value": "v", "kind": "k"})]
    pr = pd.concat(pairs).drop_duplicates()
    cnt = pr.groupby(["k", "v"])["account_id"].transform("nunique")
    sharers = set(pr.loc[cnt > 1, "account_id"])
    lip = lg[["account_id", "ip"]].drop_duplicates()
    ipc = lip.groupby("ip")["account_id"].transform("nunique")
    ipsh = set(lip.loc[ipc > 1, "account_id"])
    ni = len(acc) - len(fraud)
    print("check: sharing a card/device/identifier with another account: "
          f"innocent {len(sharers - fraud)} ({100.0 * len(sharers - fraud) / max(1, ni):.1f}% of innocents), "
          f"fraud {len(sharers & fraud)} ({100.0 * len(sharers & fraud) / max(1, len(fraud)):.1f}% of fraud)")
    print(f"check: sharing a login IP with another account: innocent {len(ipsh - fraud)}, fraud {len(ipsh & fraud)}")
    for name in sorted(t):
        print(f"check: {name:20s} {len(t[name]):9d} rows  {','.join(t[name].columns)}")
    if errs:
        print("CHECK FAILED:")
        for e in errs[:60]:
            print("  " + e)
        return False
    print("check: OK, every file matches the data contract")
    return True


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out_dir")
    ap.add_argument("--accounts", type=int, default=20000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--check", action="store_true", help="validate the written files against the data contract")
    args = ap.parse_args(argv)
    t0 = time.time()
    w = World(args.accounts, args.seed)
    w.build()
    w.finalize()
    w.write(args.out_dir)
    w.summary()
    print(f"written to {args.out_dir} in {time.time() - t0:.1f}s")
    if args.check:
        ok = check(args.out_dir)
        if not ok:
            sys.exit(1)


if __name__ == "__main__":
    main()
