"""A fictional city network's day of logs, for ``canhgac demo`` (DEMO DATA).

``write_day(out_dir, end=...)`` writes the 24 hours before ``end`` as the
files a city operations centre would collect, each in a format the
collectors read (``canhgac ingest``):

- ``demo-auth-<server>.log``     sshd/sudo/PAM/CRON lines, RFC 3164 (``auth.log``;
                                 UTC clocks, the year is inferred at ingest, so
                                 ``end`` should be within a month of ingest time);
- ``demo-nginx-dichvucong-access.log``  the city portal, nginx vhost + combined layout;
- ``demo-fortigate-fw-trung-tam.log``   FortiGate key=value traffic logs;
- ``demo-zeek-conn.log``         Zeek ``conn.log`` (TSV with its ``#`` headers);
- ``demo-zeek-dns.log``          Zeek ``dns.log`` (JSON lines, json-streaming style);
- ``demo-suricata-eve.json``     Suricata EVE (flow, dns, http, tls, alert);
- ``demo-capture-so-tnmt.pcap``  a few hundred packets from the LAN tap.

Everything is made up by this project and marked as demo data: every file
name starts with ``demo-``, and where a format has room for it (auth log,
FortiGate event, Zeek header) the first record says so.  Host, user and
domain names belong to the imaginary ``thanhpho.example`` network; internal
addresses are private (10.0.0.0/8) and every public address is from the
documentation ranges (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24,
2001:db8::/32).

Over normal traffic (citizens on the portal, staff browsing, CRON, admins
logging in) runs one attack story (``NetworkDay.story``):

1. a port scan of the portal's public address from the attacker;
2. SQL injection, path traversal and webshell probes on the portal;
3. an SSH brute force on the portal server, then a successful password login
   to the shared operations account from the same address, then sudo;
4. a workstation beaconing to one public address every ~60 s for hours;
5. DNS tunnelling from that workstation: hundreds of long encoded labels
   under one domain.

Deterministic for a ``seed`` and ``end``; ``scale`` multiplies the normal
background only (more citizens, workstations and admin sessions), never the
story and never the per-host rates, so the background stays quiet for the
correlation rules at any scale.
"""

from __future__ import annotations

import base64
import hashlib
import random
import struct
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import orjson

ICT = timezone(timedelta(hours=7), "ICT")
"""Local time of the city (Asia/Ho_Chi_Minh, no daylight saving)."""

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

# -- the fictional network -----------------------------------------------------

CITY_DOMAIN = "thanhpho.example"
PORTAL_HOST = f"dichvucong.{CITY_DOMAIN}"
PORTAL_PUBLIC_IP = "192.0.2.10"
EGRESS_IP = "192.0.2.2"
RESOLVER_IP = "10.0.2.53"
FIREWALL = "fw-trung-tam"
FIREWALL_SERIAL = "FG1K0FDEMO000001"
IDS_SENSOR = "ids-trung-tam"

SERVERS: dict[str, str] = {
    "cong-dich-vu-1": "10.0.1.10", "cong-dich-vu-2": "10.0.1.11", "mail-ubnd": "10.0.1.20",
    "ad-thanhpho": "10.0.2.10", "db-hanh-chinh": "10.0.2.30", "luu-tru-tep": "10.0.2.40",
    "dns-noi-bo": RESOLVER_IP,
}
AUTH_SERVERS = ("cong-dich-vu-1", "cong-dich-vu-2", "mail-ubnd", "db-hanh-chinh")
ADMINS = ("pham.quoc.dung", "nguyen.van.an", "hoang.gia.huy")
ADMIN_IPS = ("10.10.0.21", "10.10.0.22", "10.10.0.23")
OPS_ACCOUNT = "vanhanh"
UIDS = {"vanhanh": 1001, "pham.quoc.dung": 1002, "nguyen.van.an": 1003, "hoang.gia.huy": 1004,
        "www-data": 33, "root": 0}
# Departments (Sở) and the third octet of their workstation subnet 10.20.N.0/24.
DEPARTMENTS = {"vp-ubnd": 1, "tc": 2, "gtvt": 3, "yt": 4, "gd": 5, "xd": 6, "tnmt": 7, "tp": 8}

# Internet sites staff visit: (name, address, popularity).
SITES: tuple[tuple[str, str, int], ...] = (
    ("cong-thong-tin.chinhphu.example", "192.0.2.80", 8),
    ("thu-dien-tu.example", "192.0.2.81", 6),
    ("bao-thoi-su.example", "192.0.2.90", 5),
    ("tin-nhanh.example", "192.0.2.91", 4),
    ("van-ban-phap-luat.example", "192.0.2.95", 5),
    ("ban-do-so.example", "198.51.100.40", 2),
    ("capnhat.phanmem-vanphong.example", "198.51.100.41", 3),
    ("luu-tru-dam-may.example", "198.51.100.42", 3),
    ("hop-truc-tuyen.example", "198.51.100.43", 3),
    ("cdn.tai-nguyen-web.example", "198.51.100.44", 5),
    ("cdn2.tai-nguyen-web.example", "198.51.100.45", 4),
    ("thoi-tiet.example", "203.0.113.20", 2),
    ("ngan-hang-so.example", "203.0.113.21", 2),
    ("mang-xa-hoi.example", "203.0.113.30", 4),
    ("anh.mang-xa-hoi.example", "203.0.113.31", 3),
    ("video-truc-tuyen.example", "203.0.113.32", 2),
    ("tim-kiem.example", "203.0.113.40", 8),
)
INTERNAL_NAMES: tuple[tuple[str, str], ...] = (
    (f"mail.{CITY_DOMAIN}", "10.0.1.20"), (f"intranet.{CITY_DOMAIN}", "10.0.1.11"),
    (PORTAL_HOST, "10.0.1.10"), (f"ad.{CITY_DOMAIN}", "10.0.2.10"),
    (f"tep.{CITY_DOMAIN}", "10.0.2.40"),
)

# The story's cast.
ATTACKER_IP = "203.0.113.66"
BEACON_IP = "198.51.100.23"
BEACON_DOMAIN = "api.capnhat-he-thong.example"
TUNNEL_DOMAIN = "dongbo-dulieu.example"
TUNNEL_NS_IP = "198.51.100.53"
WORKSTATION = "ws-so-tnmt-07"
WORKSTATION_IP = "10.20.7.107"
STORY_IPS = {ATTACKER_IP, BEACON_IP, TUNNEL_NS_IP}

CITIZEN_AGENTS = (
    "Mozilla/5.0 (Linux; Android 14; SM-A546E) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/130.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_6 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.6 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/130.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:132.0) Gecko/20100101 Firefox/132.0",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/130.0.0.0 Safari/537.36 Edg/130.0.0.0",
    "Mozilla/5.0 (Linux; Android 13; Redmi Note 12) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/129.0.0.0 Mobile Safari/537.36",
)
MONITOR_AGENT = "ThanhPhoUptime/2.1 (demo monitor)"

# Portal pages: (path, weight, typical body bytes).
PORTAL_PAGES: tuple[tuple[str, int, int], ...] = (
    ("/", 10, 18_400), ("/thu-tuc-hanh-chinh", 6, 24_100),
    ("/thu-tuc-hanh-chinh/cap-giay-phep-xay-dung", 3, 15_900),
    ("/thu-tuc-hanh-chinh/dang-ky-ho-kinh-doanh", 3, 14_700),
    ("/thu-tuc-hanh-chinh/cap-ban-sao-trich-luc", 2, 13_200),
    ("/tin-tuc", 3, 21_000), ("/tin-tuc/lich-tiep-cong-dan-thang-nay", 2, 11_800),
    ("/tin-tuc/thong-bao-nghi-le", 2, 9_700), ("/lien-he", 1, 7_300),
    ("/api/v1/thong-bao?trang=1", 3, 2_100), ("/huong-dan/nop-ho-so-truc-tuyen", 2, 16_400),
)
STATIC = (("/static/css/main.css", 48_213), ("/static/js/app.js", 131_072),
          ("/static/img/logo-thanhpho.png", 12_904), ("/favicon.ico", 4_286))

# Local-hour activity (index = hour in ICT).
CITIZEN_HOURS = (2, 1, 1, 1, 1, 2, 5, 9, 14, 16, 15, 12, 8, 10, 14, 15, 13, 10, 8, 9, 10, 8, 5, 3)
STAFF_HOURS = (0, 0, 0, 0, 0, 0, 0, 3, 10, 12, 12, 8, 2, 6, 12, 12, 9, 3, 1, 0, 0, 0, 0, 0)


