"""DNS question names → registered domain, top-level domain and subdomain
(collectors.domains): the Public Suffix List offline, the fallback for
unknown suffixes, odd names, and the cache shortcut agreeing with tldextract."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest
import tldextract

from collectors.domains import MAX_CACHED, _cached_fields, question_fields

ROOT = Path(__file__).resolve().parents[2]


def parts(name: str) -> tuple[str | None, str | None, str | None]:
    f = question_fields(name)
    return (f.get("dns.question.registered_domain"), f.get("dns.question.top_level_domain"),
            f.get("dns.question.subdomain"))


@pytest.mark.parametrize(("name", "expected"), [
    ("www.google.com", ("google.com", "com", "www")),
    ("dichvucong.gov.vn", ("dichvucong.gov.vn", "gov.vn", None)),
    ("a.b.bbc.co.uk", ("bbc.co.uk", "co.uk", "a.b")),
    # a private suffix of the list: one CDN distribution is its own domain
    ("img.d111abc.cloudfront.net", ("d111abc.cloudfront.net", "cloudfront.net", "img")),
    # the list's wildcard and exception rules (*.ck, !www.ck)
    ("a.b.c.ck", ("b.c.ck", "c.ck", "a")),
    ("www.ck", ("www.ck", "ck", None)),
    # suffixes the list does not know: the last two labels
    ("q1.s2.dongbo-dulieu.example", ("dongbo-dulieu.example", "example", "q1.s2")),
    ("_ldap._tcp.dc._msdcs.corp.local", ("corp.local", "local", "_ldap._tcp.dc._msdcs")),
    ("printer.lan", ("printer.lan", "lan", None)),
    ("wpad", ("wpad", None, None)),
    # spelling: trailing dot, case (0x20 randomisation), Unicode full stops
    ("WwW.ThanhPho.Example.", ("thanhpho.example", "example", "www")),
    ("mail\u3002thanhpho\uff0eexample", ("thanhpho.example", "example", "mail")),
    # IDN, as punycode on the wire and as Unicode
    ("www.xn--bcher-kva.xn--p1ai", ("xn--bcher-kva.xn--p1ai", "xn--p1ai", "www")),
    ("www.bücher.рф", ("bücher.рф", "рф", "www")),
    ("xn--80ak6aa92e.com", ("xn--80ak6aa92e.com", "com", None)),
    # reverse names follow the list (in-addr.arpa and ip6.arpa are suffixes)
    ("4.3.2.10.in-addr.arpa", ("10.in-addr.arpa", "in-addr.arpa", "4.3.2")),
    ("b.a.9.8.ip6.arpa", ("8.ip6.arpa", "ip6.arpa", "b.a.9")),
    # a name that is itself a public suffix has no registered domain
    ("co.uk", (None, "co.uk", None)),
    ("com.", (None, "com", None)),
    # URL syntax inside a label is kept as it came, never read as a URL
    ("user@evil.com", ("user@evil.com", "com", None)),
    ("a/b.c.evil.com", ("evil.com", "com", "a/b.c")),
])
def test_names(name: str, expected: tuple[str | None, str | None, str | None]) -> None:
    assert parts(name) == expected


@pytest.mark.parametrize("name", ["", ".", "..", " ", "10.0.0.1", "10.0.0.1.", "2001:db8::1",
                                  "[2001:db8::1]", "fe80::1%eth0"])
def test_no_fields_for_empty_names_and_addresses(name: str) -> None:
    assert question_fields(name) == {}


def test_overlong_names_are_answered_but_not_cached() -> None:
    long_label = "x" * (MAX_CACHED + 10)
    kept = _cached_fields.cache_info().currsize
    assert parts(f"{long_label}.EVIL.com") == ("evil.com", "com", long_label)
    assert parts(f"a.{long_label}") == (f"a.{long_label}", long_label, None)
    assert _cached_fields.cache_info().currsize == kept


def test_shortcut_agrees_with_tldextract_on_the_whole_name() -> None:
    """The cache key is only the tail that decides the suffix: for random names
    under every kind of suffix the answer is the one tldextract gives for the
    whole name."""
    oracle = tldextract.TLDExtract(cache_dir=None, suffix_list_urls=(),
                                   include_psl_private_domains=True)
    rng = random.Random(3)
    tails = ["com", "gov.vn", "co.uk", "kawasaki.jp", "city.kawasaki.jp", "ck", "www.ck",
             "github.io", "s3.amazonaws.com", "in-addr.arpa", "example", "local", "pvt.k12.ma.us",
             "k12.ma.us", "blogspot.com", "xn--p1ai", "edu.vn", "appspot.com"]
    checked = 0
    for _ in range(3000):
        depth = rng.randint(0, 4)
        labels = ["".join(rng.choice("abcdxyz019-") for _ in range(rng.randint(1, 6))).strip("-")
                  or "q" for _ in range(depth)]
        name = ".".join([*labels, rng.choice(tails)])
        want = oracle(name)
        got = question_fields(name)
        if not want.suffix:  # unknown suffix: our own fallback, checked above
            continue
        assert got.get("dns.question.top_level_domain") == want.suffix, name
        assert got.get("dns.question.registered_domain") == (
            want.top_domain_under_public_suffix or None), name
        assert got.get("dns.question.subdomain") == (want.subdomain or None), name
        checked += 1
    assert checked > 2000


def test_cache_returns_the_same_answer_for_a_repeated_name() -> None:
    first = question_fields("a.thanhpho.example")
    again = question_fields("a.thanhpho.example")
    assert again == first == {"dns.question.registered_domain": "thanhpho.example",
                              "dns.question.top_level_domain": "example",
                              "dns.question.subdomain": "a"}


# Audit events of reaching out (importing urllib3 binds ::1 once to probe
# for IPv6: no traffic, so socket creation and bind are not listed).
_OUTBOUND = ("socket.connect", "socket.getaddrinfo", "socket.gethostbyname", "socket.sendto",
             "socket.sendmsg", "http.client.connect", "urllib.Request")
_PROBE = (
    "import json, sys\n"
    "seen = []\n"
    f"sys.addaudithook(lambda e, a: seen.append(e) if e in {_OUTBOUND!r} else None)\n"
    "{call}\n"
    "print(json.dumps({{'events': seen, 'got': got}}))\n")


def probe(tmp_path: Path, call: str) -> tuple[dict, str]:
    """Run ``call`` (which sets ``got``) in a fresh interpreter whose
    environment points tldextract at a suffix-list URL on the loopback (a
    closed port) and at an empty cache; return what it saw and its stderr."""
    cache = tmp_path / "cache"
    cache.mkdir(exist_ok=True)
    env = {**os.environ, "TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS": "http://127.0.0.1:9/psl.dat",
           "XDG_CACHE_HOME": str(cache), "HOME": str(tmp_path), "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", _PROBE.format(call=call)], capture_output=True,
                         text=True, env=env, cwd=ROOT, timeout=120, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1]), out.stderr


def test_never_fetches_the_list(tmp_path: Path) -> None:
    """No socket opened, nothing written to the cache: the bundled snapshot
    answers.  The control shows the probe would see a fetch: tldextract left
    to its defaults tries the URL of the environment."""
    got, err = probe(tmp_path, "from collectors.domains import question_fields\n"
                               "got = question_fields('www.dichvucong.gov.vn')")
    assert got["events"] == []
    assert got["got"]["dns.question.registered_domain"] == "dichvucong.gov.vn"
    assert list((tmp_path / "cache").rglob("*")) == []
    assert "Public Suffix List" not in err
    control, _ = probe(tmp_path, "import tldextract\n"
                                 "got = tldextract.TLDExtract(cache_dir=None)('a.gov.vn').suffix")
    assert control["got"] == "gov.vn"
    assert "socket.connect" in control["events"]
