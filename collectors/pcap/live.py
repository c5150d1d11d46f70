"""Live capture from an interface, producing the same events as ``read_pcap``.

tshark captures (through dumpcap, with a BPF filter) and prints the same field
rows the file reader uses; a reader thread feeds them through a bounded queue
(when Python falls behind, tshark blocks and the kernel ring drops, which
tshark reports, rather than memory growing).  Flows age on the wall clock:
with no packets, ``tick_interval`` seconds pass and idle/closed flows are
emitted anyway.  Capture stops after ``packet_count`` packets, ``duration``
seconds, or when the consumer closes the generator; open flows are then
emitted with ``event.reason: end_of_capture``.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Iterator
from typing import Any

from collectors.pcap.fields import live_command
from collectors.pcap.flows import FlowTimeouts
from collectors.pcap.processor import CaptureProcessor, CaptureStats
from collectors.pcap.tshark import TsharkRun, tshark_path

_END = object()
DEFAULT_LIVE_TIMEOUTS = FlowTimeouts(tcp_idle=120.0, idle=30.0, active=300.0, close_linger=2.0)


class LiveCaptureError(RuntimeError):
    """tshark could not capture (no such interface, no permission, bad BPF filter)."""


def _pump(run: TsharkRun, q: queue.Queue[Any]) -> None:
    try:
        for cols in run.rows():
            q.put(cols)
    except (ValueError, OSError):  # the pipe was closed under us: shutting down
        pass
    finally:
        q.put(_END)


def _watch_ready(run: TsharkRun, ready: threading.Event, stop: threading.Event) -> None:
    # tshark says "Capturing on" before dumpcap is reading; "Capture started"
    # (tshark >= 3.6) comes once packets are really being captured.
    seen_at = None
    while not stop.is_set() and run.proc.poll() is None:
        text = run.raw_messages()
        if "Capture started" in text:
            ready.set()
            return
        if seen_at is None and "Capturing on" in text:
            seen_at = time.monotonic()
        if seen_at is not None and time.monotonic() - seen_at > 1.0:
            ready.set()
            return
        time.sleep(0.05)


def capture(interface: str, bpf_filter: str | None = None, *, source: str | None = None,
            packet_count: int | None = None, duration: float | None = None,
            timeouts: FlowTimeouts | None = None, tick_interval: float = 1.0,
            ready: threading.Event | None = None, stats: CaptureStats | None = None,
            queue_size: int = 10_000,
            stop: threading.Event | None = None) -> Iterator[dict[str, Any]]:
    """Events from ``interface`` as flows close or age, DNS/HTTP pairs complete and
    ClientHellos arrive.  ``ready`` (optional) is set once tshark is capturing;
    setting ``stop`` ends the capture: tshark is told to stop, the packets it
    already printed are still processed, and open flows are emitted."""
    proc = CaptureProcessor(source or f"live:{interface}", timeouts or DEFAULT_LIVE_TIMEOUTS)
    if stats is not None:
        proc.stats = stats
    run = TsharkRun(live_command(tshark_path(), interface, bpf_filter, packet_count, duration))
    q: queue.Queue[Any] = queue.Queue(maxsize=queue_size)
    done = threading.Event()
    pump = threading.Thread(target=_pump, args=(run, q), name="pcap-live-pump", daemon=True)
    pump.start()
    if ready is not None:
        threading.Thread(target=_watch_ready, args=(run, ready, done),
                         name="pcap-live-ready", daemon=True).start()
    stopped = False
    try:
        last_tick = time.monotonic()
        while True:
            if stop is not None and not stopped and stop.is_set():
                stopped = True  # tshark exits; the pump then hands over the rest and _END
                if run.proc.poll() is None:
                    run.proc.terminate()
            try:
                item = q.get(timeout=min(tick_interval, 0.25) if stop is not None
                             else tick_interval)
            except queue.Empty:
                item = None
            if item is _END:
                break
            if item is not None:
                yield from proc.process(item)
            if time.monotonic() - last_tick >= tick_interval:
                last_tick = time.monotonic()
                yield from proc.tick(time.time())
        rc, messages = run.finish()
        yield from proc.finish()
        if rc != 0 and not stopped:
            raise LiveCaptureError(f"tshark capture on {interface} failed: "
                                   f"{messages or f'exit code {rc}'}")
    finally:
        done.set()
        run.close()
        deadline = time.monotonic() + 5
        while pump.is_alive() and time.monotonic() < deadline:
            try:  # unblock a pump waiting on a full queue
                while True:
                    q.get_nowait()
            except queue.Empty:
                pump.join(timeout=0.05)
