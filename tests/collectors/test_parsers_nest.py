"""``_common.nest`` writes dotted fields into an event exactly as one
``canhgac.ecs.put`` per field would, whether the field set is new (the loop)
or seen often enough to have a compiled builder: same values, same key order,
None skipped, existing objects (``event``) extended, conflicts resolved the
same way."""

from __future__ import annotations

import copy
import json
import random
from typing import Any

import pytest

from canhgac.ecs import put
from collectors.parsers import _common

NAMES = ["message", "event", "event.action", "event.x.y", "ecs.version", "source.ip",
         "source.port", "source.geo.city_name", "source", "log.syslog.facility.code",
         "log.syslog.facility.name", "log.level", "zeek.conn.history", "zeek.conn",
         "@timestamp", "winlog.event_data.Quoted'\"Key", "related.ip"]
VALUES: list[Any] = [None, 0, "x", "", ["a"], {"k": 1}, True]


def _base(fresh: bool = True) -> dict[str, Any]:
    """An event as ``build`` makes it before nesting (``fresh``), or one that
    also holds objects and values the fields must merge with or replace."""
    ev: dict[str, Any] = {"@timestamp": "2026-11-20T00:00:00.000Z",
                          "ecs": {"version": "8.11.0"}, "event": {"kind": "event", "id": "abc"}}
    if not fresh:
        ev["source"] = {"nat": {"ip": "192.0.2.1"}}
        ev["log"] = "a text where an object goes"
    return ev


def _reference(fields: dict[str, Any], fresh: bool) -> dict[str, Any]:
    ev = _base(fresh)
    for path, value in fields.items():
        put(ev, path, value)
    return ev


@pytest.mark.parametrize("fresh", [True, False])
def test_nest_matches_put_for_new_and_repeated_shapes(fresh: bool) -> None:
    rng = random.Random(3)
    shapes = [rng.sample(NAMES, rng.randint(0, 9)) for _ in range(60)]
    compiled_before = len(_common._shapes)
    for _ in range(3000):
        shape = rng.choice(shapes)
        picks = [rng.randrange(len(VALUES)) for _ in shape]
        # fresh values for each side: a dict value in the way gets written into
        want = _reference({k: copy.deepcopy(VALUES[i]) for k, i in zip(shape, picks, strict=True)},
                          fresh)
        fields = {k: copy.deepcopy(VALUES[i]) for k, i in zip(shape, picks, strict=True)}
        got = _base(fresh)
        if fresh:
            _common._nest(got, fields, True)  # build's builders for a new event
        else:
            _common.nest(got, fields)
        # json.dumps keeps insertion order: equal text means equal key order too
        assert json.dumps(got) == json.dumps(want), shape
    assert len(_common._shapes) > compiled_before  # the compiled path was exercised


def test_compiled_builder_is_refused_for_conflicting_paths() -> None:
    assert _common._compile_shape(("source", "source.ip")) is None
    assert _common._compile_shape(("@timestamp.x",)) is None
    assert _common._compile_shape(("source.ip", "event.action")) is not None


def test_long_field_sets_use_the_loop() -> None:
    fields = {f"winlog.event_data.F{i}": i for i in range(_common.MAX_SHAPE_FIELDS + 5)}
    before = dict(_common._shapes)
    for _ in range(_common.SHAPE_AFTER + 1):
        ev = _base()
        _common.nest(ev, dict(fields))
        assert ev["winlog"]["event_data"] == {k.rsplit(".", 1)[1]: v for k, v in fields.items()}
    assert _common._shapes == before
