"""Packets per second through ``collectors.pcap.read_pcap`` against raw tshark.

    python bench/pcap.py [--packets 20000] [--prefix 1000] [--pcap FILE]

In one run, on the same capture:

- ``tshark_fields``: raw ``tshark -T fields`` with exactly our fields and
  options, output discarded (the ceiling for any tshark-based path);
- ``ours``: ``read_pcap`` end to end (tshark + flow table + DNS/HTTP/TLS +
  ECS events);
- ``tshark_ek``: ``tshark -T ek -j "ip tcp udp dns"`` for reference;
- ``pyshark_json`` (``use_json=True, include_raw=False``) and
  ``pyshark_xml`` (pyshark's default) on the first ``--prefix`` packets only,
  since they are slow.

The capture: real traffic when ../shared/data is present (its Zeek test traces
appended together until ``--packets`` is reached, with mergecap), else a
synthetic one generated with scapy (TCP sessions, DNS, HTTP, ICMP).  Prints
one JSON line.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from collectors.pcap import CaptureStats, read_pcap
from collectors.pcap.fields import FIELDS, file_command
from collectors.pcap.tshark import tshark_path, tshark_version

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "network" / "zeek-test-traces"


def count_packets(path: Path) -> int:
    out = subprocess.run(["capinfos", "-M", "-c", str(path)], capture_output=True, text=True,
                         timeout=120, check=True).stdout
    return int(out.strip().splitlines()[-1].split(":")[-1].strip())


def shared_capture(target: int, out: Path) -> tuple[Path, str] | None:
    """Real traces appended (``mergecap -a``) until ``target`` packets."""
    if not SHARED.is_dir():
        return None
    traces = sorted(p for p in (SHARED / "Traces").rglob("*.pcap") if p.stat().st_size > 50_000)
    if not traces:
        return None
    chosen: list[str] = []
    total = 0
    sizes = {p: count_packets(p) for p in traces}
    while total < target:
        for p in traces:
            chosen.append(str(p))
            total += sizes[p]
            if total >= target:
                break
    subprocess.run(["mergecap", "-a", "-F", "pcapng", "-w", str(out), *chosen], check=True,
                   capture_output=True, timeout=300)
    return out, f"shared:zeek-test-traces ({len(set(chosen))} traces appended)"


def synthetic_capture(target: int, out: Path) -> tuple[Path, str]:
    """TCP sessions with HTTP, DNS pairs and pings, generated with scapy."""
    from scapy.layers.dns import DNS, DNSQR, DNSRR
    from scapy.layers.inet import ICMP, IP, TCP, UDP
    from scapy.layers.l2 import Ether
    from scapy.utils import PcapWriter

    t, n = 1_780_000_000.0, 0
    with PcapWriter(str(out), sync=False) as w:
        i = 0
        while n < target:
            i += 1
            cli, srv = f"10.{i % 200}.{(i // 200) % 250}.{i % 250 + 1}", "203.0.113.80"
            sport = 20000 + i % 40000
            frames = []
            for flags, fwd, payload in (("S", 1, b""), ("SA", 0, b""), ("A", 1, b""),
                                        ("PA", 1, b"GET /p%d HTTP/1.1\r\nHost: cantho.gov.vn"
                                         b"\r\n\r\n" % i),
                                        ("PA", 0, b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n"
                                         b"\r\nok"),
                                        ("FA", 1, b""), ("FA", 0, b""), ("A", 1, b"")):
                src, dst = (cli, srv) if fwd else (srv, cli)
                sp, dp = (sport, 80) if fwd else (80, sport)
                frames.append(IP(src=src, dst=dst) / TCP(sport=sp, dport=dp, flags=flags)
                              / payload)
            q = DNS(id=i % 65536, qd=DNSQR(qname=f"h{i}.cantho.gov.vn"))
            frames.append(IP(src=cli, dst="10.0.0.53") / UDP(sport=sport, dport=53) / q)
            frames.append(IP(src="10.0.0.53", dst=cli) / UDP(sport=53, dport=sport) / DNS(
                id=i % 65536, qr=1, qd=q.qd, an=[DNSRR(rrname=f"h{i}.cantho.gov.vn",
                                                     rdata="203.0.113.80")]))
            frames.append(IP(src=cli, dst=srv) / ICMP(type=8, id=i % 65536))
            frames.append(IP(src=srv, dst=cli) / ICMP(type=0, id=i % 65536))
            for f in frames:
                t += 0.001
                e = Ether() / f
                e.time = t
                w.write(e)
                n += 1
    return out, "synthetic:scapy"


def time_cmd(cmd: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True,
                   timeout=900)
    return time.perf_counter() - t0


def time_pyshark(path: Path, limit: int, **kwargs: object) -> float:
    import pyshark

    cap = pyshark.FileCapture(str(path), keep_packets=False, **kwargs)
    n = 0
    t0 = time.perf_counter()
    try:
        for pkt in cap:
            _ = pkt.highest_layer  # touch the packet as a consumer would
            n += 1
            if n >= limit:
                break
        elapsed = time.perf_counter() - t0
    finally:
        cap.close()
    return n / elapsed if elapsed else 0.0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--packets", type=int, default=20_000)
    ap.add_argument("--prefix", type=int, default=1000, help="packets for the pyshark legs")
    ap.add_argument("--pcap", type=Path)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="canhgac-bench-pcap-") as tmp:
        if args.pcap:
            path, origin = args.pcap, f"file:{args.pcap.name}"
        else:
            made = shared_capture(args.packets, Path(tmp) / "bench.pcapng")
            path, origin = made or synthetic_capture(args.packets, Path(tmp) / "bench.pcap")
        packets = count_packets(path)
        tshark = tshark_path()
        fields_s = time_cmd(file_command(tshark, path))
        stats = CaptureStats()
        t0 = time.perf_counter()
        events = sum(1 for _ in read_pcap(path, "bench", stats=stats))
        ours_s = time.perf_counter() - t0
        ek_s = time_cmd([tshark, "-n", "-r", str(path), "-T", "ek", "-j", "ip tcp udp dns"])
        prefix = min(args.prefix, packets)
        py_json = time_pyshark(path, prefix * 2, use_json=True, include_raw=False)
        py_xml = time_pyshark(path, prefix)
    tshark_pps = packets / fields_s
    ours_pps = stats.packets / ours_s
    print(json.dumps({
        "bench": "pcap", "capture": origin, "packets": packets, "events": events,
        "flows": stats.flows, "fields": len(FIELDS),
        "tshark_fields_pps": round(tshark_pps), "ours_pps": round(ours_pps),
        "ours_vs_tshark_fields": round(ours_pps / tshark_pps, 3),
        "tshark_ek_pps": round(packets / ek_s),
        "pyshark_json_pps": round(py_json), "pyshark_json_packets": prefix * 2,
        "pyshark_xml_pps": round(py_xml), "pyshark_xml_packets": prefix,
        "tshark": tshark_version(), "python": platform.python_version(),
    }))


if __name__ == "__main__":
    main()
