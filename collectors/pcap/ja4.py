"""JA4 TLS client fingerprints from a ClientHello's fields.

Wireshark computes JA4 itself from 4.2 on (``tls.handshake.ja4``); Debian 12
ships tshark 4.0, which prints the ingredients (cipher suites, extension
types, signature algorithms, ALPN, versions) but not the fingerprint.  So it
is computed here from those fields, following FoxIO's published JA4
definition (BSD-3-Clause):

``a_b_c`` where ``a`` = transport (``t`` TCP, ``q`` QUIC) + version (2 chars)
+ ``d``/``i`` (SNI present or not) + cipher count + extension count (2
digits each, at most 99) + first and last character of the first ALPN value
(``00`` without ALPN; their hex digits when not alphanumeric); ``b`` = the
first 12 hex digits of SHA-256 over the sorted cipher suites (4 hex digits
each, comma separated); ``c`` = the same over the sorted extension types
without SNI (0x0000) and ALPN (0x0010), then ``_`` and the signature
algorithms in the order offered.  GREASE values count nowhere.

Why by hand: no maintained library computes JA4 from already-dissected
fields (the Python ones parse raw packets themselves, under licences that
also cover the non-BSD JA4+ methods).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

_VERSIONS = {0x0304: "13", 0x0303: "12", 0x0302: "11", 0x0301: "10", 0x0300: "s3",
             0x0002: "s2", 0xFEFF: "d1", 0xFEFD: "d2", 0xFEFC: "d3"}
_SNI, _ALPN = 0x0000, 0x0010
_EMPTY = "000000000000"


def is_grease(value: int) -> bool:
    """RFC 8701 GREASE values: 0x0a0a, 0x1a1a, ... 0xfafa."""
    return value & 0x0F0F == 0x0A0A and (value >> 8) == (value & 0xFF)


def _numbers(texts: Iterable[str], base: int) -> list[int]:
    out = []
    for text in texts:
        try:
            value = int(text, base)
        except ValueError:
            continue
        if not is_grease(value):
            out.append(value)
    return out


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:12] if text else _EMPTY


def _alpn_chars(alpn: str) -> str:
    if not alpn:
        return "00"
    first, last = alpn[0], alpn[-1]
    if first.isascii() and first.isalnum() and last.isascii() and last.isalnum():
        return first + last
    raw = alpn.encode("utf-8", "surrogateescape").hex()
    return raw[0] + raw[-1]


def ja4(*, quic: bool, legacy_version: str, supported_versions: Iterable[str],
        ciphers: Iterable[str], extensions: Iterable[str], signature_algorithms: Iterable[str],
        alpn: Iterable[str]) -> str:
    """The JA4 fingerprint of a ClientHello from tshark's text of its fields:
    versions, ciphers and signature algorithms in hex (``0x1301``), extension
    types in decimal, ALPN protocol names as text."""
    versions = _numbers(supported_versions, 16)
    version = max(versions) if versions else next(iter(_numbers([legacy_version], 16)), 0)
    cipher_ids = _numbers(ciphers, 16)
    extension_ids = _numbers(extensions, 10)
    sigs = _numbers(signature_algorithms, 16)
    first_alpn = next((a for a in alpn if a), "")
    part_a = (("q" if quic else "t") + _VERSIONS.get(version, "00")
              + ("d" if _SNI in extension_ids else "i")
              + f"{min(len(cipher_ids), 99):02d}{min(len(extension_ids), 99):02d}"
              + _alpn_chars(first_alpn))
    part_b = _digest(",".join(f"{c:04x}" for c in sorted(cipher_ids)))
    listed = ",".join(f"{e:04x}" for e in sorted(extension_ids) if e not in (_SNI, _ALPN))
    if listed and sigs:
        listed += "_" + ",".join(f"{s:04x}" for s in sigs)
    return f"{part_a}_{part_b}_{_digest(listed)}"
