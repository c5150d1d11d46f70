from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from canhgac import ecs


def test_new_event_has_the_ecs_basics():
    ev = ecs.new_event(ts=datetime(2026, 11, 26, 9, 30, tzinfo=timezone(timedelta(hours=7))),
                       dataset="system.auth", category="authentication", type="start",
                       original="Accepted password for an from 10.0.0.1",
                       fields={"user.name": "an", "source.ip": "10.0.0.1", "host.name": None})
    assert ev["@timestamp"] == "2026-11-26T02:30:00.000Z"
    assert ev["event"]["module"] == "system" and ev["event"]["category"] == ["authentication"]
    assert ecs.get(ev, "user.name") == "an" and "host" not in ev
    assert ecs.validate(ev) is ev
    same = ecs.new_event(ts="2026-11-26T02:30:00Z", dataset="system.auth",
                         original="Accepted password for an from 10.0.0.1")
    assert same["event"]["id"] == ev["event"]["id"]  # same input, same id


def test_event_ids_are_deterministic_and_distinct():
    assert ecs.event_id("file:/var/log/auth.log", offset=10) == ecs.event_id(
        "file:/var/log/auth.log", offset=10)
    assert ecs.event_id("a", offset=10) != ecs.event_id("a", offset=11)
    assert ecs.event_id("a", offset=1) != ecs.event_id("b", offset=1)
    assert ecs.event_id("a", content="x") != ecs.event_id("a", offset="x")
    with pytest.raises(ValueError):
        ecs.event_id("a")


def test_put_and_get_dotted_paths():
    doc: dict = {}
    ecs.put(doc, "source.geo.city_name", "Cần Thơ")
    assert doc == {"source": {"geo": {"city_name": "Cần Thơ"}}}
    assert ecs.get(doc, "source.geo.city_name") == "Cần Thơ"
    assert ecs.get(doc, "source.ip", "none") == "none"
    assert ecs.get({"host.name": "flat"}, "host.name") == "flat"


@pytest.mark.parametrize(("doc", "needle"), [
    ({"event": {"id": "1"}}, "@timestamp: missing"),
    ({"@timestamp": "yesterday", "event": {"id": "1"}}, "@timestamp"),
    ({"@timestamp": "2026-11-26T00:00:00Z", "event": {"id": "1"}, "source": {"port": 70000}},
     "source.port: 70000 is outside"),
    ({"@timestamp": "2026-11-26T00:00:00Z", "event": {"id": "1"}, "source": {"ip": "x"}},
     "source.ip: expected an IP address"),
    ({"@timestamp": "2026-11-26T00:00:00Z", "event": {"id": "1", "kind": "oops"}},
     "event.kind"),
    ({"@timestamp": "2026-11-26T00:00:00Z", "event": {"id": "1", "outcome": "ok"}},
     "event.outcome"),
    ({"@timestamp": "2026-11-26T00:00:00Z"}, "event.id"),
    ("just text", "JSON object"),
])
def test_validation_gives_the_reason(doc, needle):
    with pytest.raises(ecs.EventError) as info:
        ecs.validate(doc)
    assert needle in str(info.value)


@given(st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2999, 1, 1),
                    timezones=st.sampled_from([UTC, timezone(timedelta(hours=7)),
                                               timezone(timedelta(hours=-5))])))
def test_timestamps_are_canonical_and_round_trip(dt):
    text = ecs.timestamp(dt)
    assert text.endswith("Z") and len(text) == 24
    back = datetime.fromisoformat(text.replace("Z", "+00:00"))
    assert abs(back - dt) < timedelta(milliseconds=1)


@given(st.dictionaries(st.text(min_size=1, max_size=8), st.one_of(
    st.none(), st.integers(), st.text(max_size=20), st.lists(st.integers(), max_size=3)),
    max_size=6))
def test_validation_never_crashes_on_junk(junk):
    try:
        ecs.validate({"@timestamp": "2026-11-26T00:00:00Z", "event": {"id": "x"}, "source": junk})
    except ecs.EventError as exc:
        assert exc.reasons
