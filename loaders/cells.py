"""Checks and conversions for single cell values, one function per contract kind."""
from __future__ import annotations

import ipaddress
import re

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from loaders.contract import Column, Kind

LIST_SEPARATOR = ";"
MAX_CELL_CHARS = 10_000
TRUE_WORDS = {"true", "1", "yes"}
FALSE_WORDS = {"false", "0", "no"}
EMAIL_RE = re.compile(r"^[^@\s]+@([A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)+)$")
ID_RE = re.compile(r"^[^\x00-\x1f]{1,256}$")
WORD_RE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
CURRENCY_RE = re.compile(r"^[A-Z]{3}$")
# A card number as people write it: 13-19 digits run together or split by spaces or dashes, or in
# groups (4-4-4-x, 4-6-5) split by one repeated separator of any kind ("4111.1111.1111.1111").
PAN_CANDIDATE_RE = re.compile(
    r"(?<!\d)(?:(?:\d[ -]?){12,18}\d"
    r"|\d{4}(?P<s>[^0-9A-Za-z]{1,3})\d{4}(?P=s)\d{4}(?:(?P=s)?\d{1,7})?"
    r"|\d{4}(?P<t>[^0-9A-Za-z]{1,3})\d{6}(?P=t)\d{4,5})(?!\d)")
# A superset of PAN_CANDIDATE_RE in RE2 syntax (no look-arounds or back-references) for Arrow's fast scan.
PAN_PREFILTER = r"(?:\d[ -]?){12,18}\d|\d{4}[^0-9A-Za-z]{1,3}\d{4}[^0-9A-Za-z]{1,3}\d{4}|\d{4}[^0-9A-Za-z]{1,3}\d{6}"
# ISO 3166-1 alpha-2 officially assigned codes.
COUNTRIES = frozenset("""
AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS
BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE
EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM
HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC
LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA
NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW
SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO
TR TT TV TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW""".split())


class CellError(ValueError):
    """A cell that breaks the contract; the message is the reason shown in the rejects file."""


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def find_pan(text: str) -> str | None:
    """The first run of 13-19 digits (spaces or dashes allowed) that passes Luhn, if any."""
    for match in PAN_CANDIDATE_RE.finditer(text):
        digits = re.sub(r"\D", "", match.group(0))
        if 13 <= len(digits) <= 19 and luhn_ok(digits):
            return match.group(0)
    return None


def mask_pans(text: str) -> str:
    """Replace every card-number-like digit run by its mask, keeping the last 4 digits."""
    def repl(m: re.Match[str]) -> str:
        digits = re.sub(r"\D", "", m.group(0))
        if 13 <= len(digits) <= 19 and luhn_ok(digits):
            return "*" * (len(digits) - 4) + digits[-4:]
        return m.group(0)
    return PAN_CANDIDATE_RE.sub(repl, text)


def parse_ip(value: str) -> str:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        raise CellError(f"'{value}' is not an IPv4 or IPv6 address") from None


def parse_cidr(value: str) -> str:
    try:
        return str(ipaddress.ip_network(value.strip(), strict=False))
    except ValueError:
        raise CellError(f"'{value}' is not a CIDR block") from None


def parse_bool(value: str) -> bool:
    word = value.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise CellError(f"'{value}' is not a boolean (true/false, 1/0, yes/no)")


def parse_int(value: str) -> int:
    try:
        return int(value.strip())
    except ValueError:
        raise CellError(f"'{value}' is not an integer") from None


def parse_country(value: str) -> str:
    code = value.strip().upper()
    if code not in COUNTRIES:
        raise CellError(f"'{value}' is not an ISO 3166-1 alpha-2 country code")
    return code


def parse_email(value: str) -> str:
    v = value.strip()
    if not EMAIL_RE.match(v):
        raise CellError(f"'{value}' is not an email address")
    return v.lower()


def parse_id(value: str) -> str:
    v = value.strip()
    if not ID_RE.match(v):
        raise CellError("id is longer than 256 characters or holds control characters")
    return v


def split_list(value: str) -> list[str]:
    return [p.strip() for p in value.split(LIST_SEPARATOR) if p.strip()]


