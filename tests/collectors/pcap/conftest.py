"""Fixtures for the pcap tests: captures generated with scapy, and a skip when
tshark is not installed (``apt-get install tshark``)."""

from __future__ import annotations

import copy
import shutil
from pathlib import Path
from typing import Any

import pytest

from collectors.pcap import CaptureStats, read_pcap
from tests.collectors.pcap.captures import Expected, mixed_capture

if shutil.which("tshark") is None:
    pytest.skip("tshark is not installed (Debian package tshark)", allow_module_level=True)


@pytest.fixture(scope="module")
def mixed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Expected]:
    """TCP, DNS, HTTP, TLS, ICMP, IPv6 UDP and ARP in one capture, with the truth."""
    return mixed_capture(tmp_path_factory.mktemp("pcap") / "mixed.pcap")


@pytest.fixture(scope="module")
def mixed_read(mixed: tuple[Path, Expected]) -> tuple[list[dict[str, Any]], CaptureStats]:
    """The events of the mixed capture (read once per module: tshark starts slowly)."""
    stats = CaptureStats()
    return list(read_pcap(mixed[0], "file:mixed.pcap", stats=stats)), stats


@pytest.fixture
def mixed_events(mixed_read: tuple[list[dict[str, Any]], CaptureStats]) -> list[dict[str, Any]]:
    return copy.deepcopy(mixed_read[0])
