"""The runtime: record processing, configuration, and ``canhgac collect run``
as a real process stopped by SIGTERM with nothing lost or doubled."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from canhgac.config import ConfigError, load
from collectors.record import ParseError, RecordContext
from collectors.runner import CollectorConfigError, RecordProcessor, resolve_parser
from collectors.sink import StoreSink

REPO = Path(__file__).resolve().parents[2]
LINE = 12  # bytes per fixture line: "line 000000\n"


def plain_parser(raw: bytes | str, ctx: RecordContext) -> list[dict[str, Any]]:
    """The parser the subprocess tests name in their configuration."""
    text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    if not text.strip():
        raise ParseError("empty line")
    return [{"@timestamp": "2026-11-26T05:00:00.000Z", "message": text,
             "event": {"dataset": "test.runner", "kind": "event"}}]


def two_events(raw: bytes | str, ctx: RecordContext) -> list[dict[str, Any]]:
    return [{"@timestamp": "2026-11-26T05:00:00.000Z", "message": "a"},
            {"@timestamp": "2026-11-26T05:00:00.000Z", "message": "b"}]


def broken_parser(raw: bytes | str, ctx: RecordContext) -> list[dict[str, Any]]:
    return raw.split()  # type: ignore[return-value]  # a bug: not dicts


# -- RecordProcessor ----------------------------------------------------------------------

def _processor(parser: Any, tmp_path: Path) -> RecordProcessor:
    from store.sqlite import SQLiteStore

    return RecordProcessor("in", parser, StoreSink(SQLiteStore(tmp_path / "c.db"), None))


def test_ids_are_deterministic_per_file_identity_and_offset(tmp_path: Path):
    proc = _processor(two_events, tmp_path)
    ctx = RecordContext("file:/var/log/x.log", offset=120,
                        extra={"file_identity": "1:2:abc", "file_path": "/var/log/x.log"})
    events, dead = proc.parse(b"x", ctx)
    again, _ = proc.parse(b"x", RecordContext("file:/var/log/x.log.1", offset=120,
                                              extra={"file_identity": "1:2:abc"}))
    other, _ = proc.parse(b"x", RecordContext("file:/var/log/x.log", offset=132,
                                              extra={"file_identity": "1:2:abc"}))
    ids = [e["event"]["id"] for e in events]
    assert not dead and len(set(ids)) == 2
    assert ids == [e["event"]["id"] for e in again]  # renamed file: same ids
    assert not set(ids) & {e["event"]["id"] for e in other}
    assert events[0]["log"] == {"file": {"path": "/var/log/x.log"}, "offset": 120}


def test_network_records_get_distinct_ids(tmp_path: Path):
    proc = _processor(plain_parser, tmp_path)
    ctx = RecordContext("syslog:udp:5514", peer="127.0.0.1:4000")
    a, _ = proc.parse(b"same", ctx)
    b, _ = proc.parse(b"same", ctx)
    assert a[0]["event"]["id"] != b[0]["event"]["id"]


@pytest.mark.parametrize(("parser", "raw", "reason"), [
    (plain_parser, b"   ", "parse error: empty line"),
    (broken_parser, b"x y", "parser failed: TypeError"),
])
def test_bad_records_become_dead_letters(tmp_path: Path, parser: Any, raw: bytes, reason: str):
    proc = _processor(parser, tmp_path)
    events, dead = proc.parse(raw, RecordContext("file:/x", offset=7))
    assert events == []
    assert dead[0].reason.startswith(reason) and dead[0].raw == raw
    assert dead[0].context["offset"] == 7
    h = proc.health.get("in")
    assert h is not None and h.parse_errors == 1 and h.records_in == 1


def test_resolve_parser():
    assert resolve_parser("tests.collectors.test_runner:plain_parser") is plain_parser
    with pytest.raises(CollectorConfigError, match="no_such_module"):
        resolve_parser("no_such_module:parse")
    with pytest.raises(CollectorConfigError, match="surely-not-a-format"):
        resolve_parser("surely-not-a-format")


# -- configuration ------------------------------------------------------------------------

def _config(tmp_path: Path, collectors: dict[str, Any]) -> Path:
    path = tmp_path / "canhgac.yaml"
    path.write_text(yaml.safe_dump({"data_dir": str(tmp_path / "data"),
                                    "collectors": collectors}))
    return path


def test_config_defaults_live_under_data_dir(tmp_path: Path):
    cfg = load(_config(tmp_path, {"files": [{"id": "a", "paths": ["/x"], "format": "auth"}]}),
               environ={})
    paths = cfg.collectors.paths(cfg.data_dir)
    assert paths.registry == tmp_path / "data" / "collectors" / "registry"
    assert paths.spool == tmp_path / "data" / "collectors" / "spool"
    assert cfg.collectors.syslog == [] and cfg.collectors.sink.queue_events == 5000


@pytest.mark.parametrize(("collectors", "message"), [
    ({"files": [{"id": "a", "paths": ["/x"], "format": "f"}],
      "syslog": [{"id": "a", "port": 514}]}, "used twice"),
    ({"syslog": [{"id": "s", "port": 514, "protocol": "udp",
                  "tls": {"cert": "/c", "key": "/k"}}]}, "tls needs protocol tcp"),
    ({"files": [{"id": "a", "paths": ["/x"], "format": "f", "typo": 1}]}, "unknown setting"),
    ({"syslog": [{"id": "s", "port": 70000}]}, "port"),
])
def test_bad_config_is_one_clear_error(tmp_path: Path, collectors: dict, message: str):
    with pytest.raises(ConfigError, match=message):
        load(_config(tmp_path, collectors), environ={})


# -- canhgac collect run, as a process ------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _health(data: Path) -> dict[str, dict]:
    try:
        doc = json.loads((data / "collectors" / "health.json").read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return {}
    return {i["input_id"]: i for i in doc["inputs"]}


def _wait(cond: Any, timeout: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.05)
    return False


def _canhgac(config: Path, *args: str, **kw: Any) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CANHGAC_")}
    env["CANHGAC_CONFIG"] = str(config)
    env["CANHGAC_LOG__LEVEL"] = "WARNING"
    return subprocess.Popen([sys.executable, "-m", "canhgac.cli", *args], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw)


def test_collect_run_sigterm_flushes_and_resumes(tmp_path: Path):
    from store.sqlite import SQLiteStore

    logs = tmp_path / "logs"
    logs.mkdir()
    total = 6_000
    port = _free_port()
    parser = "tests.collectors.test_runner:plain_parser"
    config = _config(tmp_path, {
        "files": [{"id": "app", "paths": [str(logs / "*.log")], "format": parser,
                   "scan_interval": 0.2, "poll_interval": 0.05}],
        "syslog": [{"id": "sys", "protocol": "tcp", "port": port, "format": parser}],
        "sink": {"batch_timeout": 0.05, "batch_size": 200},
        "health_interval": 0.1, "registry_flush": 0.2,
    })
    data = tmp_path / "data"

    first = _canhgac(config, "collect", "run")
    try:
        assert _wait(lambda: _health(data).get("sys", {}).get("state") == "running"), \
            first.stderr.read1().decode() if first.poll() is not None else "did not start"
        with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
            s.sendall(b"".join(f"syslog {i:03d}\n".encode() for i in range(25)))
        assert _wait(lambda: _health(data).get("sys", {}).get("records_in", 0) == 25)
        with open(logs / "app.log", "w") as fh:
            fh.writelines(f"line {i:06d}\n" for i in range(total))
        assert _wait(lambda: _health(data).get("app", {}).get("records_in", 0) > 0)
        first.send_signal(signal.SIGTERM)  # most likely in the middle of the file
        out, err = first.communicate(timeout=60)
    finally:
        if first.poll() is None:
            first.kill()
    assert first.returncode == 0, err.decode()

    registry = json.loads((data / "collectors" / "registry" / "app.json").read_text())
    committed = registry["files"][0]["offset"]
    assert committed % LINE == 0
    st = SQLiteStore(data / "canhgac.db")
    messages = sorted(d.source["message"] for d in st.scan("events"))
    files_done = committed // LINE
    # everything acknowledged is stored, nothing beyond what was committed
    assert messages == sorted([f"line {i:06d}" for i in range(files_done)]
                              + [f"syslog {i:03d}" for i in range(25)])
    st.close()

    with open(logs / "app.log", "a") as fh:
        fh.writelines(f"line {i:06d}\n" for i in range(total, total + 100))
    second = _canhgac(config, "collect", "run")
    try:
        assert _wait(lambda: _health(data).get("app", {}).get("records_in", 0)
                     == total + 100 - files_done
                     and _health(data)["app"].get("pending") == 0)
        second.send_signal(signal.SIGTERM)
        _, err = second.communicate(timeout=60)
    finally:
        if second.poll() is None:
            second.kill()
    assert second.returncode == 0, err.decode()
    st = SQLiteStore(data / "canhgac.db")
    assert st.count("events") == total + 100 + 25
    assert st.get("checkpoints", "health:app") is not None
    st.close()

    status = _canhgac(config, "collect", "status", "--json")
    out, err = status.communicate(timeout=60)
    assert status.returncode == 0, err.decode()
    rows = {r["input_id"]: r for r in json.loads(out)["inputs"]}
    assert rows["app"]["records_in"] == total + 100 - files_done
    assert rows["app"]["state"] == "stopped"
    assert rows["sys"]["kind"] == "syslog-tcp"


def test_collect_run_without_inputs_says_so(tmp_path: Path):
    proc = _canhgac(_config(tmp_path, {}), "collect", "run")
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 2
    assert b"no inputs configured" in err


def test_runtime_spools_through_an_outage_and_a_restart(tmp_path: Path):
    """Store locked for the whole first run: everything read is spooled and
    committed; the second run replays the spool and reads nothing again."""
    import sqlite3

    from canhgac.settings.collectors import CollectorsSettings
    from collectors.runner import CollectorRuntime
    from store.sqlite import SQLiteStore

    logs = tmp_path / "logs"
    logs.mkdir()
    with open(logs / "app.log", "w") as fh:
        fh.writelines(f"line {i:06d}\n" for i in range(500))
    cfg = CollectorsSettings.model_validate({
        "files": [{"id": "app", "paths": [str(logs / "*.log")],
                   "format": "tests.collectors.test_runner:plain_parser",
                   "scan_interval": 0.1, "poll_interval": 0.05}],
        "sink": {"batch_timeout": 0.05, "batch_size": 100, "retry_interval": 0.2},
        "health_interval": 60})
    data = tmp_path / "data"
    st = SQLiteStore(data / "canhgac.db", busy_timeout=0.2)
    holder = sqlite3.connect(data / "canhgac.db", isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        first = CollectorRuntime(cfg, st, data).start()
        assert _wait(lambda: (first.health.get("app").spooled or 0) == 500, 60)
        assert first.stop()
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert st.count("events") == 0
    registry = json.loads((data / "collectors" / "registry" / "app.json").read_text())
    assert registry["files"][0]["offset"] == 500 * LINE  # committed once durably spooled

    second = CollectorRuntime(cfg, st, data).start()
    try:
        assert second.sink.wait_idle(60)
    finally:
        assert second.stop()
    h = second.health.get("app")
    assert h is not None and h.records_in == 0 and h.replayed == 500
    messages = sorted(d.source["message"] for d in st.scan("events"))
    assert messages == [f"line {i:06d}" for i in range(500)]
    st.close()


def test_one_runtime_per_data_dir(tmp_path: Path):
    from canhgac.settings.collectors import CollectorsSettings
    from collectors.runner import CollectorRuntime
    from store.sqlite import SQLiteStore

    cfg = CollectorsSettings.model_validate({"files": [
        {"id": "a", "paths": [str(tmp_path / "*.log")],
         "format": "tests.collectors.test_runner:plain_parser"}]})
    st = SQLiteStore(tmp_path / "c.db")
    first = CollectorRuntime(cfg, st, tmp_path / "data")
    with pytest.raises(CollectorConfigError, match="another collector is running"):
        CollectorRuntime(cfg, st, tmp_path / "data")
    first.start()
    assert first.stop()
    CollectorRuntime(cfg, st, tmp_path / "data").stop()  # free again after stop
    st.close()


def test_identical_syslog_messages_stay_two_events_with_the_real_parser(store):
    """The real syslog parser gives content-hash ids to records without an
    offset; the runner's arrival-based ids keep repeated messages apart."""
    from datetime import UTC, datetime

    from collectors.parsers import get_parser

    sink = StoreSink(store, None, batch_size=10, batch_timeout=0.02).start()
    proc = RecordProcessor("udp-in", get_parser("syslog"), sink)
    line = b"<38>Nov 26 10:00:00 fw-trung-tam sshd[42]: Failed password for root from 10.0.0.9"
    for _ in range(2):
        proc(line, RecordContext("syslog:udp:5514", received=datetime.now(UTC)), None)
    assert sink.flush(30)
    sink.stop()
    store.refresh("events")
    assert store.count("events") == 2
