"""Registered domain, top-level domain and subdomain of a DNS question name
(``dns.question.registered_domain``, ``.top_level_domain``, ``.subdomain``,
as ECS defines them), for every DNS producer: Zeek, Suricata, packet
captures and Sysmon.

The public suffix comes from the Public Suffix List through ``tldextract``,
strictly offline: no suffix-list URL and no disk cache, so it reads only the
snapshot shipped inside the package and never fetches (the environment's
``TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS`` is ignored too).  Private suffixes
(``github.io``, ``cloudfront.net``, dynamic-DNS zones...) count as suffixes,
as Beats and Elastic's ``registered_domain`` processor do, so one CDN
distribution or one dynamic-DNS customer is its own registered domain.

Names whose suffix the list does not know (``.example``, ``.local``,
``.lan``, internal zones) fall back to their last two labels.  Reverse
names follow the list: ``4.3.2.10.in-addr.arpa`` has suffix ``in-addr.arpa``
and registered domain ``10.in-addr.arpa``.  Bare addresses and empty names
give no fields.  Every derived value is lower-case (DNS names are
case-insensitive; resolvers' 0x20 case randomisation must not split a
domain); IDN labels stay as they came (punycode on the wire).
"""

from __future__ import annotations

import ipaddress
import re
from functools import cache, lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import tldextract

REGISTERED = "dns.question.registered_domain"
TOP_LEVEL = "dns.question.top_level_domain"
SUBDOMAIN = "dns.question.subdomain"

MAX_CACHED = 1024
"""Longest name (or deciding tail) kept in the caches: a DNS name is at most
255 octets, 1,020 characters with every octet escaped; longer ones are
hostile or broken input, answered without being kept."""

_UNICODE_DOTS = str.maketrans({"\u3002": ".", "\uff0e": ".", "\uff61": "."})
# tldextract reads its argument as a URL: characters with a meaning there
# (and blanks, which it strips) are replaced in what it is given.  No public
# suffix holds them, so the replacement never turns a label into a suffix.
_URL_SYNTAX = re.compile(r"[/?#@:\[\]\\\s]")


@cache
def _extractor() -> tuple[tldextract.TLDExtract, frozenset[str], frozenset[str]]:
    """The offline extractor, every tail of every suffix rule (``uk``,
    ``co.uk``, ``*.ck``...) and the names under which any label is a suffix
    (``ck`` for ``*.ck``), built once on first use: importing tldextract
    (it brings requests) and reading the snapshot take a few tenths of a
    second that parsers of other formats need not pay."""
    import tldextract

    ex = tldextract.TLDExtract(cache_dir=None, suffix_list_urls=(), fallback_to_snapshot=True,
                               include_psl_private_domains=True)
    tails: set[str] = set()
    for rule in ex.tlds:
        labels = rule.lstrip("!").split(".")
        for i in range(len(labels)):
            tails.add(".".join(labels[i:]))
    wild = {t[2:] for t in tails if t.startswith("*.")}
    return ex, frozenset(tails), frozenset(wild)


def _deciding_tail(labels: list[str], tails: frozenset[str], wild: frozenset[str]) -> str:
    """The shortest tail of the name that decides its public suffix.

    Hand-written on purpose: the list is matched label by label from the
    right and stops at the first tail that no rule ends with, so the answer
    for ``<data>.s1.tunnel.example`` is the answer for ``example`` and one
    cache entry serves every such name (tunnels and CDNs give unique names:
    one lookup each, uncached, would cost a fifth of the parse).  The whole
    name is used when a label is punycode (the list holds Unicode, so the
    shortcut could stop too early): a cache entry lost, never a wrong answer."""
    parent = ""  # the tail one label shorter
    for label in reversed(labels):
        if label.startswith("xn--"):
            return ".".join(labels)
        tail = f"{label}.{parent}" if parent else label
        if tail not in tails and parent not in wild:
            return tail
        parent = tail
    return parent


def _suffix_labels(tail: str) -> int:
    """How many labels of ``tail`` are its public suffix (0: unknown)."""
    ex = _extractor()[0]
    suffix = ex.extract_str(_URL_SYNTAX.sub("_", tail)).suffix
    return suffix.count(".") + 1 if suffix else 0


_cached_suffix_labels = lru_cache(maxsize=65_536)(_suffix_labels)


def question_fields(name: str) -> dict[str, str]:
    """The three ECS fields for one question name (empty when there are none:
    no name, a bare address).  Cached per name; callers must not change the
    dict they get (``add_question_domains`` copies it into the event)."""
    return _cached_fields(name) if len(name) <= MAX_CACHED else _fields(name)


def _fields(name: str) -> dict[str, str]:
    if not name.isascii():
        name = name.translate(_UNICODE_DOTS)
    host = name.strip().strip(".").lower()
    if not host or _is_address(host):
        return {}
    labels = host.split(".")
    n = len(labels)
    _ex, tails, wild = _extractor()
    tail = _deciding_tail(labels, tails, wild)
    s = _cached_suffix_labels(tail) if len(tail) <= MAX_CACHED else _suffix_labels(tail)
    out: dict[str, str] = {}
    if s == 0:  # a suffix the list does not know: the last label stands in
        if n >= 2:
            out[TOP_LEVEL] = labels[-1]
        s = 1 if n >= 2 else 0
    else:
        out[TOP_LEVEL] = ".".join(labels[n - s:])
    if n > s:
        out[REGISTERED] = ".".join(labels[n - s - 1:])
        if n > s + 1:
            out[SUBDOMAIN] = ".".join(labels[:n - s - 1])
    return out


_cached_fields = lru_cache(maxsize=65_536)(_fields)


def _is_address(host: str) -> bool:
    """An IPv4/IPv6 literal (bracketed or with a zone too), not a name."""
    if not (host[-1].isdigit() or ":" in host):  # most names: no exception raised
        return False
    try:
        ipaddress.ip_address(host.strip("[]").partition("%")[0])
    except ValueError:
        return False
    return True


def add_question_domains(fields: dict[str, Any]) -> None:
    """Add the three fields to a parser's dotted ``fields`` from its
    ``dns.question.name`` (nothing when the name is absent or unusable)."""
    name = fields.get("dns.question.name")
    if isinstance(name, str) and name:
        fields.update(question_fields(name))