@dataclass(frozen=True)
class NetworkDay:
    """What ``write_day`` wrote: the files, the story's facts, the counts."""

    files: list[Path]
    story: dict[str, str]
    counts: dict[str, int]


# -- records shared by several outputs -------------------------------------------


@dataclass
class Conn:
    """One connection as every sensor sees it (firewall, Zeek, Suricata, pcap)."""

    ts: datetime
    src: str
    sport: int
    dst: str
    dport: int
    proto: str = "tcp"
    service: str | None = None
    duration: float = 0.0
    sent: int = 0
    rcvd: int = 0
    spkts: int = 0
    rpkts: int = 0
    state: str = "SF"
    action: str = "close"
    nat_dst: str | None = None  # inbound: the real server behind the public address
    uid: str = ""
    sni: str | None = None


@dataclass
class DnsQuery:
    """One DNS transaction (client → the city resolver)."""

    ts: datetime
    src: str
    sport: int
    qid: int
    qname: str
    qtype: str = "A"
    rcode: str = "NOERROR"
    answers: list[str] = field(default_factory=list)
    ttl: int = 300
    rtt: float = 0.002
    uid: str = ""


@dataclass
class Output:
    """The records of one file, kept with their time so it is written in order."""

    name: str
    header: list[str] = field(default_factory=list)
    footer: list[str] = field(default_factory=list)
    rows: list[tuple[datetime, int, str]] = field(default_factory=list)

    def add(self, when: datetime, line: str) -> None:
        self.rows.append((when, len(self.rows), line))

    def write(self, out_dir: Path) -> tuple[Path, int]:
        path = out_dir / self.name
        self.rows.sort()
        body = [*self.header, *(r[2] for r in self.rows), *self.footer]
        path.write_text("\n".join(body) + "\n", encoding="utf-8")
        return path, len(self.rows)


# -- time and formatting ---------------------------------------------------------


def _bsd(ts: datetime) -> str:
    return f"{_MONTHS[ts.month - 1]} {ts.day:2d} {ts:%H:%M:%S}"


def _nginx_time(ts: datetime) -> str:
    loc = ts.astimezone(ICT)
    return f"{loc.day:02d}/{_MONTHS[loc.month - 1]}/{loc.year}:{loc:%H:%M:%S} +0700"


def _eve_time(ts: datetime) -> str:
    return ts.astimezone(ICT).strftime("%Y-%m-%dT%H:%M:%S.%f") + "+0700"


def _spread(rng: random.Random, start: datetime, total: int,
            hours: tuple[int, ...]) -> Iterator[datetime]:
    """``total`` instants over the 24 hours from ``start``, shaped by the
    local-hour weights ``hours``."""
    slots = [hours[(start + timedelta(hours=h)).astimezone(ICT).hour] for h in range(24)]
    weight = sum(slots)
    done = 0
    acc = 0.0
    for h, w in enumerate(slots):
        acc += total * w / weight
        n = round(acc) - done
        done += n
        base = start + timedelta(hours=h)
        for _ in range(n):
            yield base + timedelta(seconds=rng.uniform(0, 3600))


class _Ids:
    """Deterministic identifiers: Zeek uids, flow ids, session ids, pids."""

    _ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.session = 3_100_000
        self.pid = 20_000

    def uid(self) -> str:
        return "C" + "".join(self.rng.choices(self._ALPHABET, k=17))

    def flow(self) -> int:
        return self.rng.randrange(10**15, 10**16)

    def next_session(self) -> int:
        self.session += self.rng.randint(1, 40)
        return self.session

    def next_pid(self) -> int:
        self.pid += self.rng.randint(1, 90)
        if self.pid > 4_000_000:
            self.pid = 20_000
        return self.pid


# -- renderers: one record → one line ----------------------------------------------


_FORTI_SERVICES = {22: "SSH", 25: "SMTP", 53: "DNS", 80: "HTTP", 123: "NTP", 443: "HTTPS",
                   587: "SMTP", 993: "IMAPS"}


def forti_line(c: Conn, session: int) -> str:
    """A FortiGate (FortiOS 7) forward-traffic log line for ``c``."""
    loc = c.ts.astimezone(ICT)
    inbound = not c.src.startswith("10.")
    if inbound:
        intf = 'srcintf="wan1" srcintfrole="wan" dstintf="dmz" dstintfrole="dmz"'
    else:
        intf = 'srcintf="lan" srcintfrole="lan" dstintf="wan1" dstintfrole="wan"'
    proto = 6 if c.proto == "tcp" else 17
    service = _FORTI_SERVICES.get(c.dport, f"{c.proto}/{c.dport}")
    if c.action == "deny":
        policy = 'policyid=0 policytype="policy"'
        nat = 'trandisp="noop"'
    elif inbound:
        policy = 'policyid=5 policytype="policy" policyname="VIP-dichvucong"'
        nat = f'trandisp="dnat" tranip={c.nat_dst} tranport={c.dport}'
    else:
        policy = 'policyid=12 policytype="policy" policyname="LAN-Internet"'
        nat = f'trandisp="snat" transip={EGRESS_IP} transport={c.sport}'
    return (f'date={loc:%Y-%m-%d} time={loc:%H:%M:%S} devname="{FIREWALL}" '
            f'devid="{FIREWALL_SERIAL}" eventtime={int(c.ts.timestamp() * 1e9)} tz="+0700" '
            f'logid="0000000013" type="traffic" subtype="forward" level="notice" vd="root" '
            f"srcip={c.src} srcport={c.sport} {intf} dstip={c.dst} dstport={c.dport} "
            f'srccountry="Reserved" dstcountry="Reserved" sessionid={session} proto={proto} '
            f'action="{c.action}" {policy} service="{service}" {nat} '
            f"duration={int(c.duration)} sentbyte={c.sent} rcvdbyte={c.rcvd} "
            f'sentpkt={c.spkts} rcvdpkt={c.rpkts} appcat="unscanned"')


def forti_notice(ts: datetime) -> str:
    """The FortiGate event line that marks the file as demo data."""
    loc = ts.astimezone(ICT)
    return (f'date={loc:%Y-%m-%d} time={loc:%H:%M:%S} devname="{FIREWALL}" '
            f'devid="{FIREWALL_SERIAL}" eventtime={int(ts.timestamp() * 1e9)} tz="+0700" '
            f'logid="0100032002" type="event" subtype="system" level="information" vd="root" '
            f'logdesc="Demo data" msg="CANHGAC DEMO DATA: generated logs of the fictional '
            f'network {CITY_DOMAIN}, not real traffic"')


ZEEK_CONN_FIELDS = ("ts", "uid", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "proto",
                    "service", "duration", "orig_bytes", "resp_bytes", "conn_state",
                    "local_orig", "local_resp", "missed_bytes", "history", "orig_pkts",
                    "orig_ip_bytes", "resp_pkts", "resp_ip_bytes", "tunnel_parents")
ZEEK_CONN_TYPES = ("time", "string", "addr", "port", "addr", "port", "enum", "string",
                   "interval", "count", "count", "string", "bool", "bool", "count", "string",
                   "count", "count", "count", "count", "set[string]")
_HISTORY = {"SF": "ShADadFf", "S0": "S", "REJ": "Sr", "RSTO": "ShR", "RSTOS0": "R"}


def zeek_conn_header(start: datetime) -> list[str]:
    return ["#separator \\x09", "#set_separator\t,", "#empty_field\t(empty)",
            "#unset_field\t-", "#path\tconn", f"#open\t{start:%Y-%m-%d-%H-%M-%S}",
            "#demo\tCANHGAC DEMO DATA: generated for the fictional network "
            f"{CITY_DOMAIN}, not real traffic",
            "#fields\t" + "\t".join(ZEEK_CONN_FIELDS), "#types\t" + "\t".join(ZEEK_CONN_TYPES)]


