"""Log parsers: one module per format, each a pure function
``parse(raw, ctx) -> list[dict]`` giving ECS events (``collectors.record``).

``PARSERS`` maps a format name to its parser; ``get_parser`` looks one up.
Formats that need more than one line at a time have extra readers in their
module: ``zeek.ZeekTsvReader`` (TSV headers), ``windows.read_evtx`` (binary
``.evtx`` files), ``suricata.parse_item`` (JSON array files).
"""

from __future__ import annotations

from collectors.record import Parser

from . import auth, firewall, suricata, syslog, web, windows, zeek

PARSERS: dict[str, Parser] = {
    "syslog": syslog.parse,
    "auth": auth.parse,
    "firewall": firewall.parse,
    "web": web.parse,
    "eve": suricata.parse,
    "zeek": zeek.parse,
    "winjson": windows.parse,
}
ALIASES = {"suricata": "eve", "fortigate": "firewall", "pfsense": "firewall",
           "iptables": "firewall", "filterlog": "firewall", "nginx": "web", "apache": "web",
           "access": "web", "zeek-json": "zeek", "zeek-tsv": "zeek", "windows": "winjson",
           "winlogbeat": "winjson", "nxlog": "winjson", "sshd": "auth", "linux-auth": "auth"}


class UnknownFormat(KeyError):
    """No parser has that name."""


def get_parser(name: str) -> Parser:
    """The parser for a format name (or alias); UnknownFormat lists the known ones."""
    key = ALIASES.get(name.lower(), name.lower())
    try:
        return PARSERS[key]
    except KeyError:
        raise UnknownFormat(f"unknown format {name!r}; known: {', '.join(sorted(PARSERS))}"
                            ) from None


__all__ = ["ALIASES", "PARSERS", "UnknownFormat", "get_parser"]