def convert(column: Column, value: str) -> object:
    """The typed value of a non-empty cell; raise CellError with the reason when it is bad."""
    kind = column.kind
    if kind in (Kind.TEXT,):
        return value
    if kind == Kind.ID:
        return parse_id(value)
    if kind == Kind.IP:
        return parse_ip(value)
    if kind == Kind.IP_LIST:
        return [parse_ip(v) for v in split_list(value)]
    if kind == Kind.CIDR_LIST:
        return [parse_cidr(v) for v in split_list(value)]
    if kind == Kind.COUNTRY:
        return parse_country(value)
    if kind == Kind.BOOL:
        return parse_bool(value)
    if kind == Kind.INT:
        return parse_int(value)
    if kind == Kind.INT_LIST:
        return [parse_int(v.upper().removeprefix("AS")) for v in split_list(value)]
    if kind == Kind.TEXT_LIST:
        return split_list(value)
    if kind == Kind.EMAIL:
        return parse_email(value)
    if kind == Kind.EMAIL_LIST:
        return [parse_email(v) for v in split_list(value)]
    if kind == Kind.ENUM:
        v = value.strip().lower()
        if v not in column.enum:
            raise CellError(f"'{value}' is not one of {', '.join(column.enum)}")
        return v
    if kind == Kind.DIGITS:
        v = value.strip()
        lo, hi = column.digits
        if not (v.isdigit() and lo <= len(v) <= hi):
            raise CellError(f"'{value}' is not {lo}-{hi} digits" if lo != hi else f"'{value}' is not {lo} digits")
        return v
    if kind == Kind.WORD:
        v = value.strip().lower().replace("-", "_").replace(" ", "_")
        if not WORD_RE.match(v):
            raise CellError(f"'{value}' is not a lower-case word (letters, digits and _, at most 64)")
        return v
    if kind == Kind.NUMBER:
        try:
            number = float(value.strip())
        except ValueError:
            raise CellError(f"'{value}' is not a number") from None
        if number != number or number in (float("inf"), float("-inf")):
            raise CellError(f"'{value}' is not a finite number")
        return number
    if kind == Kind.CURRENCY:
        v = value.strip().upper()
        if not CURRENCY_RE.match(v):
            raise CellError(f"'{value}' is not an ISO 4217 currency code")
        return v
    raise AssertionError(f"unhandled kind {kind}")  # TIMESTAMP is converted column-wise


# Values `convert` certainly returns unchanged and accepts, recognised without a Python call per value (RE2
# syntax, for Arrow): printable ASCII ids without spaces, canonical dotted-quad IPv4 addresses.
PLAIN_ID = r"^[\x21-\x7e]{1,256}$"
OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
PLAIN_IPV4 = rf"^{OCTET}(?:\.{OCTET}){{3}}$"


def unchanged(column: Column, values: np.ndarray) -> np.ndarray:
    """Which of the distinct non-empty cells `values` `convert` would accept and return as they are (a
    conservative answer: False only sends a value through `convert`)."""
    if len(values) == 0:
        return np.zeros(0, dtype=bool)
    arr = pa.array(values, type=pa.string())
    if column.kind == Kind.TEXT:
        mask = pc.not_equal(arr, "")
    elif column.kind == Kind.ID:
        mask = pc.match_substring_regex(arr, PLAIN_ID)
    elif column.kind == Kind.IP:
        mask = pc.match_substring_regex(arr, PLAIN_IPV4)
    elif column.kind == Kind.ENUM:
        mask = pc.is_in(arr, value_set=pa.array(column.enum, type=pa.string()))
    elif column.kind == Kind.COUNTRY:
        mask = pc.is_in(arr, value_set=pa.array(sorted(COUNTRIES), type=pa.string()))
    else:
        return np.zeros(len(values), dtype=bool)
    return np.asarray(mask.to_numpy(zero_copy_only=False), dtype=bool)


def email_domain(email: str) -> str:
    return email.rsplit("@", 1)[1].lower()


NS_PER_SECOND = 1_000_000_000
NS_PER_MICROSECOND = 1_000


def isoformat(values: np.ndarray, suffix: str) -> np.ndarray:
    """What Timestamp.isoformat() writes for each value: no fraction for whole seconds, 6 digits for whole
    microseconds, 9 otherwise, then the offset."""
    below_second = values.astype("int64") % NS_PER_SECOND
    whole_us = below_second % NS_PER_MICROSECOND == 0
    text = np.empty(len(values), dtype=object)
    for unit, which in (("s", below_second == 0), ("us", (below_second != 0) & whole_us), ("ns", ~whole_us)):
        if which.any():
            text[which] = np.datetime_as_string(values[which], unit=unit)
    return text + suffix