def zeek_conn_line(c: Conn) -> str:
    udp = c.proto == "udp"
    history = "Dd" if udp and c.rpkts else ("D" if udp else _HISTORY.get(c.state, "S"))
    hdr = 28 if udp else 40
    local_orig = "T" if c.src.startswith("10.") else "F"
    local_resp = "T" if (c.nat_dst or c.dst).startswith("10.") else "F"
    vals = (f"{c.ts.timestamp():.6f}", c.uid, c.src, str(c.sport), c.nat_dst or c.dst,
            str(c.dport), c.proto, c.service or "-", f"{c.duration:.6f}", str(c.sent),
            str(c.rcvd), c.state, local_orig, local_resp, "0", history, str(c.spkts),
            str(c.sent + hdr * c.spkts), str(c.rpkts), str(c.rcvd + hdr * c.rpkts), "-")
    return "\t".join(vals)


def dns_conn(q: DnsQuery) -> Conn:
    """The UDP connection record Zeek writes for a DNS transaction."""
    size = len(q.qname) + 18
    resp = size + sum(16 + len(a) for a in q.answers)
    return Conn(q.ts, q.src, q.sport, RESOLVER_IP, 53, "udp", "dns", q.rtt, size, resp, 1, 1,
                "SF", uid=q.uid)


_QTYPES = {"A": 1, "NS": 2, "CNAME": 5, "PTR": 12, "MX": 15, "TXT": 16, "AAAA": 28, "SRV": 33}
_RCODES = {"NOERROR": 0, "SERVFAIL": 2, "NXDOMAIN": 3}


def zeek_dns_line(q: DnsQuery) -> str:
    rec: dict[str, object] = {
        "_path": "dns", "_write_ts": _iso_z(q.ts + timedelta(seconds=q.rtt)),
        "ts": round(q.ts.timestamp(), 6), "uid": q.uid, "id.orig_h": q.src,
        "id.orig_p": q.sport, "id.resp_h": RESOLVER_IP, "id.resp_p": 53, "proto": "udp",
        "trans_id": q.qid, "rtt": round(q.rtt, 6), "query": q.qname, "qclass": 1,
        "qclass_name": "C_INTERNET", "qtype": _QTYPES[q.qtype], "qtype_name": q.qtype,
        "rcode": _RCODES[q.rcode], "rcode_name": q.rcode, "AA": False, "TC": False,
        "RD": True, "RA": True, "Z": 0, "rejected": False,
    }
    if q.answers:
        rec["answers"] = q.answers
        rec["TTLs"] = [float(q.ttl)] * len(q.answers)
    return orjson.dumps(rec).decode()


def _iso_z(ts: datetime) -> str:
    """The canonical ECS instant: ``2026-11-26T10:20:01.123Z``."""
    u = ts.astimezone(UTC)
    return f"{u:%Y-%m-%dT%H:%M:%S}.{u.microsecond // 1000:03d}Z"


def eve_base(ts: datetime, event_type: str, flow_id: int, src: str, sport: int, dst: str,
             dport: int, proto: str) -> dict[str, object]:
    return {"timestamp": _eve_time(ts), "flow_id": flow_id, "in_iface": "ens224",
            "event_type": event_type, "src_ip": src, "src_port": sport, "dest_ip": dst,
            "dest_port": dport, "proto": proto.upper(), "host": IDS_SENSOR}


def eve_flow(c: Conn, flow_id: int) -> str:
    rec = eve_base(c.ts, "flow", flow_id, c.src, c.sport, c.nat_dst or c.dst, c.dport, c.proto)
    if c.service:
        rec["app_proto"] = {"ssl": "tls"}.get(c.service, c.service)
    rec["flow"] = {"pkts_toserver": c.spkts, "pkts_toclient": c.rpkts,
                   "bytes_toserver": c.sent, "bytes_toclient": c.rcvd,
                   "start": _eve_time(c.ts), "end": _eve_time(c.ts + timedelta(
                       seconds=c.duration)), "age": int(c.duration),
                   "state": "closed" if c.proto == "tcp" else "established",
                   "reason": "timeout", "alerted": False}
    return orjson.dumps(rec).decode()


def eve_tls(c: Conn, flow_id: int) -> str:
    rec = eve_base(c.ts, "tls", flow_id, c.src, c.sport, c.nat_dst or c.dst, c.dport, "tcp")
    rec["tls"] = {"sni": c.sni, "version": "TLS 1.3" if tls_client(c) is BROWSER else "TLS 1.2",
                  "ja3": {"hash": tls_client(c).ja3},
                  "ja3s": {"hash": "15af977ce25de452b96affa2addb1036"}}
    return orjson.dumps(rec).decode()


def eve_dns(q: DnsQuery, flow_id: int) -> list[str]:
    query = eve_base(q.ts, "dns", flow_id, q.src, q.sport, RESOLVER_IP, 53, "udp")
    query["dns"] = {"version": 2, "type": "query", "id": q.qid, "rrname": q.qname,
                    "rrtype": q.qtype, "tx_id": 0, "opcode": 0}
    ans = eve_base(q.ts + timedelta(seconds=q.rtt), "dns", flow_id, RESOLVER_IP, 53, q.src,
                   q.sport, "udp")
    body: dict[str, object] = {"version": 2, "type": "answer", "id": q.qid, "flags": "8180",
                               "qr": True, "rd": True, "ra": True, "opcode": 0,
                               "rrname": q.qname, "rrtype": q.qtype, "rcode": q.rcode}
    if q.answers:
        body["answers"] = [{"rrname": q.qname, "rrtype": q.qtype, "ttl": q.ttl, "rdata": a}
                           for a in q.answers]
        body["grouped"] = {q.qtype: q.answers}
    ans["dns"] = body
    return [orjson.dumps(query).decode(), orjson.dumps(ans).decode()]


def nginx_line(ts: datetime, client: str, method: str, target: str, status: int, size: int,
               referrer: str, agent: str) -> str:
    """nginx ``log_format vhost '$host $remote_addr - $remote_user [$time_local] ...'``."""
    return (f'{PORTAL_HOST} {client} - - [{_nginx_time(ts)}] "{method} {target} HTTP/1.1" '
            f'{status} {size} "{referrer}" "{agent}"')


# -- the generator ---------------------------------------------------------------------


