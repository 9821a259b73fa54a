"""Issue 26, item 2: sign-in throttling keyed on a real client or the user (never on an unknown client),
checked and counted in one step before bcrypt, field sizes capped before anything is written, and passwords
longer than bcrypt reads refused alike for every name. No server needed: `workbench.auth.sign_in` is what
the login form calls."""
from __future__ import annotations

import json
import threading

import pytest

from ringtrace.core import audit, config
from workbench import auth


@pytest.fixture()
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("RINGTRACE_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("RINGTRACE_TRUSTED_PROXY_HEADER", raising=False)
    auth.add_user("ivan", "right-password", "investigator")
    return tmp_path / "home"


def _actions() -> list[str]:
    return [e["action"] for e in audit.entries()]


def test_made_up_names_from_an_unknown_client_lock_nobody_else_out(home):
    """Behind a loopback proxy Streamlit reports no client address: ten failures with made-up names locked
    every user out ('client:unknown')."""
    for i in range(config.LOGIN_MAX_FAILURES + 2):
        assert auth.sign_in(f"made-up-{i}", "guess", None).role is None
    assert auth.sign_in("ivan", "right-password", None).role == "investigator"
    assert "client:unknown" not in (home / "login-failures.json").read_text()


def test_the_user_is_still_locked_out_from_an_unknown_client(home):
    for i in range(config.LOGIN_MAX_FAILURES):
        assert auth.sign_in("ivan", f"guess-{i}", None).role is None
    refused = auth.sign_in("ivan", "right-password", None)
    assert refused.role is None and refused.wait_s > 0


def test_a_configured_proxy_header_names_the_client(home, monkeypatch):
    """With RINGTRACE_TRUSTED_PROXY_HEADER set, the client is the last address the proxy put in that header:
    a sprayer is locked out by address, other clients are not; junk in the header is no address."""
    monkeypatch.setenv("RINGTRACE_TRUSTED_PROXY_HEADER", "X-Forwarded-For")
    sprayer = auth.client_of({"x-forwarded-for": "198.51.100.1, 203.0.113.5"}, None)
    assert sprayer == "203.0.113.5"
    assert auth.client_of({"X-Forwarded-For": "not an address"}, None) is None
    assert auth.client_of({}, "192.0.2.7") == "192.0.2.7", "without the header: the socket's peer"
    monkeypatch.delenv("RINGTRACE_TRUSTED_PROXY_HEADER")
    assert auth.client_of({"X-Forwarded-For": "203.0.113.5"}, None) is None, "the header is trusted only if set"
    for i in range(config.LOGIN_MAX_FAILURES):
        auth.sign_in(f"made-up-{i}", "guess", sprayer)
    assert auth.sign_in("ivan", "right-password", sprayer).wait_s > 0, "the sprayer's address is locked"
    assert auth.sign_in("ivan", "right-password", "203.0.113.6").role == "investigator"


def test_forty_sign_ins_at_once_check_at_most_the_allowed_guesses(home):
    """The count is taken under the lock before bcrypt: 40 concurrent guesses check at most
    LOGIN_MAX_FAILURES passwords (before: 39 of 40 were checked)."""
    attempts = 40
    barrier = threading.Barrier(attempts)
    results: list[auth.SignIn] = []

    def guess(i: int) -> None:
        barrier.wait()
        results.append(auth.sign_in("ivan", f"guess-{i}", "10.0.0.7"))

    threads = [threading.Thread(target=guess, args=(i,)) for i in range(attempts)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    checked, refused = _actions().count("login_failed"), _actions().count("login_refused")
    assert checked + refused == attempts and len(results) == attempts
    assert checked <= config.LOGIN_MAX_FAILURES, f"{checked} of {attempts} guesses were checked"
    assert auth.sign_in("ivan", "right-password", "10.0.0.8").wait_s > 0, "and the user is locked out"


def test_huge_user_names_and_passwords_write_almost_nothing(home):
    """Three sign-ins with 20 MB user names added 60 MB to the audit log and the failures file."""
    huge = "n" * (20 << 20)
    for _ in range(3):
        assert auth.sign_in(huge, "p" * (20 << 20), "10.0.0.9").role is None
    assert (home / "audit.log").stat().st_size < 4096
    assert (home / "login-failures.json").stat().st_size < 4096
    entry = audit.entries()[-1]
    assert entry["action"] == "login_failed" and entry["name_chars"] == len(huge) and len(entry["user"]) < 100
    with pytest.raises(Exception, match="at most"):
        auth.add_user("u" * (config.LOGIN_NAME_MAX_CHARS + 1), "a-password", "viewer")


def test_passwords_over_72_bytes_are_refused_alike_for_every_name(home):
    """bcrypt reads 72 bytes: a longer password crashed the sign-in of a real user only (an unknown name got
    "wrong password"), which told the two apart and left no audit entry."""
    long_password = "x" * 73
    outcomes = [auth.sign_in(name, long_password, "10.0.0.10") for name in ("ivan", "nobody")]
    assert outcomes[0] == outcomes[1] == auth.SignIn(None)
    entries = [e for e in audit.entries() if e["action"] == "login_failed"]
    assert [e["user"] for e in entries] == ["ivan", "nobody"]
    assert {json.dumps({k: v for k, v in e.items() if k not in ("at", "user")}) for e in entries} == \
        {json.dumps({k: v for k, v in entries[0].items() if k not in ("at", "user")})}, "the same entry"
    with pytest.raises(Exception, match="72 bytes"):
        auth.add_user("olga", "é" * 37, "viewer")  # 74 bytes
    auth.add_user("olga", "é" * 36, "viewer")  # 72 bytes: allowed
    assert auth.sign_in("olga", "é" * 36, "10.0.0.11").role == "viewer"
