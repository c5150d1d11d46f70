"""Windows parser: Winlogbeat, NXLog and evtx-rendered JSON to ECS winlog.*
with the fields pySigma's ecs_windows pipeline maps Sigma fields to."""

from __future__ import annotations

from pathlib import Path

import pytest

from canhgac.ecs import get, validate
from collectors.parsers import windows
from collectors.record import ParseError, RecordContext

FIXTURES = Path(__file__).parent / "fixtures"


def events(name: str) -> list[dict]:
    out = []
    for i, line in enumerate((FIXTURES / name).read_text(encoding="utf-8").splitlines()):
        ev = windows.parse(line, RecordContext(f"file:/x/{name}", offset=i))[0]
        validate(ev)
        out.append(ev)
    return out


def test_winlogbeat_security_logons() -> None:
    fail, ok = events("winlogbeat.ndjson")[:2]
    assert get(fail, "winlog.channel") == "Security"
    assert get(fail, "winlog.event_id") == "4625"
    assert get(fail, "event.code") == "4625"
    assert get(fail, "event.outcome") == "failure"
    assert get(fail, "event.category") == ["authentication"]
    assert get(fail, "winlog.provider_name") == "Microsoft-Windows-Security-Auditing"
    assert get(fail, "winlog.computer_name") == "DC-UBND.thanhpho.example"
    assert get(fail, "host.name") == "DC-UBND.thanhpho.example"
    assert get(fail, "winlog.event_data.TargetUserName") == "quan.tri"
    assert get(fail, "user.name") == "quan.tri"  # no subject: the target
    assert get(fail, "source.ip") == "198.51.100.23"
    assert get(fail, "source.port") == 50123
    assert get(fail, "source.domain") == "KALI"
    assert get(fail, "@timestamp") == "2026-11-20T07:00:00.000Z"
    assert get(ok, "event.outcome") == "success"
    assert get(ok, "user.name") == "DC-UBND$"  # SubjectUserName, as ecs_windows maps it
    assert get(ok, "user.target.name") == "nguyen.van.an"
    assert get(ok, "winlog.event_id") == "4624"  # an int in the input, text here


def test_sysmon_process_creation_fields_for_sigma() -> None:
    ev = events("winlogbeat.ndjson")[2]
    assert get(ev, "process.executable").endswith("\\powershell.exe")
    assert get(ev, "process.name") == "powershell.exe"
    assert get(ev, "process.command_line") == "powershell.exe -nop -w hidden -enc SQBFAFgA"
    assert get(ev, "process.parent.executable").endswith("\\WINWORD.EXE")
    assert get(ev, "process.parent.name") == "WINWORD.EXE"
    assert "công-văn.docm" in get(ev, "process.parent.command_line")
    assert get(ev, "process.pid") == 4412 and get(ev, "process.parent.pid") == 3300
    assert get(ev, "process.pe.original_file_name") == "PowerShell.EXE"
    assert get(ev, "process.working_directory") == "C:\\Users\\tnmt\\"
    assert get(ev, "process.hash.sha256") == "abcdef0123456789" * 4
    assert get(ev, "user.name") == "THANHPHO\\tnmt"
    assert get(ev, "winlog.event_data.CommandLine") == get(ev, "process.command_line")
    assert get(ev, "event.category") == ["process"]
    net = events("winlogbeat.ndjson")[3]
    assert (get(net, "source.ip"), get(net, "destination.ip"), get(net, "destination.port"),
            get(net, "network.transport")) == ("10.10.3.7", "203.0.113.66", 443, "tcp")
    assert get(net, "destination.domain") is None  # "-" is no value


def test_sysmon_dns_query_has_the_question_domains() -> None:
    line = ('{"@timestamp":"2026-11-20T07:05:00.000Z","winlog":{"channel":'
            '"Microsoft-Windows-Sysmon/Operational","event_id":22,"provider_name":'
            '"Microsoft-Windows-Sysmon","computer_name":"WS-07","record_id":9,"event_data":'
            '{"QueryName":"Cap-Nhat.Phan-Mem.Example","QueryStatus":"0","QueryResults":'
            '"::ffff:198.51.100.41;","Image":"C:\\\\Windows\\\\System32\\\\svchost.exe"}}}')
    ev = windows.parse(line, RecordContext("file:/x/sysmon.ndjson", offset=0))[0]
    validate(ev)
    assert get(ev, "dns.question") == {
        "name": "Cap-Nhat.Phan-Mem.Example", "registered_domain": "phan-mem.example",
        "top_level_domain": "example", "subdomain": "cap-nhat"}


def test_nxlog_flat_events() -> None:
    proc, svc = events("nxlog.ndjson")
    assert get(proc, "winlog.channel") == "Security"
    assert get(proc, "event.code") == "4688"
    assert get(proc, "process.executable") == "C:\\Windows\\System32\\cmd.exe"
    assert get(proc, "process.pid") == 0x1a2b
    assert get(proc, "process.command_line") == "cmd.exe /c whoami /all"
    assert get(proc, "process.parent.name") == "C:\\Windows\\explorer.exe"
    assert get(proc, "user.name") == "gtvt"
    assert get(proc, "winlog.logon.id") == "0x3e7"
    assert get(proc, "host.name") == "WS-SO-GTVT-12"
    assert get(svc, "service.name") == "Dịch vụ cập nhật"
    assert get(svc, "winlog.event_data.ImagePath") == "C:\\ProgramData\\upd.exe"


def test_evtx_json_rendering() -> None:
    file_ev, ps = events("evtx-rendering.json")
    assert get(file_ev, "file.path") == "C:\\Users\\Public\\tai-lieu.ps1"
    assert get(file_ev, "file.name") == "tai-lieu.ps1"
    assert get(file_ev, "winlog.event_data.ProcessId") == "4412"  # text, as Winlogbeat
    assert get(file_ev, "process.pid") == 4412
    assert get(file_ev, "winlog.record_id") == "7001"
    assert get(file_ev, "@timestamp") == "2026-11-20T07:20:00.123Z"
    assert get(ps, "event.code") == "800"
    assert get(ps, "winlog.event_data.param1") == "Get-Process"
    assert get(ps, "event.dataset") == "windows.powershell"


@pytest.mark.parametrize("bad", [
    '{"Event": {"System": {"EventID": "abc"}}}', '{"winlog": {"channel": "Security"}}',
    '{"EventID": null}', '{"foo": 1}', "[1]", "nope", '{"Event": {"System": {"EventID": 4624',
])
def test_rejects(bad: str) -> None:
    with pytest.raises(ParseError):
        windows.parse(bad, RecordContext("t"))


def test_corrupt_evtx_file_gives_problems_not_exceptions(tmp_path: Path) -> None:
    bad = tmp_path / "broken.evtx"
    bad.write_bytes(b"ElfFile\x00" + b"\x41" * 8000)
    got = list(windows.read_evtx(bad, f"file:{bad}"))
    assert got and all(isinstance(g, windows.EvtxProblem) for g in got)
    assert "EVTX" in got[0].reason