class _Day:
    """Builds every output of one day; ``run`` fills them in a fixed order."""

    def __init__(self, end: datetime, seed: int, scale: float) -> None:
        self.end = end
        self.start = end - timedelta(hours=24)
        self.scale = scale
        self.rng = random.Random(f"canhgac-demo-network:{seed}")
        self.ids = _Ids(self.rng)
        self.auth = {h: Output(f"demo-auth-{h}.log") for h in AUTH_SERVERS}
        self.web = Output("demo-nginx-dichvucong-access.log")
        self.fw = Output(f"demo-fortigate-{FIREWALL}.log")
        self.zconn = Output("demo-zeek-conn.log", header=zeek_conn_header(self.start),
                           footer=[f"#close\t{end:%Y-%m-%d-%H-%M-%S}"])
        self.dns = Output("demo-zeek-dns.log")
        self.eve = Output("demo-suricata-eve.json")
        self.pcap_conns: list[Conn] = []
        self.pcap_dns: list[DnsQuery] = []
        self.story: dict[str, str] = {}
        self.citizens_v4 = [ip for ip in (
            [f"198.51.100.{i}" for i in range(60, 250)] + [f"203.0.113.{i}" for i in range(70, 250)]
        ) if ip not in STORY_IPS]
        self.noise_sources = [f"203.0.113.{i}" for i in range(2, 19)]
        n_ws = max(1, round(5 * scale))
        self.workstations = [(f"ws-so-{d}-{n:02d}", f"10.20.{net}.{100 + n}")
                             for d, net in DEPARTMENTS.items() for n in range(1, n_ws + 1)]
        if (WORKSTATION, WORKSTATION_IP) not in self.workstations:
            self.workstations.append((WORKSTATION, WORKSTATION_IP))

    # -- helpers ---------------------------------------------------------------
    def at(self, before: timedelta) -> datetime:
        return self.end - before

    def sport(self) -> int:
        return self.rng.randint(32768, 60999)

    def conn(self, c: Conn, *, fw: bool = True, zeek: bool = True, eve: float = 0.0) -> Conn:
        """Record ``c`` with the sensors that see it (``eve``: chance Suricata logs it)."""
        c.uid = c.uid or self.ids.uid()
        if fw:
            self.fw.add(c.ts, forti_line(c, self.ids.next_session()))
        if zeek and c.action != "deny":
            self.zconn.add(c.ts, zeek_conn_line(c))
        if eve and self.rng.random() < eve:
            fid = self.ids.flow()
            self.eve.add(c.ts + timedelta(seconds=c.duration), eve_flow(c, fid))
            if c.sni:
                self.eve.add(c.ts + timedelta(milliseconds=40), eve_tls(c, fid))
        return c

    def query(self, q: DnsQuery, *, eve: float = 0.0) -> DnsQuery:
        q.uid = q.uid or self.ids.uid()
        self.dns.add(q.ts, zeek_dns_line(q))
        self.zconn.add(q.ts, zeek_conn_line(dns_conn(q)))
        if eve and self.rng.random() < eve:
            fid = self.ids.flow()
            for i, line in enumerate(eve_dns(q, fid)):
                self.eve.add(q.ts + timedelta(seconds=q.rtt * i), line)
        return q

    def auth_line(self, host: str, ts: datetime, app: str, pid: int | None, msg: str) -> None:
        tag = f"{app}[{pid}]" if pid is not None else app
        self.auth[host].add(ts, f"{_bsd(ts)} {host} {tag}: {msg}")

    # -- the whole day -----------------------------------------------------------
    def run(self) -> None:
        for host in AUTH_SERVERS:
            self.auth_line(host, self.start, "canhgac-demo", None,
                           "CANHGAC DEMO DATA: generated log of the fictional network "
                           f"{CITY_DOMAIN}, not a real server")
        self.fw.add(self.start, forti_notice(self.start))
        self.cron()
        self.admin_sessions()
        self.ssh_internet_noise()
        self.citizens()
        self.uptime_monitor()
        self.staff()
        self.firewall_noise()
        self.story_scan()
        self.story_web_attack()
        self.story_ssh()
        self.story_beacon()
        self.story_tunnel()

    # -- background: servers -------------------------------------------------------
    def cron(self) -> None:
        t = self.start.replace(minute=17, second=1, microsecond=0)
        if t < self.start:
            t += timedelta(hours=1)
        jobs = [(t + timedelta(hours=h), "root", "   cd / && run-parts --report /etc/cron.hourly")
                for h in range(24)]
        t10 = self.start.replace(minute=self.start.minute // 10 * 10, second=0, microsecond=0)
        jobs += [(t10 + timedelta(minutes=10 * k), "www-data",
                  "php /var/www/dichvucong/artisan schedule:run >> /dev/null 2>&1")
                 for k in range(1, 145)]
        for host in AUTH_SERVERS:
            for when, user, cmd in jobs:
                if user == "www-data" and not host.startswith("cong-dich-vu"):
                    continue
                if not self.start <= when < self.end:
                    continue
                pid = self.ids.next_pid()
                uid = UIDS[user]
                ts = when + timedelta(milliseconds=self.rng.randint(0, 900))
                self.auth_line(host, ts, "CRON", pid, f"pam_unix(cron:session): session opened "
                               f"for user {user}(uid={uid}) by (uid=0)")
                self.auth_line(host, ts, "CRON", pid + 1, f"({user}) CMD ({cmd})")
                self.auth_line(host, ts + timedelta(seconds=self.rng.uniform(0.2, 3)), "CRON",
                               pid, f"pam_unix(cron:session): session closed for user {user}")

    def admin_sessions(self) -> None:
        rng = self.rng
        commands = ("/usr/bin/systemctl status nginx", "/usr/bin/journalctl -u nginx --since "
                    "today", "/usr/bin/apt update", "/usr/bin/systemctl restart php8.3-fpm",
                    "/usr/bin/tail -n 200 /var/log/nginx/error.log", "/usr/bin/df -h",
                    "/usr/sbin/logrotate -f /etc/logrotate.d/nginx")
        for host in AUTH_SERVERS:
            n = max(1, round(6 * self.scale))
            for when in _spread(rng, self.start, n, STAFF_HOURS):
                i = rng.randrange(len(ADMINS))
                user = OPS_ACCOUNT if rng.random() < 0.3 else ADMINS[i]
                src, port = ADMIN_IPS[i], self.sport()
                sshd = self.ids.next_pid()
                t = when
                if rng.random() < 0.12:  # a mistyped password first
                    self.auth_line(host, t, "sshd", sshd, f"Failed password for {user} from "
                                   f"{src} port {port} ssh2")
                    t += timedelta(seconds=rng.uniform(2, 6))
                    method = "password"
                else:
                    method = "publickey" if rng.random() < 0.8 else "password"
                sig = ""
                if method == "publickey":
                    fp = base64.b64encode(rng.randbytes(32)).decode().rstrip("=")
                    sig = f": ED25519 SHA256:{fp}"
                self.auth_line(host, t, "sshd", sshd,
                               f"Accepted {method} for {user} from {src} port {port} ssh2{sig}")
                self._session(host, t, sshd, user, src, port,
                              [rng.choice(commands) for _ in range(rng.randint(0, 4))],
                              rng.uniform(120, 2400))

    def _session(self, host: str, t: datetime, sshd: int, user: str, src: str, port: int,
                 commands: list[str], length: float) -> None:
        """The lines of an open SSH session: PAM, logind, sudo, then the logout."""
        rng = self.rng
        uid = UIDS[user]
        sess = rng.randint(100, 9999)
        self.auth_line(host, t, "sshd", sshd, f"pam_unix(sshd:session): session opened for "
                       f"user {user}(uid={uid}) by (uid=0)")
        self.auth_line(host, t + timedelta(milliseconds=30), "systemd-logind", 812,
                       f"New session {sess} of user {user}.")
        step = length / (len(commands) + 1)
        for k, cmd in enumerate(commands):
            ts = t + timedelta(seconds=step * (k + 1))
            pid = self.ids.next_pid()
            self.auth_line(host, ts, "sudo", pid, f"   {user} : TTY=pts/{sess % 4} ; "
                           f"PWD=/home/{user} ; USER=root ; COMMAND={cmd}")
            self.auth_line(host, ts, "sudo", pid, "pam_unix(sudo:session): session opened for "
                           f"user root(uid=0) by {user}(uid={uid})")
            self.auth_line(host, ts + timedelta(seconds=rng.uniform(0.5, 20)), "sudo", pid,
                           "pam_unix(sudo:session): session closed for user root")
        out = t + timedelta(seconds=length)
        self.auth_line(host, out, "sshd", sshd,
                       f"Received disconnect from {src} port {port}:11: disconnected by user")
        self.auth_line(host, out, "sshd", sshd, f"Disconnected from user {user} {src} port {port}")
        self.auth_line(host, out, "sshd", sshd,
                       f"pam_unix(sshd:session): session closed for user {user}")
        self.auth_line(host, out + timedelta(milliseconds=20), "systemd-logind", 812,
                       f"Session {sess} logged out. Waiting for processes to exit.")

    def ssh_internet_noise(self) -> None:
        """A few opportunistic password guesses on the exposed portal server,
        each far below the brute-force threshold."""
        rng = self.rng
        names = ("admin", "test", "ubuntu", "user", "oracle", "git")
        for when in _spread(rng, self.start, max(1, round(8 * self.scale)), CITIZEN_HOURS):
            src, port, pid = rng.choice(self.noise_sources), self.sport(), self.ids.next_pid()
            name = rng.choice(names)
            t = when
            self.auth_line("cong-dich-vu-1", t, "sshd", pid,
                           f"Invalid user {name} from {src} port {port}")
            for _ in range(rng.randint(1, 2)):
                t += timedelta(seconds=rng.uniform(1.5, 3))
                self.auth_line("cong-dich-vu-1", t, "sshd", pid, f"Failed password for invalid "
                               f"user {name} from {src} port {port} ssh2")
            self.auth_line("cong-dich-vu-1", t + timedelta(seconds=1), "sshd", pid,
                           f"Connection closed by invalid user {name} {src} port {port} [preauth]")

    # -- background: the portal ------------------------------------------------------
    def citizen_ip(self) -> str:
        if self.rng.random() < 0.35:
            return f"2001:db8:{self.rng.randint(0x100, 0x1ff):x}:{self.rng.randint(1, 0xffff):x}" \
                   f"::{self.rng.randint(1, 0xffff):x}"
        return self.rng.choice(self.citizens_v4)

    def citizens(self) -> None:
        rng = self.rng
        pages = [p for p, _, _ in PORTAL_PAGES]
        weights = [w for _, w, _ in PORTAL_PAGES]
        sizes = {p: s for p, _, s in PORTAL_PAGES}
        for when in _spread(rng, self.start, round(1000 * self.scale), CITIZEN_HOURS):
            ip, agent = self.citizen_ip(), rng.choice(CITIZEN_AGENTS)
            t, ref = when, "-"
            cached = rng.random() < 0.4
            path = "/" if rng.random() < 0.5 else rng.choices(pages, weights)[0]
            for step in range(rng.randint(1, 7)):
                if step:
                    t += timedelta(seconds=rng.uniform(3, 60))
                    path = rng.choices(pages, weights)[0]
                    if rng.random() < 0.15:
                        path = f"/tra-cuu-ho-so?ma=HS2026-{rng.randint(1, 99999):06d}"
                size = sizes.get(path, 8_600) + rng.randint(-300, 300)
                status = 200
                if rng.random() < 0.01:
                    status, size = 404, 1_422
                self.web.add(t, nginx_line(t, ip, "GET", path, status, size, ref, agent))
                if step == 0:
                    for asset, asz in STATIC:
                        ta = t + timedelta(milliseconds=rng.randint(80, 600))
                        st, sz = (304, 0) if cached else (200, asz)
                        self.web.add(ta, nginx_line(ta, ip, "GET", asset, st, sz,
                                                    f"https://{PORTAL_HOST}{path}", agent))
                ref = f"https://{PORTAL_HOST}{path}"
            if rng.random() < 0.12:
                self.citizen_login(t + timedelta(seconds=rng.uniform(5, 30)), ip, agent)
            self.portal_conns(when, t, ip)

    def citizen_login(self, t: datetime, ip: str, agent: str) -> None:
        rng = self.rng
        ref = f"https://{PORTAL_HOST}/dang-nhap"
        self.web.add(t, nginx_line(t, ip, "GET", "/dang-nhap", 200, 6_210, "-", agent))
        for _ in range(2 if rng.random() < 0.15 else 1):
            t += timedelta(seconds=rng.uniform(8, 30))
            if rng.random() < 0.2:
                self.web.add(t, nginx_line(t, ip, "POST", "/dang-nhap", 401, 6_388, ref, agent))
                continue
            self.web.add(t, nginx_line(t, ip, "POST", "/dang-nhap", 302, 0, ref, agent))
            t += timedelta(milliseconds=rng.randint(100, 400))
            self.web.add(t, nginx_line(t, ip, "GET", "/ca-nhan/ho-so", 200, 9_905, ref, agent))
            break

    def portal_conns(self, first: datetime, last: datetime, ip: str) -> None:
        """The TCP connections behind a visit (a browser reuses a few)."""
        rng = self.rng
        span = max((last - first).total_seconds(), 1.0) + 5
        for k in range(1 if span < 60 else 2):
            t = first + timedelta(seconds=k * span / 2 - rng.uniform(0.05, 0.3))
            c = Conn(t, ip, self.sport(), PORTAL_PUBLIC_IP, 443, "tcp", "ssl",
                     span / 2 + rng.uniform(5, 70), rng.randint(2_000, 9_000),
                     rng.randint(30_000, 260_000), rng.randint(12, 40), rng.randint(30, 200),
                     nat_dst=SERVERS["cong-dich-vu-1"], sni=PORTAL_HOST)
            self.conn(c, eve=0.15)

    def uptime_monitor(self) -> None:
        """An external uptime check every five minutes (and a redirect on :80)."""
        t = self.start + timedelta(seconds=17)
        monitor = "198.51.100.250"
        while t < self.end:
            self.web.add(t, nginx_line(t, monitor, "GET", "/health", 200, 15, "-", MONITOR_AGENT))
            c = Conn(t - timedelta(milliseconds=60), monitor, self.sport(), PORTAL_PUBLIC_IP, 443,
                     "tcp", "ssl", 0.21, 517, 3_011, 6, 5, nat_dst=SERVERS["cong-dich-vu-1"],
                     sni=PORTAL_HOST)
            self.conn(c, eve=0.0)
            t += timedelta(minutes=5)
        for when in _spread(self.rng, self.start, round(60 * self.scale), CITIZEN_HOURS):
            ip = self.rng.choice(self.citizens_v4)
            c = Conn(when, ip, self.sport(), PORTAL_PUBLIC_IP, 80, "tcp", "http", 0.05, 412, 390,
                     4, 3, nat_dst=SERVERS["cong-dich-vu-1"])
            self.conn(c, eve=0.0)
            fid = self.ids.flow()
            rec = eve_base(when, "http", fid, ip, c.sport, SERVERS["cong-dich-vu-1"], 80, "tcp")
            rec["tx_id"] = 0
            rec["http"] = {"hostname": PORTAL_HOST, "url": "/", "http_user_agent":
                           self.rng.choice(CITIZEN_AGENTS), "http_content_type": "text/html",
                           "http_method": "GET", "protocol": "HTTP/1.1", "status": 301,
                           "redirect": f"https://{PORTAL_HOST}/", "length": 162}
            self.eve.add(when, orjson.dumps(rec).decode())

    # -- background: staff --------------------------------------------------------------
    def staff(self) -> None:
        rng = self.rng
        names = [s[0] for s in SITES]
        weights = [s[2] for s in SITES]
        site_ip = {s[0]: s[1] for s in SITES}
        for _host, ip in self.workstations:
            for when in _spread(rng, self.start, rng.randint(60, 100), STAFF_HOURS):
                r = rng.random()
                if r < 0.12:  # internal services: mail, intranet, file share, directory
                    name, dst = rng.choice(INTERNAL_NAMES)
                    self.query(DnsQuery(when, ip, self.sport(), rng.randrange(65536), name,
                                        answers=[dst], ttl=3600, rtt=0.0004), eve=0.1)
                    port = {"10.0.1.20": 993, "10.0.2.40": 445, "10.0.2.10": 389}.get(dst, 443)
                    c = Conn(when + timedelta(milliseconds=3), ip, self.sport(), dst, port, "tcp",
                             {993: "ssl", 445: "smb", 389: "ldap"}.get(port, "ssl"),
                             rng.uniform(0.5, 300), rng.randint(800, 40_000),
                             rng.randint(2_000, 900_000), rng.randint(8, 80),
                             rng.randint(8, 700))
                    self.conn(c, fw=False)
                    continue
                if r < 0.16:
                    self.odd_query(when, ip)
                    continue
                name = rng.choices(names, weights)[0]
                dst = site_ip[name]
                q = DnsQuery(when, ip, self.sport(), rng.randrange(65536), name,
                             answers=[dst], ttl=rng.choice((60, 300, 600)),
                             rtt=rng.uniform(0.0004, 0.03))
                self.query(q, eve=0.1)
                if rng.random() < 0.3:
                    self.query(DnsQuery(when, ip, self.sport(), rng.randrange(65536), name,
                                        "AAAA", rtt=q.rtt), eve=0.0)
                c = Conn(when + timedelta(seconds=q.rtt + 0.002), ip, self.sport(), dst, 443,
                         "tcp", "ssl", rng.uniform(0.3, 180), rng.randint(900, 30_000),
                         rng.randint(3_000, 2_500_000), rng.randint(8, 60),
                         rng.randint(8, 1_800), sni=name)
                self.conn(c, eve=0.08)

    def odd_query(self, when: datetime, ip: str) -> None:
        """The everyday DNS noise: WPAD misses, PTR and SRV lookups, NTP."""
        rng = self.rng
        kind = rng.randrange(4)
        qid = rng.randrange(65536)
        if kind == 0:
            q = DnsQuery(when, ip, self.sport(), qid, f"wpad.{CITY_DOMAIN}", rcode="NXDOMAIN")
        elif kind == 1:
            last = rng.choice(("10", "11", "20", "30", "40"))
            q = DnsQuery(when, ip, self.sport(), qid, f"{last}.{rng.choice((1, 2))}.0.10.in-addr."
                         "arpa", "PTR", answers=[f"may-chu-{last}.{CITY_DOMAIN}"], ttl=3600)
        elif kind == 2:
            q = DnsQuery(when, ip, self.sport(), qid, f"_ldap._tcp.dc._msdcs.{CITY_DOMAIN}",
                         "SRV", answers=[f"ad.{CITY_DOMAIN}"], ttl=600)
        else:
            q = DnsQuery(when, ip, self.sport(), qid, "pool.ntp-viet.example",
                         answers=["192.0.2.123"], ttl=150)
            self.query(q)
            self.conn(Conn(when + timedelta(milliseconds=5), ip, 123, "192.0.2.123", 123, "udp",
                           "ntp", 0.03, 48, 48, 1, 1, action="accept"))
            return
        self.query(q)

    def firewall_noise(self) -> None:
        """Internet background radiation on the city's public block: denied,
        a handful of ports or hosts per source."""
        rng = self.rng
        ports = (23, 445, 3389, 8080, 5900, 2323, 1433, 6379, 9200, 8443)
        for when in _spread(rng, self.start, round(200 * self.scale), CITIZEN_HOURS):
            src = rng.choice(self.noise_sources)
            t = when
            sweep = rng.random() < 0.3
            port = rng.choice(ports)
            for k in range(rng.randint(1, 6)):
                dst = f"192.0.2.{rng.randint(1, 14)}" if sweep else PORTAL_PUBLIC_IP
                dport = port if sweep else rng.choice(ports)
                self.conn(Conn(t, src, self.sport(), dst, dport, "tcp", action="deny"),
                          zeek=False)
                t += timedelta(seconds=rng.uniform(0.2, 4) * (k + 1))

    # -- the story -------------------------------------------------------------------------
    def story_scan(self) -> None:
        """A SYN scan of ~180 ports of the portal's public address in ~45 s."""
        rng = self.rng
        t0 = self.at(timedelta(hours=10, minutes=3, seconds=12))
        common = [21, 22, 23, 25, 53, 80, 110, 111, 135, 139, 143, 443, 445, 993, 995, 1433,
                  1521, 1723, 2049, 3306, 3389, 5432, 5900, 6379, 8000, 8080, 8443, 9200, 27017]
        extra = rng.sample([p for p in range(1, 10_000) if p not in common], 150)
        ports = common + extra
        rng.shuffle(ports)
        src_port = rng.randint(40000, 60000)
        for k, port in enumerate(ports):
            t = t0 + timedelta(seconds=45 * k / len(ports) + rng.uniform(0, 0.2))
            if port in (22, 80, 443):
                self.conn(Conn(t, ATTACKER_IP, src_port, PORTAL_PUBLIC_IP, port, "tcp", None,
                               0.002, 0, 0, 2, 1, "RSTO", "client-rst",
                               nat_dst=SERVERS["cong-dich-vu-1"]))
            else:
                self.conn(Conn(t, ATTACKER_IP, src_port, PORTAL_PUBLIC_IP, port, "tcp",
                               action="deny", spkts=1), zeek=False)
        self.story.update(scan_target_ip=PORTAL_PUBLIC_IP, scan_start=_iso_z(t0),
                          scan_ports=str(len(ports)))

    def story_web_attack(self) -> None:
        """Recon, sqlmap-style SQL injection, path traversal, webshell probes."""
        rng = self.rng
        t = self.at(timedelta(hours=9, minutes=31, seconds=40))
        self.story["web_attack_start"] = _iso_z(t)
        recon = [("/", 200, 18_412), ("/robots.txt", 200, 64), ("/.env", 404, 1_422),
                 ("/.git/config", 404, 1_422), ("/admin", 404, 1_422),
                 ("/phpmyadmin/", 404, 1_422), ("/tra-cuu-ho-so?ma=HS2026-000123", 200, 8_912),
                 ("/tai-lieu/tai-ve?file=mau-don-01.pdf", 200, 182_330)]
        for path, status, size in recon:
            self.web.add(t, nginx_line(t, ATTACKER_IP, "GET", path, status, size, "-",
                                       "curl/8.5.0"))
            t += timedelta(seconds=rng.uniform(1, 4))
        base = "/tra-cuu-ho-so?ma="
        agent = "sqlmap/1.8.2#stable"
        # a lone quote first: does the parameter break the query? (not itself an injection)
        self.web.add(t, nginx_line(t, ATTACKER_IP, "GET", base + "HS2026-000123%27", 500, 3_210,
                                   "-", agent))
        ok, err, dump = (200, 8_912), (500, 3_210), (200, 184_551)
        sqli = [("%27%20or%20%271%27%3D%271", ok), ("1%20or%201=1", ok),
                ("1%27%20or%201=1--%20-", ok), ("HS2026-000123%27%20AND%20SLEEP(5)--%20-", ok),
                ("HS2026-000123%27%20AND%20sleep%285%29%20AND%20%27a%27=%27a", ok),
                ("1%27%20union%20select%20null--%20-", err),
                ("1%27%20union%20select%20null,null--%20-", err),
                ("1%27%20union%20select%20null,null,null--%20-", ok),
                ("1%27%20union%20all%20select%20table_name,null,null%20from%20"
                 "information_schema.tables--%20-", ok),
                ("1%27%20union%20all%20select%20column_name,null,null%20from%20"
                 "information_schema.columns%20where%20table_name=%27nguoi_dung%27--%20-", ok),
                ("1%27+union+select+ten_dang_nhap,mat_khau,email+from+nguoi_dung--+-", dump),
                ("1%27%3BWAITFOR%20DELAY%20%270:0:5%27--", ok),
                ("1%27%20AND%20benchmark(5000000,md5(1))--", ok)]
        sent = 0
        seen: dict[str, tuple[datetime, str]] = {}  # url → first request, for the IDS alerts
        for rep in range(2):  # sqlmap's detection pass, then a second pass from the UNIONs
            for payload, (status, size) in sqli if rep == 0 else sqli[5:]:
                t += timedelta(seconds=rng.uniform(0.3, 1.5))
                self.web.add(t, nginx_line(t, ATTACKER_IP, "GET", base + payload, status, size,
                                           "-", agent))
                seen.setdefault(base + payload, (t, agent))
                sent += 1
                if "sleep" in payload.lower() or "DELAY" in payload:
                    t += timedelta(seconds=5)
        self.story["sqli_requests"] = str(sent)
        traversal = ["../../../../etc/passwd", "..%2f..%2f..%2f..%2fetc%2fpasswd",
                     "%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fshadow", "....//....//....//etc/passwd",
                     "..%5c..%5c..%5cwindows%5cwin.ini", "/etc/passwd",
                     "../../../../var/www/dichvucong/.env", "%2e%2e/%2e%2e/%2e%2e/proc/self/environ"]
        t += timedelta(minutes=2)
        for k, payload in enumerate(traversal):
            status, size = (200, 2_611) if k == 0 else (400, 166)
            url = "/tai-lieu/tai-ve?file=" + payload
            self.web.add(t, nginx_line(t, ATTACKER_IP, "GET", url, status, size, "-",
                                       "python-requests/2.31.0"))
            seen.setdefault(url, (t, "python-requests/2.31.0"))
            t += timedelta(seconds=rng.uniform(0.5, 3))
        for path in ("/uploads/shell.php", "/uploads/cmd.php?cmd=id", "/tai-lieu/wso.php"):
            self.web.add(t, nginx_line(t, ATTACKER_IP, "GET", path, 404, 1_422, "-",
                                       "python-requests/2.31.0"))
            t += timedelta(seconds=rng.uniform(0.5, 2))
        self.story["web_attack_end"] = _iso_z(t)
        # the attack came over plain HTTP, so the IDS saw it
        start = self.at(timedelta(hours=9, minutes=31, seconds=40))
        for k in range(6):
            ts = start + (t - start) * k / 6
            self.conn(Conn(ts, ATTACKER_IP, self.sport(), PORTAL_PUBLIC_IP, 80, "tcp", "http",
                           (t - start).total_seconds() / 6, 6_000, 90_000, 40, 60,
                           nat_dst=SERVERS["cong-dich-vu-1"]), eve=1.0)
        alerts = ((9_100_101, "CANHGAC-DEMO WEB SQL injection UNION SELECT in URI",
                   base + sqli[10][0], 184_551),
                  (9_100_102, "CANHGAC-DEMO WEB SQL injection time-based SLEEP in URI",
                   base + sqli[3][0], 8_912),
                  (9_100_103, "CANHGAC-DEMO WEB path traversal to /etc/passwd",
                   "/tai-lieu/tai-ve?file=" + traversal[0], 2_611))
        for k, (sid, signature, url, length) in enumerate(alerts):
            ts, ua = seen[url]
            ts += timedelta(milliseconds=3)
            rec = eve_base(ts, "alert", self.ids.flow(), ATTACKER_IP, self.sport(),
                           SERVERS["cong-dich-vu-1"], 80, "tcp")
            rec["tx_id"] = k
            rec["app_proto"] = "http"
            rec["alert"] = {"action": "allowed", "gid": 1, "signature_id": sid, "rev": 1,
                            "signature": signature, "category": "Web Application Attack",
                            "severity": 1}
            rec["http"] = {"hostname": PORTAL_HOST, "url": url, "http_user_agent": ua,
                           "http_method": "GET", "protocol": "HTTP/1.1", "status": 200,
                           "length": length}
            self.eve.add(ts, orjson.dumps(rec).decode())

    def story_ssh(self) -> None:
        """Dozens of failed passwords in four minutes, then the ops account falls."""
        rng = self.rng
        host = "cong-dich-vu-1"
        t = self.at(timedelta(hours=9, minutes=2, seconds=5))
        self.story["bruteforce_start"] = _iso_z(t)
        users = ["root", "admin", "ubuntu", "root", "quantri", "dichvucong", "oracle", "root",
                 "postgres", "test", "root", "www", "vanhanh", "vanhanh", "vanhanh"]
        valid = {"root", "vanhanh"}
        failures = 0
        for user in users:
            port, pid = self.sport(), self.ids.next_pid()
            invalid = user not in valid
            if invalid:
                self.auth_line(host, t, "sshd", pid, f"Invalid user {user} from {ATTACKER_IP} "
                               f"port {port}")
            for _ in range(3):
                t += timedelta(seconds=rng.uniform(4, 7))
                who = f"invalid user {user}" if invalid else user
                self.auth_line(host, t, "sshd", pid,
                               f"Failed password for {who} from {ATTACKER_IP} port {port} ssh2")
                failures += 1
            t += timedelta(seconds=rng.uniform(0.5, 1.5))
            state = "invalid" if invalid else "authenticating"
            self.auth_line(host, t, "sshd", pid, f"Connection closed by {state} user {user} "
                           f"{ATTACKER_IP} port {port} [preauth]")
        t += timedelta(seconds=rng.uniform(3, 6))
        port, pid = self.sport(), self.ids.next_pid()
        self.auth_line(host, t, "sshd", pid,
                       f"Accepted password for {OPS_ACCOUNT} from {ATTACKER_IP} port {port} ssh2")
        self.story.update(ssh_success_at=_iso_z(t), ssh_failures=str(failures))
        cmds = ["/usr/bin/id", "/usr/bin/cat /etc/shadow",
                "/usr/sbin/useradd -m -s /bin/bash -G sudo hotro",
                "/usr/bin/passwd hotro",
                "/usr/bin/tar czf /tmp/.bk.tgz /var/www/dichvucong/.env /etc/nginx"]
        self._session(host, t, pid, OPS_ACCOUNT, ATTACKER_IP, port, cmds, 14 * 60)
        self.auth_line(host, t + timedelta(minutes=5, seconds=40), "useradd", self.ids.next_pid(),
                       "new user: name=hotro, UID=1005, GID=1005, home=/home/hotro, "
                       "shell=/bin/bash, from=/dev/pts/1")
        self.conn(Conn(t - timedelta(seconds=1), ATTACKER_IP, port, PORTAL_PUBLIC_IP, 22, "tcp",
                       "ssh", 14 * 60 + 1, 58_112, 412_870, 900, 1_100,
                       nat_dst=SERVERS[host]))

    def story_beacon(self) -> None:
        """The workstation's implant calls home every ~60 s (±8 s) for seven hours."""
        rng = self.rng
        t = self.at(timedelta(hours=7, minutes=12, seconds=31))
        self.story["beacon_start"] = _iso_z(t)
        last_lookup: datetime | None = None
        n = 0
        while t < self.end - timedelta(minutes=2):
            if last_lookup is None or t - last_lookup > timedelta(minutes=30):
                self.query(DnsQuery(t - timedelta(milliseconds=40), WORKSTATION_IP, self.sport(),
                                    rng.randrange(65536), BEACON_DOMAIN, answers=[BEACON_IP],
                                    ttl=1800, rtt=0.031))
                last_lookup = t
            big = rng.random() < 0.05
            c = Conn(t, WORKSTATION_IP, self.sport(), BEACON_IP, 443, "tcp", "ssl",
                     rng.uniform(0.3, 0.9), rng.randint(610, 780),
                     rng.randint(40_000, 90_000) if big else rng.randint(220, 420),
                     rng.randint(7, 9), rng.randint(30, 60) if big else rng.randint(5, 7),
                     sni=BEACON_DOMAIN)
            self.conn(c, eve=0.2)
            self.pcap_conns.append(c)
            n += 1
            t += timedelta(seconds=60 + rng.uniform(-8, 8))
        self.story.update(beacon_end=_iso_z(t), beacon_connections=str(n))

    def story_tunnel(self) -> None:
        """Two bursts of TXT queries carrying base32 data under one domain."""
        rng = self.rng
        n = 0
        for before, count in ((timedelta(hours=3, minutes=4), 260),
                              (timedelta(hours=1, minutes=27), 180)):
            t = self.at(before)
            if "tunnel_start" not in self.story:
                self.story["tunnel_start"] = _iso_z(t)
            session = f"{rng.getrandbits(16):04x}"
            for k in range(count):
                data = base64.b32encode(rng.randbytes(35)).decode().lower().rstrip("=")
                tail = base64.b32encode(rng.randbytes(rng.randint(6, 16))).decode().lower()
                qname = f"{data}.{tail.rstrip('=')}.{session}{k:04x}.{TUNNEL_DOMAIN}"
                reply = base64.b32encode(rng.randbytes(20)).decode().lower().rstrip("=")
                q = self.query(DnsQuery(t, WORKSTATION_IP, self.sport(), rng.randrange(65536),
                                        qname, "TXT", answers=[reply], ttl=0,
                                        rtt=rng.uniform(0.04, 0.09)), eve=0.05)
                self.pcap_dns.append(q)
                n += 1
                t += timedelta(seconds=rng.uniform(1.2, 2.6))
            self.story["tunnel_end"] = _iso_z(t)
        self.story["tunnel_queries"] = str(n)


# -- the capture -----------------------------------------------------------------


@dataclass(frozen=True)
class TlsClient:
    """What a TLS client offers in its ClientHello, and so its JA3."""

    ciphers: tuple[int, ...]
    versions: tuple[int, ...]  # supported_versions
    groups: tuple[int, ...]

    def extensions(self, server_name: str, rng: random.Random) -> list[tuple[int, bytes]]:
        name = server_name.encode()
        exts = [(0x0000, struct.pack("!HBH", len(name) + 3, 0, len(name)) + name),
                (0x000a, struct.pack("!H", 2 * len(self.groups))
                 + b"".join(struct.pack("!H", g) for g in self.groups)),
                (0x000d, b"\x00\x06\x04\x03\x08\x04\x04\x01")]
        if 0x0304 in self.versions:
            exts.append((0x002b, bytes([2 * len(self.versions)])
                         + b"".join(struct.pack("!H", v) for v in self.versions)))
            exts.append((0x0033, b"\x00\x24\x00\x1d\x00\x20" + rng.randbytes(32)))
        return exts

    @property
    def ja3(self) -> str:
        """JA3 of this client: md5 of version, ciphers, extensions, groups, formats."""
        exts = "-".join(str(k) for k, _ in self.extensions("x", random.Random(0)))
        text = (f"771,{'-'.join(map(str, self.ciphers))},{exts},"
                f"{'-'.join(map(str, self.groups))},")
        return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()

    def client_hello(self, server_name: str, rng: random.Random) -> bytes:
        """A ClientHello record carrying ``server_name``.

        Built by hand: scapy's TLS layer drags in its crypto session
        machinery, and tshark only needs well-formed bytes to find the SNI,
        the offered version and the JA3.
        """
        exts = b"".join(struct.pack("!HH", k, len(body)) + body
                        for k, body in self.extensions(server_name, rng))
        ciphers = b"".join(struct.pack("!H", c) for c in self.ciphers)
        body = (b"\x03\x03" + rng.randbytes(32) + b"\x20" + rng.randbytes(32)
                + struct.pack("!H", len(ciphers)) + ciphers + b"\x01\x00"
                + struct.pack("!H", len(exts)) + exts)
        hs = b"\x01" + struct.pack("!I", len(body))[1:] + body
        return b"\x16\x03\x01" + struct.pack("!H", len(hs)) + hs


BROWSER = TlsClient((0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f), (0x0304, 0x0303), (0x1d, 0x17))
IMPLANT = TlsClient((0xc02f, 0xc030, 0x009c, 0x009d, 0x002f), (0x0303,), (0x17, 0x18))


def tls_client(c: Conn) -> TlsClient:
    """The beacon's implant has its own TLS fingerprint; everyone else browses."""
    return IMPLANT if c.sni == BEACON_DOMAIN else BROWSER


def _mac(ip: str) -> str:
    a, b, c, d = (int(x) for x in ip.split("."))
    return f"02:00:{a:02x}:{b:02x}:{c:02x}:{d:02x}"


def write_pcap(path: Path, conns: list[Conn], queries: list[DnsQuery], seed: int) -> int:
    """The LAN tap's capture of ``conns`` (TCP with a TLS ClientHello) and
    ``queries`` (DNS over UDP); returns the number of packets."""
    from scapy.layers.dns import DNS, DNSQR, DNSRR
    from scapy.layers.inet import IP, TCP, UDP
    from scapy.layers.l2 import Ether
    from scapy.packet import Packet, Raw
    from scapy.utils import PcapWriter

    rng = random.Random(f"canhgac-demo-pcap:{seed}")
    gateway = "02:00:0a:14:00:01"
    frames: list[tuple[int, int, bytes]] = []

    def add(ts: float, src: str, dst: str, *layers: Packet) -> None:
        """One Ethernet frame as bytes.  Layers are chained with
        ``add_payload``: scapy's ``/`` copies every layer it joins."""
        smac = gateway if not src.startswith("10.") else _mac(src)
        dmac = gateway if not dst.startswith("10.") else _mac(dst)
        head: Packet = Ether(src=smac, dst=dmac)
        cur = head
        for layer in (IP(src=src, dst=dst, ttl=64), *layers):
            cur.add_payload(layer)
            cur = layer
        frames.append((round(ts * 1_000_000), len(frames), bytes(head)))

    for c in conns:
        t = c.ts.timestamp()
        a, b = rng.getrandbits(32), rng.getrandbits(32)
        hello = tls_client(c).client_hello(c.sni or c.dst, rng)
        answer = rng.randbytes(min(max(c.rcvd - 200, 120), 1400))
        record = b"\x17\x03\x03" + struct.pack("!H", len(answer)) + answer
        rtt = 0.035
        s_, d_ = (c.src, c.sport), (c.dst, c.dport)
        for dt, (src, sp), (dst, dp), flags, seq, ack, data in (
                (0.0, s_, d_, "S", a, 0, b""),
                (rtt, d_, s_, "SA", b, a + 1, b""),
                (rtt + 0.0002, s_, d_, "A", a + 1, b + 1, b""),
                (rtt + 0.0004, s_, d_, "PA", a + 1, b + 1, hello),
                (2 * rtt, d_, s_, "PA", b + 1, a + 1 + len(hello), record),
                (2 * rtt + 0.001, s_, d_, "FA", a + 1 + len(hello), b + 1 + len(record), b""),
                (3 * rtt, d_, s_, "FA", b + 1 + len(record), a + 2 + len(hello), b""),
                (3 * rtt + 0.0002, s_, d_, "A", a + 2 + len(hello), b + 2 + len(record), b"")):
            seg = TCP(sport=sp, dport=dp, flags=flags, seq=seq, ack=ack, window=64240)
            add(t + dt, src, dst, *((seg, Raw(data)) if data else (seg,)))
    for q in queries:
        t = q.ts.timestamp()
        question = DNSQR(qname=q.qname, qtype=q.qtype)
        add(t, q.src, RESOLVER_IP, UDP(sport=q.sport, dport=53),
            DNS(id=q.qid, rd=1, qd=question))
        if q.qtype == "TXT":
            answers = [DNSRR(rrname=q.qname, type="TXT", ttl=q.ttl, rdata=[a.encode()])
                       for a in q.answers]
        else:
            answers = [DNSRR(rrname=q.qname, type=q.qtype, ttl=q.ttl, rdata=a)
                       for a in q.answers]
        add(t + q.rtt, RESOLVER_IP, q.src, UDP(sport=53, dport=q.sport),
            DNS(id=q.qid, qr=1, rd=1, ra=1, rcode=_RCODES[q.rcode], qd=question,
                an=answers or None))
    frames.sort()
    with PcapWriter(str(path), linktype=1) as writer:  # 1: Ethernet
        writer.write_header(None)
        for us, _seq, raw in frames:
            writer.write_packet(raw, sec=us // 1_000_000, usec=us % 1_000_000)
    return len(frames)


def _capture_window(day: _Day, seed: int) -> tuple[list[Conn], list[DnsQuery]]:
    """Eight minutes of the LAN tap around the first tunnel burst: beacons,
    the first tunnel queries, and the workstations' normal traffic."""
    start = datetime.fromisoformat(day.story["tunnel_start"]) - timedelta(minutes=3)
    stop = start + timedelta(minutes=8)
    beacons = [c for c in day.pcap_conns if start <= c.ts < stop]
    tunnel = [q for q in day.pcap_dns if start <= q.ts < stop][:90]
    # normal traffic of two neighbours of the same department, same window
    rng = random.Random(f"canhgac-demo-pcap-normal:{seed}:{day.end.isoformat()}")
    conns: list[Conn] = list(beacons)
    queries: list[DnsQuery] = list(tunnel)
    for ip in ("10.20.7.101", "10.20.7.102"):
        for k in range(6):
            name, dst, _w = SITES[rng.randrange(len(SITES))]
            ts = start + timedelta(seconds=rng.uniform(0, 470))
            queries.append(DnsQuery(ts, ip, rng.randint(32768, 60999), rng.randrange(65536),
                                    name, answers=[dst], ttl=300, rtt=0.004))
            conns.append(Conn(ts + timedelta(seconds=0.01), ip, rng.randint(32768, 60999), dst,
                              443, "tcp", "ssl", 0.4, 900, 4_000 + 100 * k, 6, 6, sni=name))
    return conns, queries


# -- entry point ----------------------------------------------------------------------------


def write_day(out_dir: Path, *, end: datetime, seed: int = 2026,
              scale: float = 1.0) -> NetworkDay:
    """A day of traffic ending at ``end`` (UTC-aware), written under out_dir.

    Demo data: see the module docstring for the files, the network and the
    story.  ``scale`` (> 0) multiplies the normal background only.
    """
    if end.tzinfo is None or end.utcoffset() is None:
        raise ValueError("end must be timezone-aware (e.g. datetime.now(UTC))")
    if not scale > 0:
        raise ValueError(f"scale must be positive, got {scale!r}")
    end = end.astimezone(UTC).replace(microsecond=0)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    day = _Day(end, seed, scale)
    day.run()
    files: list[Path] = []
    counts: dict[str, int] = {}
    outputs = [*day.auth.values(), day.web, day.fw, day.zconn, day.dns, day.eve]
    for out in outputs:
        path, n = out.write(out_dir)
        files.append(path)
        counts[path.name] = n
    pcap = out_dir / "demo-capture-so-tnmt.pcap"
    conns, queries = _capture_window(day, seed)
    counts[pcap.name] = write_pcap(pcap, conns, queries, seed)
    files.append(pcap)
    story = {
        "attacker_ip": ATTACKER_IP, "portal_host": PORTAL_HOST,
        "portal_ip": SERVERS["cong-dich-vu-1"], "portal_public_ip": PORTAL_PUBLIC_IP,
        "compromised_user": OPS_ACCOUNT, "ssh_host": "cong-dich-vu-1",
        "ssh_host_ip": SERVERS["cong-dich-vu-1"], "workstation_host": WORKSTATION,
        "workstation_ip": WORKSTATION_IP, "tunnel_domain": TUNNEL_DOMAIN,
        "beacon_ip": BEACON_IP, "beacon_domain": BEACON_DOMAIN, **day.story,
        "start": _iso_z(day.start), "end": _iso_z(end),
    }
    return NetworkDay(files=files, story=story, counts=counts)


__all__ = ["NetworkDay", "write_day"]
