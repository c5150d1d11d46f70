"""Sustained syslog rate into the store over loopback, UDP and TCP, and the loss.

    python bench/syslog_load.py [--messages 20000] [--seconds 60] [--udp-rate 0]

For each transport: start a ``SyslogServer`` on 127.0.0.1 (ephemeral port)
feeding the real parse → sink → store path (the ``syslog`` parser of
``collectors.parsers`` when present, else a minimal one; the store is a fresh
SQLite file), send ``--messages`` RFC 5424/3164 messages as fast as the
client can (UDP optionally paced with ``--udp-rate`` messages/s), and wait
until the store holds them or ``--seconds`` pass.  Reported: messages/s from
the first send to the last stored event, how many the server received, how
many the store holds, and the loss rate (UDP loses what the kernel drops
while the sink pushes back; TCP pushes back on the sender and loses
nothing).  In the same run, a baseline parses the same messages and writes
them with ``store.bulk`` directly (no sockets, no sink): ``ratio_to_baseline``
is what the listener path keeps of that rate, a figure that survives a noisy
shared machine better than the absolute rates.  Bounded in count and time.
Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from collectors.record import RecordContext
from collectors.runner import RecordProcessor
from collectors.sink import StoreSink
from collectors.syslog_server import SyslogServer, SyslogService


def minimal_parser(raw: bytes | str, ctx: RecordContext) -> list[dict[str, Any]]:
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    return [{"@timestamp": "2026-11-26T06:00:00.000Z", "message": text,
             "event": {"dataset": "bench.syslog", "kind": "event"}}]


def pick_parser() -> tuple[Any, str]:
    try:
        from collectors.parsers import get_parser

        return get_parser("syslog"), "collectors.parsers.syslog"
    except (ImportError, KeyError):
        return minimal_parser, "minimal"


def message(i: int) -> bytes:
    if i % 2:
        return (f"<34>1 2026-11-26T06:00:{i % 60:02d}.000Z gw-{i % 7} sshd {1000 + i % 50} - - "
                f"Failed password for user{i % 13} from 10.{i % 250}.1.{i % 200} port "
                f"{20000 + i % 9000} ssh2 seq={i}").encode()
    return (f"<86>Nov 26 06:00:{i % 60:02d} cantho-fw{i % 3} sudo[{2000 + i % 40}]: "
            f"cán bộ {i % 17} : TTY=pts/0 ; PWD=/home ; USER=root ; COMMAND=/bin/ls seq={i}"
            ).encode()


def run(protocol: str, count: int, seconds: float, udp_rate: float, parser: Any) -> dict:
    from store.sqlite import SQLiteStore

    tmp = Path(tempfile.mkdtemp(prefix="canhgac-bench-syslog-"))
    st = SQLiteStore(tmp / "canhgac.db")
    sink = StoreSink(st, None, batch_size=500, batch_timeout=0.2).start()
    server = SyslogServer("bench", protocol, "127.0.0.1", 0, RecordProcessor("bench", parser, sink),
                          max_message_bytes=64 * 1024, receive_buffer_bytes=8 * 1024**2,
                          health=sink.health)
    service = SyslogService([server]).start()
    payloads = [message(i) for i in range(count)]
    deadline = time.monotonic() + seconds
    started = time.perf_counter()
    sent = 0
    if protocol == "udp":
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            gap = 1.0 / udp_rate if udp_rate > 0 else 0.0
            for p in payloads:
                s.sendto(p, ("127.0.0.1", server.port))
                sent += 1
                if gap:
                    time.sleep(gap)
                if time.monotonic() > deadline:
                    break
    else:
        with socket.create_connection(("127.0.0.1", server.port), timeout=seconds) as s:
            for k in range(0, count, 500):
                s.sendall(b"".join(p + b"\n" for p in payloads[k:k + 500]))
                sent = min(count, k + 500)
                if time.monotonic() > deadline:
                    break
    send_seconds = time.perf_counter() - started
    # Wait for the store to hold what the server got (bounded).
    last, still = -1, 0
    while time.monotonic() < deadline:
        h = sink.health.get("bench")
        done = h.events_out + h.dead_letters if h else 0
        if done >= sent:
            break
        if h and h.records_in == last and h.pending == 0:
            still += 1
            if still > 20:  # nothing more is coming: the rest was lost on the way
                break
        else:
            still = 0
        last = h.records_in if h else 0
        time.sleep(0.05)
    sink.flush(max(1.0, deadline - time.monotonic()))
    elapsed = time.perf_counter() - started
    service.stop(grace=1.0)
    sink.stop()
    stored = st.count("events")
    dead = st.count("dead_letters")
    st.close()
    return {
        "sent": sent, "received": server.received, "stored": stored, "dead_letters": dead,
        "loss_rate": round(1 - (stored + dead) / sent, 5) if sent else None,
        "send_seconds": round(send_seconds, 3), "seconds": round(elapsed, 3),
        "messages_per_s": round(stored / elapsed, 1) if elapsed else None,
    }


def baseline(count: int, parser: Any) -> dict:
    """The same parse and store writes without the server and the sink, in
    this run: what the listener path costs is the ratio to this."""
    from datetime import UTC, datetime

    from canhgac.ecs import event_id
    from store.sqlite import SQLiteStore

    tmp = Path(tempfile.mkdtemp(prefix="canhgac-bench-syslog-"))
    st = SQLiteStore(tmp / "canhgac.db")
    payloads = [message(i) for i in range(count)]
    started = time.perf_counter()
    batch: list[dict[str, Any]] = []
    for i, p in enumerate(payloads):
        ctx = RecordContext("syslog:tcp:0", peer="127.0.0.1:1", received=datetime.now(UTC))
        for ev in parser(p, ctx):
            ev.setdefault("event", {}).setdefault("id", event_id("bench", i))
            batch.append(ev)
        if len(batch) >= 500:
            st.bulk("events", batch, mode="create")
            batch = []
    if batch:
        st.bulk("events", batch, mode="create")
    elapsed = time.perf_counter() - started
    stored = st.count("events")
    st.close()
    return {"stored": stored, "seconds": round(elapsed, 3),
            "messages_per_s": round(stored / elapsed, 1)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--messages", type=int, default=20_000)
    ap.add_argument("--seconds", type=float, default=60.0, help="per transport")
    ap.add_argument("--udp-rate", type=float, default=0.0, help="messages/s, 0 = flat out")
    ap.add_argument("--transports", default="udp,tcp")
    args = ap.parse_args()
    parser, parser_name = pick_parser()
    out: dict[str, Any] = {"bench": "syslog_load", "messages": args.messages,
                           "seconds_limit": args.seconds, "udp_rate": args.udp_rate,
                           "parser": parser_name, "store": "sqlite",
                           "python": platform.python_version(), "cpus": os.cpu_count(),
                           "load_avg_1m": round(os.getloadavg()[0], 2)}
    out["baseline_parse_and_bulk"] = baseline(args.messages, parser)
    for proto in args.transports.split(","):
        out[proto] = run(proto, args.messages, args.seconds, args.udp_rate, parser)
        out[proto]["ratio_to_baseline"] = round(
            (out[proto]["messages_per_s"] or 0) / out["baseline_parse_and_bulk"]["messages_per_s"],
            3)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
