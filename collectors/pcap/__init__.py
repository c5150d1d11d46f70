"""Packet captures into ECS events: flows (with Community ID), DNS, HTTP, TLS
ClientHellos and ICMP, from ``.pcap``/``.pcapng`` files (``read_pcap``) and
from a live interface (``collectors.pcap.live.capture``).

Not one event per packet: packets are folded into bidirectional flow records
(``pcap.flow``); DNS queries are paired with their answers (``pcap.dns``),
HTTP requests with their responses (``pcap.http``); each TLS ClientHello is a
``pcap.tls`` event.  tshark does the dissection.
"""

from collectors.pcap.flows import FlowTimeouts
from collectors.pcap.processor import CaptureStats
from collectors.pcap.reader import check_capture, read_pcap
from collectors.pcap.tshark import TsharkUnavailable

__all__ = ["CaptureStats", "FlowTimeouts", "TsharkUnavailable", "check_capture", "read_pcap"]
