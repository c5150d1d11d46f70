"""Canonical URLs: one spelling per page, so one document id per page."""

from __future__ import annotations

import hashlib
import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from w3lib.url import canonicalize_url

# Tracking parameters that never change what a page shows.
_TRACKING = re.compile(
    r"^(utm_\w+|fbclid|gclid|dclid|msclkid|yclid|mc_cid|mc_eid|igshid|_ga|ref|ref_src|"
    r"cmpid|itm_\w+|zarsrc|gidzl|share|s_cid|ncid|spm)$",
    re.IGNORECASE,
)


def canonical_url(url: str) -> str:
    """Lower-case scheme/host, no fragment, no default port, no tracking
    parameters, sorted query (w3lib's canonicalisation does the escaping)."""
    parts = urlsplit(url.strip())
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
             if not _TRACKING.match(k)]
    host = (parts.hostname or "").lower()
    if parts.port and not ((parts.scheme == "http" and parts.port == 80)
                           or (parts.scheme == "https" and parts.port == 443)):
        host = f"{host}:{parts.port}"
    rebuilt = urlunsplit((parts.scheme.lower(), host, parts.path or "/",
                          urlencode(query), ""))
    return canonicalize_url(rebuilt, keep_fragments=False)


def strip_tracking(url: str) -> str:
    """The URL without tracking parameters or fragment (what we fetch)."""
    parts = urlsplit(url.strip())
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
             if not _TRACKING.match(k)]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))


def article_id(canonical: str) -> str:
    """Deterministic document id of an article: a hash of its canonical URL."""
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:32]


def url_key(url: str) -> str:
    """Key of a URL in the seen index (the canonical URL's hash)."""
    return article_id(canonical_url(url))


def host_of(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def in_scope(url: str, domains: list[str], paths: list[str] | None = None) -> bool:
    """True when ``url``'s host is one of ``domains`` (or a subdomain) and,
    when ``paths`` are given, its path starts with one of them."""
    host = host_of(url)
    if "*" not in domains and not any(host == d or host.endswith("." + d) for d in domains):
        return False
    if paths:
        path = urlsplit(url).path or "/"
        return any(path.startswith(p) for p in paths)
    return True
