"""The live-capture input: one interface, captured by tshark (dumpcap), turned
into flow, DNS, HTTP and TLS events by ``collectors.pcap.live.capture``.

Memory stays bounded end to end: the sink blocks when full, so this thread
stops taking rows, tshark's bounded row queue fills, tshark stops reading and
the kernel drops packets (which tshark counts) rather than Python growing.
Flows are emitted when they close or age (``tcp_idle``/``idle``/``active``
timeouts on the wall clock, every ``tick_interval`` even with no traffic),
and all open flows on stop.  A capture that fails (no such interface, no
permission) is reported in health and retried every ``restart_interval``.

Live traffic cannot be read again, so there is no registry: what was captured
before a crash and not yet stored is lost; what the sink acknowledged is in
the store or the spool.
"""

from __future__ import annotations

import logging
import threading

from canhgac.settings.collectors import CaptureInputSettings
from collectors.health import HealthBoard
from collectors.pcap import CaptureStats, FlowTimeouts, TsharkUnavailable
from collectors.pcap.live import LiveCaptureError, capture
from collectors.sink import StoreSink

log = logging.getLogger(__name__)


class CaptureInput:
    """Runs one capture in a thread until ``stop``."""

    def __init__(self, settings: CaptureInputSettings, sink: StoreSink,
                 health: HealthBoard | None = None) -> None:
        self.settings = settings
        self.input_id = settings.id
        self.sink = sink
        self.health = health or sink.health
        self.stats = CaptureStats()
        self.ready = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def timeouts(self) -> FlowTimeouts:
        s = self.settings
        return FlowTimeouts(tcp_idle=s.tcp_idle, idle=s.idle, active=s.active,
                            close_linger=s.close_linger, max_flows=s.max_flows)

    def start(self) -> CaptureInput:
        self._thread = threading.Thread(target=self._run, name=f"capture-{self.input_id}",
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 30.0) -> None:
        """Stop tshark, emit the open flows, and return once they are queued."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
        self.health.set(self.input_id, state="stopped")

    def _run(self) -> None:
        s = self.settings
        while not self._stop.is_set():
            self.health.set(self.input_id, state="starting")
            self.ready.clear()
            ended = threading.Event()
            watcher = threading.Thread(target=self._announce, args=(ended,), daemon=True,
                                       name=f"capture-{self.input_id}-ready")
            watcher.start()
            try:
                for ev in capture(s.interface, s.bpf_filter, source=f"live:{s.interface}",
                                  timeouts=self.timeouts, tick_interval=s.tick_interval,
                                  ready=self.ready, stats=self.stats,
                                  queue_size=s.queue_packets, stop=self._stop):
                    self.sink.submit([ev], input_id=self.input_id)
                    self.health.add(self.input_id, records_in=1)
            except (LiveCaptureError, TsharkUnavailable, OSError) as exc:
                log.error("input %s: %s", self.input_id, exc)
                self.health.error(self.input_id, str(exc))
                self.health.set(self.input_id, state="failed")
            finally:
                ended.set()
                watcher.join(1.0)
            log.info("input %s: capture ended: %d packets, %d flows, %d events", self.input_id,
                     self.stats.packets, self.stats.flows, self.stats.events)
            if not self._stop.is_set():
                self._stop.wait(s.restart_interval)

    def _announce(self, ended: threading.Event) -> None:
        """Say "running" once tshark really captures (tests and operators wait for it)."""
        while not ended.is_set() and not self._stop.is_set():
            if self.ready.wait(0.1):
                self.health.set(self.input_id, state="running")
                return
