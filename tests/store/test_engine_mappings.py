"""Pure tests of store.engine.mappings and the node-free helpers of the
adapters and the backend (naming, error text, URL redaction)."""

from __future__ import annotations

import pytest

from store.engine import mappings as m
from store.engine.adapters import error_reason, error_type, identify, make_adapter, redact_url
from store.engine.backend import EngineStore, dataset_of
from store.schema import COLLECTIONS, KEYWORD, collection


def _prop(mapping: dict, path: str) -> dict:
    node = {"properties": mapping["properties"]}
    for part in path.split("."):
        node = node["properties"][part]
    return node


def test_every_collection_has_a_mapping() -> None:
    for coll in COLLECTIONS.values():
        body = m.index_body(coll)
        assert body["mappings"]["date_detection"] is False
        assert body["mappings"]["numeric_detection"] is False
        assert body["settings"]["analysis"]["analyzer"][m.ANALYZER]["filter"] == [
            "lowercase", "asciifolding"]


def test_declared_kinds() -> None:
    events = m.mapping(collection("events"))
    assert _prop(events, "@timestamp") == {"type": "date",
                                           "format": "strict_date_optional_time||epoch_millis"}
    assert _prop(events, "message") == {"type": "text", "analyzer": "canhgac_folding"}
    assert _prop(events, "source.port") == {"type": "long"}
    assert _prop(events, "source.ip") == {"type": "ip"}
    assert _prop(events, "event.risk_score") == {"type": "double"}
    assert _prop(events, "event.original") == {"type": "keyword", "index": False,
                                               "doc_values": False}


def test_events_keywords_have_a_caseless_subfield() -> None:
    events = collection("events")
    mapping = m.mapping(events)
    for path, kind in events.fields.items():
        if kind == KEYWORD and path not in m.NOT_INDEXED:
            spec = _prop(mapping, path)
            assert spec["fields"]["caseless"] == {
                "type": "keyword", "normalizer": "canhgac_caseless", "ignore_above": 8191}, path
    dynamic = _template(mapping, "strings_as_keyword")
    assert dynamic["match_mapping_type"] == "string"
    assert dynamic["mapping"]["ignore_above"] == 1024
    assert dynamic["mapping"]["fields"]["caseless"]["normalizer"] == "canhgac_caseless"
    # Windows event data is what Sigma searches: indexed up to Lucene's term limit,
    # and matched before the general string rule.
    names = [next(iter(t)) for t in mapping["dynamic_templates"]]
    assert names.index("winlog_event_data") < names.index("strings_as_keyword")
    winlog = _template(mapping, "winlog_event_data")
    assert winlog["path_match"] == "winlog.event_data.*"
    assert winlog["mapping"]["ignore_above"] == 8191
    assert winlog["mapping"]["fields"]["caseless"]["normalizer"] == "canhgac_caseless"


def _template(mapping: dict, name: str) -> dict:
    for entry in mapping["dynamic_templates"]:
        if name in entry:
            return entry[name]
    raise AssertionError(f"no dynamic template {name}")


def test_other_collections_have_no_caseless_subfield() -> None:
    alerts = m.mapping(collection("alerts"))
    assert _prop(alerts, "status") == {"type": "keyword", "ignore_above": 8191}
    dynamic = _template(alerts, "strings_as_keyword")["mapping"]
    assert dynamic == {"type": "keyword", "ignore_above": 1024}


def test_dead_letter_context_is_opaque() -> None:
    assert _prop(m.mapping(collection("dead_letters")), "context") == {
        "type": "object", "enabled": False}


def test_events_template() -> None:
    template = m.events_template(collection("events"), "t1")
    assert template["index_patterns"] == ["logs-*-t1"]
    assert template["priority"] == 500
    assert template["data_stream"] == {}
    assert "properties" in template["template"]["mappings"]
    assert template["template"]["settings"]["analysis"]["normalizer"] == {
        "canhgac_caseless": {"type": "custom", "filter": ["lowercase"]}}


def test_conflicting_paths_are_refused() -> None:
    props: dict = {}
    m._insert(props, "a.b", {"type": "keyword"})
    with pytest.raises(ValueError, match="both a field and an object"):
        m._insert(props, "a.b.c", {"type": "keyword"})
    with pytest.raises(ValueError, match="both a field and an object"):
        m._insert(props, "a", {"type": "keyword"})


def test_engine_type() -> None:
    assert m.engine_type(None) == "keyword"
    assert m.engine_type("float") == "double"
    assert m.engine_type("date") == "date"


# --- naming ----------------------------------------------------------------------------


@pytest.mark.parametrize(("doc", "dataset"), [
    ({"event": {"dataset": "Suricata.EVE"}}, "suricata.eve"),
    ({"event": {"dataset": "zeek/conn log-1"}}, "zeek_conn_log_1"),
    ({"event.dataset": "a"}, "a"),
    ({"event": {"dataset": ["x", "y"]}}, "x"),
    ({"event": {"dataset": " "}}, "generic"),
    ({}, "generic"),
])
def test_dataset_of(doc: dict, dataset: str) -> None:
    assert dataset_of(doc) == dataset


def test_names_and_namespace_check() -> None:
    store = EngineStore("http://127.0.0.1:1", namespace="t_1")
    assert store.index_name("events") == "logs-*-t_1"
    assert store.index_name("alerts") == "canhgac-t_1-alerts"
    assert store.data_stream({"event": {"dataset": "Syslog"}}) == "logs-syslog-t_1"
    assert store.template_name == "canhgac-t_1-events"
    store.close()
    for bad in ("Default", "a-b", "", "x" * 65):
        with pytest.raises(ValueError, match="namespace"):
            EngineStore("http://127.0.0.1:1", namespace=bad)
    with pytest.raises(ValueError, match="product"):
        make_adapter("solr", "http://127.0.0.1:1")


# --- adapter helpers ----------------------------------------------------------------------


def test_redact_url() -> None:
    assert redact_url("https://admin:s3cret@es.local:9200/") == "https://admin:***@es.local:9200/"
    assert redact_url("http://127.0.0.1:19200") == "http://127.0.0.1:19200"


def test_error_reason_and_type() -> None:
    body = {"error": {"root_cause": [{"type": "query_shard_exception",
                                      "reason": "failed to create query"}],
                      "type": "search_phase_execution_exception", "reason": "all shards failed",
                      "caused_by": {"type": "number_format_exception",
                                    "reason": 'For input string: "abc"'}}, "status": 400}
    assert error_type(body) == "search_phase_execution_exception"
    assert error_reason(body) == ('query_shard_exception: failed to create query (caused by '
                                  'number_format_exception: For input string: "abc")')
    item = {"type": "mapper_parsing_exception", "reason": "failed to parse field [x]"}
    assert error_reason(item) == "mapper_parsing_exception: failed to parse field [x]"
    assert error_reason("HTTP 500") == "HTTP 500"


def test_identify() -> None:
    assert identify({"version": {"distribution": "opensearch", "number": "3.8.0"}}) == (
        "OpenSearch", "3.8.0")
    assert identify({"version": {"number": "8.15.0"}, "tagline": "You Know, for Search"}) == (
        "Elasticsearch", "8.15.0")
    assert identify({}) == ("an unknown product", "unknown")
