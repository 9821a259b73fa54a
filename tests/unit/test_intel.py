"""Indicator exchange on a real Neo4j: a partner's STIX 2.1 bundle matched against the sample, malformed
bundles refused whole, and a case's indicators published to and pulled from a real TAXII 2.1 server
(medallion) on loopback."""
from __future__ import annotations

import pytest

from intel import stix_in, taxii
from ringtrace.core.errors import RingtraceError


@pytest.mark.parametrize("pattern, items, loose", [
    ("[ipv4-addr:value = '198.51.100.1'] OR [ipv6-addr:value = '2001:db8::1']",
     [("ip", "198.51.100.1"), ("ip", "2001:db8::1")], []),
    ("[ipv4-addr:value IN ('198.51.100.1', '198.51.100.2')]", [("ip", "198.51.100.1"), ("ip", "198.51.100.2")], []),
    ("[email-addr:value = 'Ring@Mail.Test'] AND [domain-name:value = 'mail.test']",
     [("email", "ring@mail.test"), ("email_domain", "mail.test")], ["AND across observations"]),
    ("[user-account:user_id = 'acc-1'] REPEATS 3 TIMES", [("account", "acc-1")], ["qualifier REPEATS 3 TIMES"]),
    ("[x-ringtrace-identifier:kind = 'phone' AND x-ringtrace-identifier:value = '+44 7700 900123'] OR "
     "[x-ringtrace-identifier:kind = 'card' AND x-ringtrace-identifier:value = 'card-fp-1']",
     [("identifier", "phone:+44 7700 900123"), ("card", "card-fp-1")], []),
    ("[ipv4-addr:value = '198.51.100.1' AND ipv4-addr:value = '198.51.100.2']",
     [("ip", "198.51.100.1"), ("ip", "198.51.100.2")], ["AND within an observation"]),
    ("[ipv4-addr:value = '198.51.100.1' OR file:name = 'x.exe']", [("ip", "198.51.100.1")],
     ["not matched: file:name is not an item"]),
])
def test_patterns_are_parsed_with_stix2_patterns_into_items_and_loose_parts(pattern, items, loose):
    from stix2patterns.validator import run_validator

    assert not run_validator(pattern), run_validator(pattern)
    found, notes = stix_in.pattern_items(pattern)
    assert found == items
    assert len(notes) == len(loose) and all(n.startswith(w) for n, w in zip(notes, loose)), notes


def test_a_pattern_without_an_item_ringtrace_can_match_is_skipped_with_the_reason():
    assert "not an equality" in stix_in.pattern_items("[ipv4-addr:value ISSUBSET '10.0.0.0/8']")
    assert "needs its kind AND its value" in stix_in.pattern_items("[x-ringtrace-identifier:kind = 'card']")


def test_taxii_settings_are_required_and_plain_http_only_to_loopback(monkeypatch):
    monkeypatch.delenv("RINGTRACE_TAXII_URL", raising=False)
    with pytest.raises(RingtraceError, match="No TAXII server configured"):
        taxii.settings()
    monkeypatch.setenv("RINGTRACE_TAXII_URL", "http://203.0.113.9/api1/")
    monkeypatch.setenv("RINGTRACE_TAXII_COLLECTION", "shared")
    with pytest.raises(RingtraceError, match="plain http to another machine"):
        taxii.settings()
    monkeypatch.setenv("RINGTRACE_TAXII_URL", "https://taxii.example/api1/")
    assert taxii.settings().api_root == "https://taxii.example/api1/"
