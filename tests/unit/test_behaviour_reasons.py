"""Reasons in words for groups found by behaviour, from a request log in a throwaway home (no server)."""
from __future__ import annotations

from behaviour_log import fleet_log, releases


def test_a_synchronised_groups_reason_names_waves_category_and_model_move(tmp_path, monkeypatch):
    """The reason detection writes for a synchronised group (cosync.describe, what strengthen puts on the
    cluster and the campaign repeats) says it as an investigator would: accounts active together in how many
    six-hourly waves, the category share in words, and the move to the newest model."""
    from detection import cosync

    fleet = fleet_log(tmp_path, monkeypatch)
    links = cosync.no_links()
    links.pairs_searched = 1225.0
    reason = cosync.describe(fleet, fleet, links, 19 * 6.5, releases())
    # 38 six-hourly windows from the first wave's (2026-09-01 00:00-06:00) to the release day's last one
    # (2026-09-10 06:00-12:00); the group acted together in 9 night windows and 2 on release day.
    assert reason.startswith("20 accounts active together in 11 of 38 six-hourly waves (at least 5 of them in each)")
    assert "70 % chain-of-thought elicitation" in reason
    assert "all on sol-4 within 9 h of its release" in reason
    assert "co-active beyond chance: 6.5 decades per account" in reason


def test_in_words_when_only_part_of_the_group_moved():
    from detection.behaviour_reasons import BehaviourFacts, in_words

    text = in_words(BehaviourFacts(212, 200, 143, 228, 20, 21600, "cot_elicitation", 0.71, 1800, 4.0, "sol-4",
                                   106, 2.0, 9.4, 40.0))
    assert text.startswith("200 of the 212 accounts active together in 143 of 228 six-hourly waves")
    assert "71 % chain-of-thought elicitation, 50 % on sol-4, half of them within 9 h of its release" in text
