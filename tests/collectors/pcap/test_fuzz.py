"""Hostile rows: whatever tshark prints, the processor counts it and goes on."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from collectors.pcap.fields import AGGREGATOR, COL, N_FIELDS
from collectors.pcap.processor import CaptureProcessor

VALUE = st.one_of(st.just(""), st.integers(-5, 70000).map(str),
                  st.sampled_from(["10.0.0.1", "::1", "0x0012", "1", "True", "-", "0x0304"]),
                  st.text(max_size=12))
ROW = st.lists(st.one_of(VALUE, st.lists(VALUE, min_size=2, max_size=3).map(AGGREGATOR.join)),
               min_size=N_FIELDS, max_size=N_FIELDS)


@settings(max_examples=50, deadline=None)
@given(st.lists(ROW, min_size=1, max_size=5))
def test_any_rows_never_crash_and_are_all_counted(rows: list[list[str]]) -> None:
    proc = CaptureProcessor("fuzz")
    events = []
    for i, cols in enumerate(rows):
        cols[COL["frame.number"]] = str(i + 1)
        cols[COL["frame.time_epoch"]] = f"{1_780_000_000 + i}.5"
        events += proc.process(cols)
    events += proc.finish()
    s = proc.stats
    assert s.packets == len(rows)
    assert s.flows == sum(1 for e in events if e["event"]["dataset"] == "pcap.flow")
    assert s.non_ip + s.malformed_rows <= len(rows)


def test_wrong_column_count_is_counted() -> None:
    proc = CaptureProcessor("fuzz")
    assert proc.process(None) == []
    assert proc.stats.malformed_rows == 1
