"""Windows event logs → ECS ``winlog.*`` events with the fields pySigma's
``ecs_windows`` pipeline (pysigma-backend-elasticsearch) maps Sigma fields to.

Three inputs: ``.evtx`` files (read with the ``evtx`` package, a Rust
parser, record by record as JSON), the same JSON rendering one record per
line (``{"Event": {"System": ..., "EventData": ...}}``), and events already
shipped as JSON by Winlogbeat (``winlog.*``) or NXLog (flat ``EventID``,
``Channel``, ``Hostname``...).

Every ``EventData`` field stays under ``winlog.event_data.<original name>``
as text (as Winlogbeat stores it, so values never clash in a mapping); the
ECS copies follow ``ECS_WINDOWS`` below, taken from the pipeline's field
mapping (``sigma/pipelines/elasticsearch/windows.py``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import orjson

from collectors.domains import add_question_domains
from collectors.record import ParseError, RecordContext

from ._common import (
    Partial,
    build,
    int_or_none,
    ip_or_none,
    port_or_none,
    related,
    text_of,
)

# Sigma field → ECS field, from the ecs_windows pipeline (the ``.caseless``
# multi-field suffix dropped: we store the plain field).
ECS_WINDOWS: dict[str, str] = {
    "ProcessGuid": "process.entity_id", "ProcessId": "process.pid",
    "Image": "process.executable", "CurrentDirectory": "process.working_directory",
    "ParentProcessGuid": "process.parent.entity_id", "ParentProcessId": "process.parent.pid",
    "ParentImage": "process.parent.executable", "ParentCommandLine": "process.parent.command_line",
    "CommandLine": "process.command_line",
    "TargetFilename": "file.path", "FileName": "file.path", "ImageLoaded": "file.path",
    "Device": "file.path", "ScriptName": "file.path", "PipeName": "file.name",
    "SourceIp": "source.ip", "SourceHostname": "source.domain", "SourcePort": "source.port",
    "DestinationIp": "destination.ip", "DestinationHostname": "destination.domain",
    "DestinationPort": "destination.port", "DestinationPortName": "network.protocol",
    "Signed": "file.code_signature.signed", "SignatureStatus": "file.code_signature.status",
    "Imphash": "file.pe.imphash",
    "SourceProcessGuid": "process.entity_id", "SourceProcessId": "process.pid",
    "SourceImage": "process.executable", "SourceThreadId": "process.thread.id",
    "TargetObject": "registry.path", "Destination": "process.executable",
    "QueryName": "dns.question.name", "QueryStatus": "sysmon.dns.status",
    "IsExecutable": "sysmon.file.is_executable", "Archived": "sysmon.file.archived",
    "CommandName": "powershell.command.name", "CommandPath": "powershell.command.path",
    "CommandType": "powershell.command.type", "HostApplication": "process.command_line",
    "HostId": "process.entity_id", "HostName": "process.title",
    "NewEngineState": "powershell.engine.new_state", "PipelineId": "powershell.pipeline_id",
    "PreviousEngineState": "powershell.engine.previous_state",
    "RunspaceId": "powershell.runspace_id", "SequenceNumber": "event.sequence",
    "NewProviderState": "powershell.provider.new_state", "ProviderName": "powershell.provider.name",
    "MessageNumber": "powershell.sequence", "MessageTotal": "powershell.total",
    "ScriptBlockText": "powershell.file.script_block_text",
    "ScriptBlockId": "powershell.file.script_block_id",
    "AccountDomain": "user.domain", "AccountName": "user.name",
    "Application": "process.executable", "ClientAddress": "source.ip",
    "ClientName": "source.domain", "DestAddress": "destination.ip", "DestPort": "destination.port",
    "IpAddress": "source.ip", "IpPort": "source.port", "NewProcessId": "process.pid",
    "NewProcessName": "process.executable", "ParentProcessName": "process.parent.name",
    "ProcessName": "process.executable", "SourceAddress": "source.ip",
    "TargetDomainName": "user.domain", "User": "user.name", "WorkstationName": "source.domain",
    "Payload": "powershell.file.script_block_text",
    # the pipeline's logsource-dependent mappings (security service)
    "SubjectLogonId": "winlog.logon.id", "TargetLogonId": "winlog.logon.id",
    "ServiceName": "service.name", "SubjectDomainName": "user.domain",
    "SubjectUserName": "user.name", "SubjectUserSid": "user.id",
    "Protocol": "network.transport",
}
# process_creation (Sysmon 1) → process.pe.*, image_load (Sysmon 7) → file.pe.*
_PE = {"FileVersion": "file_version", "Description": "description", "Product": "product",
       "Company": "company", "OriginalFileName": "original_file_name"}
_PIDS = {"process.pid", "process.parent.pid", "process.thread.id"}
_PORTS = {"source.port", "destination.port"}
_IPS = {"source.ip", "destination.ip"}
_DATASETS = {"security": "windows.security", "system": "windows.system",
             "application": "windows.application",
             "microsoft-windows-sysmon/operational": "windows.sysmon_operational",
             "microsoft-windows-powershell/operational": "windows.powershell_operational",
             "windows powershell": "windows.powershell"}
_LEVELS = {1: "critical", 2: "error", 3: "warning", 4: "information", 5: "verbose",
           0: "information"}
_SYSMON = {
    "1": (["process"], ["start"]), "3": (["network"], ["connection"]),
    "5": (["process"], ["end"]), "7": (["process"], ["change"]),
    "11": (["file"], ["creation"]), "12": (["registry"], ["change"]),
    "13": (["registry"], ["change"]), "22": (["network"], ["protocol"]),
    "23": (["file"], ["deletion"]),
}
_LOGON_OK = {"4624", "4648", "4768", "4769", "4776"}
_LOGON_FAIL = {"4625", "4771"}


@dataclass
class WinEvent:
    """The parts every Windows input yields before mapping to ECS."""

    channel: str | None
    event_id: str
    provider: str | None
    computer: str | None
    ts: Any
    record_id: str | None
    data: dict[str, str]
    level: int | None = None
    user_id: str | None = None
    process_id: int | None = None
    thread_id: int | None = None
    task: str | None = None
    opcode: str | None = None
    keywords: str | None = None
    message: str | None = None


def _text(v: Any) -> str:
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return str(v)
    if v is None:
        return ""
    return orjson.dumps(v).decode()


def _as_dict(v: Any) -> dict[str, Any]:
    return v if isinstance(v, dict) else {}


def _attrs(node: Any) -> dict[str, Any]:
    return _as_dict(node.get("#attributes")) if isinstance(node, dict) else {}


def _event_data(node: Any) -> dict[str, str]:
    """EventData/UserData as flat name → text, whichever shape evtx gave."""
    if not isinstance(node, dict):
        return {}
    out: dict[str, str] = {}
    data = node.get("Data")
    if isinstance(data, list | dict) and set(node) <= {"Data", "#attributes", "Binary"}:
        items = data if isinstance(data, list) else [data]
        for i, item in enumerate(items):
            name = _attrs(item).get("Name")
            value = item.get("#text") if isinstance(item, dict) else item
            out[str(name) if name else f"param{i + 1}"] = _text(value)
        return out
    for k, v in node.items():
        if k == "#attributes":
            continue
        if isinstance(v, dict) and k not in ("Data",) and len(node) == 1:
            # UserData: one wrapper element around the real fields
            return _event_data(v)
        out[k] = _text(v)
    return out


def from_xml_json(obj: dict[str, Any]) -> WinEvent:
    """The evtx JSON rendering (``{"Event": {"System": ..., "EventData": ...}}``)."""
    ev = obj.get("Event")
    if not isinstance(ev, dict) or not isinstance(ev.get("System"), dict):
        raise ParseError("not a Windows event (no Event.System)")
    sysn = ev["System"]
    eid = sysn.get("EventID")
    if isinstance(eid, dict):
        eid = eid.get("#text")
    if int_or_none(eid) is None:
        raise ParseError(f"Windows event without a numeric EventID: {eid!r:.40}")
    ts = _attrs(sysn.get("TimeCreated")).get("SystemTime")
    data = _event_data(ev.get("EventData")) or _event_data(ev.get("UserData"))
    execution = _attrs(sysn.get("Execution"))
    return WinEvent(
        channel=_opt(sysn.get("Channel")), event_id=str(int_or_none(eid)),
        provider=_opt(_attrs(sysn.get("Provider")).get("Name")),
        computer=_opt(sysn.get("Computer")), ts=ts,
        record_id=_opt(sysn.get("EventRecordID")), data=data,
        level=int_or_none(sysn.get("Level")),
        user_id=_opt(_attrs(sysn.get("Security")).get("UserID")),
        process_id=int_or_none(execution.get("ProcessID")),
        thread_id=int_or_none(execution.get("ThreadID")),
        task=_opt(sysn.get("Task")), opcode=_opt(sysn.get("Opcode")),
        keywords=_opt(sysn.get("Keywords")),
    )


def _opt(v: Any) -> str | None:
    if type(v) is str:  # the common case first
        return v
    if v is None or isinstance(v, dict | list):
        return None
    return _text(v)


def from_winlogbeat(obj: dict[str, Any]) -> WinEvent:
    w = obj["winlog"]
    if not isinstance(w, dict):
        raise ParseError("winlog is not an object")
    eid = w.get("event_id") or _as_dict(obj.get("event")).get("code")
    number = int_or_none(eid)
    if number is None:
        raise ParseError(f"Winlogbeat event without a numeric event_id: {eid!r:.40}")
    data = w.get("event_data") if isinstance(w.get("event_data"), dict) else {}
    if isinstance(w.get("user_data"), dict):
        data = {**w["user_data"], **data}
    proc = w.get("process") if isinstance(w.get("process"), dict) else {}
    return WinEvent(
        channel=_opt(w.get("channel")), event_id=str(number),
        provider=_opt(w.get("provider_name")),
        computer=_opt(w.get("computer_name")) or _opt(_as_dict(obj.get("host")).get("name")),
        ts=obj.get("@timestamp"), record_id=_opt(w.get("record_id")),
        # text values (nearly all) without a call each
        data={str(k): v if type(v) is str else _text(v) for k, v in data.items()},
        user_id=_opt(_as_dict(w.get("user")).get("identifier")),
        process_id=int_or_none(proc.get("pid")),
        task=_opt(w.get("task")), opcode=_opt(w.get("opcode")),
        message=_opt(obj.get("message")),
    )


_NXLOG_SYSTEM = {"EventID", "Channel", "SourceName", "ProviderGuid", "Hostname", "EventTime",
                 "EventReceivedTime", "RecordNumber", "Severity", "SeverityValue", "Keywords",
                 "EventType", "Task", "Opcode", "ProcessID", "ThreadID", "UserID", "Message",
                 "SourceModuleName", "SourceModuleType", "Version", "Category", "Domain",
                 "AccountName", "AccountType", "ActivityID", "Level", "ExecutionProcessID",
                 "EventData", "UtcTime_"}


def from_nxlog(obj: dict[str, Any]) -> WinEvent:
    eid = obj.get("EventID")
    if int_or_none(eid) is None:
        raise ParseError(f"NXLog event without a numeric EventID: {eid!r:.40}")
    data = {k: _text(v) for k, v in obj.items() if k not in _NXLOG_SYSTEM}
    if isinstance(obj.get("EventData"), dict):
        data.update({k: _text(v) for k, v in obj["EventData"].items()})
    ts = obj.get("EventTime") or obj.get("@timestamp") or obj.get("TimeCreated")
    if isinstance(ts, str) and len(ts) == 19 and ts[10] == " ":
        ts = ts.replace(" ", "T")  # NXLog's local "YYYY-MM-DD hh:mm:ss": taken as UTC
    return WinEvent(
        channel=_opt(obj.get("Channel")), event_id=str(int_or_none(eid)),
        provider=_opt(obj.get("SourceName") or obj.get("ProviderName")),
        computer=_opt(obj.get("Hostname") or obj.get("Computer")), ts=ts,
        record_id=_opt(obj.get("RecordNumber")), data=data,
        level=int_or_none(obj.get("Level")), user_id=_opt(obj.get("UserID")),
        process_id=int_or_none(obj.get("ProcessID")), task=_opt(obj.get("Task")),
        message=_opt(obj.get("Message")),
    )


def from_object(obj: Any) -> WinEvent:
    """Any of the JSON shapes above."""
    if not isinstance(obj, dict):
        raise ParseError("a Windows event must be a JSON object")
    if "Event" in obj:
        return from_xml_json(obj)
    if isinstance(obj.get("winlog"), dict):
        return from_winlogbeat(obj)
    if "EventID" in obj:
        return from_nxlog(obj)
    raise ParseError("not a Windows event (no Event, winlog or EventID)")


def to_partial(w: WinEvent) -> Partial:
    """Map one Windows event to ECS (``winlog.*`` + the ecs_windows fields)."""
    f: dict[str, Any] = {
        "winlog.channel": w.channel, "winlog.event_id": w.event_id,
        "winlog.provider_name": w.provider, "winlog.computer_name": w.computer,
        "winlog.record_id": w.record_id, "winlog.task": w.task, "winlog.opcode": w.opcode,
        "winlog.keywords": w.keywords, "winlog.user.identifier": w.user_id,
        "winlog.process.pid": w.process_id, "winlog.process.thread.id": w.thread_id,
        "event.code": w.event_id, "event.provider": w.provider, "host.name": w.computer,
        "message": w.message,
    }
    if w.level is not None:
        f["winlog.level"] = _LEVELS.get(w.level, str(w.level))
        f["log.level"] = f["winlog.level"]
    if w.data:
        f["winlog.event_data"] = dict(w.data)
    sysmon = (w.provider or "").lower() == "microsoft-windows-sysmon"
    pe_side = "process.pe" if sysmon and w.event_id == "1" else (
        "file.pe" if sysmon and w.event_id == "7" else None)
    data = w.data
    _ecs_copies(data, _PLANS[pe_side], f)
    # user.name as the pipeline maps it (SubjectUserName, User, AccountName),
    # the logon's target account only when there is no subject
    target_user = data.get("TargetUserName")
    if target_user and target_user != "-":
        f["user.target.name"] = target_user
    for key in ("SubjectUserName", "User", "AccountName", "TargetUserName"):
        u = data.get(key)
        if u and u != "-":
            f["user.name"] = u
            break
    for exe, name in (("process.executable", "process.name"),
                      ("process.parent.executable", "process.parent.name")):
        path = f.get(exe)
        if isinstance(path, str) and path:
            f.setdefault(name, path.replace("/", "\\").rsplit("\\", 1)[-1])
    if "file.path" in f and "file.name" not in f:
        f["file.name"] = str(f["file.path"]).replace("/", "\\").rsplit("\\", 1)[-1]
    hashes = data.get("Hashes") or data.get("Hash")
    if hashes:
        side = "file" if w.event_id in ("6", "7", "15", "23", "26", "29") else "process"
        for overwrite, key, value in _hash_fields(hashes, side):
            if overwrite:
                f[key] = value
            else:
                f.setdefault(key, value)
    if "dns.question.name" in f:  # Sysmon 22 (DNS query)
        add_question_domains(f)
    category, types, outcome = _classify(w, sysmon)
    if outcome:
        f["event.outcome"] = outcome
    # None values stay: ``nest`` skips them (filtering them out here cost a
    # dict copy per event)
    related(f)
    return Partial(_dataset(w.channel), f, category=category, type=types, ts=w.ts)


Plan = dict[str, tuple[str, Any]]
"""EventData name → (ECS field, converter of its text or None)."""


def _converter(target: str) -> Any:
    """How ``_ecs_copies`` types the text of an ECS copy (None: kept as text)."""
    if target in _PIDS:
        return _pid
    if target in _PORTS:
        return port_or_none
    if target in _IPS:
        return ip_or_none
    if target == "event.sequence":
        return int_or_none
    if target == "file.code_signature.signed":
        return _true_text
    return None


def _pid(value: str) -> int | None:
    return int_or_none(value, 0)


def _true_text(value: str) -> bool:
    return value.lower() == "true"


def _plans() -> dict[str | None, Plan]:
    """The ECS copies per EventData name, decided once instead of per value;
    one plan per PE side (Sysmon 1 and 7 map the PE names elsewhere).
    ``user.name`` is left out: it follows its own precedence."""
    base = {name: (target, _converter(target)) for name, target in ECS_WINDOWS.items()}
    plans: dict[str | None, Plan] = {None: base}
    for side in ("process.pe", "file.pe"):
        plan = dict(base)
        plan.update({name: (f"{side}.{leaf}", None) for name, leaf in _PE.items()})
        plans[side] = plan
    for plan in plans.values():
        for name in [n for n, (target, _) in plan.items() if target == "user.name"]:
            del plan[name]
    return plans


_PLANS = _plans()


def _ecs_copies(data: dict[str, str], plan: Plan, f: dict[str, Any]) -> None:
    """The ECS fields the pipeline maps EventData names to (the first
    non-empty value wins when several names map to one field)."""
    get = plan.get
    for name, value in data.items():
        if value == "" or value == "-":
            continue
        step = get(name)
        if step is None:
            continue
        target, convert = step
        v = value if convert is None else convert(value)
        if v is not None:
            f.setdefault(target, v)


@lru_cache(maxsize=1024)
def _hash_fields(hashes: str, side: str) -> tuple[tuple[bool, str, str], ...]:
    """``MD5=..,SHA256=..,IMPHASH=..`` as (overwrite?, field, value) steps.
    Cached: the same binaries run again and again."""
    out = []
    for part in hashes.split(","):
        k, _, v = part.partition("=")
        k = k.strip().lower()
        if k in ("md5", "sha1", "sha256") and v:
            out.append((True, f"{side}.hash.{k}", v.strip().lower()))
        elif k == "imphash" and v:
            out.append((False, f"{side}.pe.imphash", v.strip().lower()))
    return tuple(out)


@lru_cache(maxsize=256)
def _dataset(channel: str | None) -> str:
    """``event.dataset`` for a channel name (computed once per channel)."""
    low = (channel or "").lower()
    dataset = _DATASETS.get(low) or "windows." + "".join(
        c if c.isalnum() else "_" for c in low)[:60].strip("_") if low else "windows.event"
    return dataset or "windows.event"


def _classify(w: WinEvent, sysmon: bool) -> tuple[list[str] | None, list[str] | None, str | None]:
    eid = w.event_id
    if sysmon:
        cat, typ = _SYSMON.get(eid, (None, None))
        return cat, typ, None
    if (w.channel or "").lower() == "security":
        if eid in _LOGON_OK:
            return ["authentication"], ["start"], "success"
        if eid in _LOGON_FAIL:
            return ["authentication"], ["start"], "failure"
        if eid == "4688":
            return ["process"], ["start"], None
        if eid in ("4720", "4722", "4724", "4726", "4738"):
            return ["iam"], ["user", "change"], None
    return None, None, None


def events_from_object(obj: Any, ctx: RecordContext, text: str, enc: str = "utf-8",
                       part: int | None = None) -> dict[str, Any]:
    return build(to_partial(from_object(obj)), ctx, text, encoding=enc, part=part)


def parse(raw: bytes | str, ctx: RecordContext) -> list[dict[str, Any]]:
    """One Windows event as JSON (evtx rendering, Winlogbeat or NXLog) →
    one event; a JSON array of them → one event each."""
    text, enc = text_of(raw)
    try:
        obj = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise ParseError(f"invalid JSON: {str(exc)[:120]}") from None
    if isinstance(obj, list):
        return [events_from_object(o, ctx, orjson.dumps(o).decode(), enc, i)
                for i, o in enumerate(obj)]
    return [events_from_object(obj, ctx, text, enc)]


# -- .evtx files ---------------------------------------------------------------

MAX_EVTX_ERRORS = 10_000


@dataclass
class EvtxProblem:
    """A part of an EVTX file the Rust parser could not read."""

    reason: str
    record: str | None = None


def read_evtx(path: Path, source: str) -> Iterator[dict[str, Any] | EvtxProblem]:
    """Every record of an ``.evtx`` file as an ECS event (id from the source
    and the record number), and an ``EvtxProblem`` for each unreadable part
    (a corrupt chunk or record): the caller dead-letters it and goes on."""
    import evtx

    try:
        parser = evtx.PyEvtxParser(str(path), number_of_threads=1)
    except (RuntimeError, OSError, ValueError) as exc:
        yield EvtxProblem(f"not a readable EVTX file: {exc}")
        return
    it = parser.records_json()
    errors = 0
    while True:
        # a corrupt chunk or record raises RuntimeError for that part; the
        # iterator then goes on with the next one
        try:
            rec = next(it)
        except StopIteration:
            return
        except (RuntimeError, OSError, ValueError) as exc:
            errors += 1
            yield EvtxProblem(f"EVTX corrupt part skipped: {exc}"[:2000])
            if errors >= MAX_EVTX_ERRORS:
                yield EvtxProblem(f"EVTX reading stopped after {errors} errors")
                return
            continue
        rid = str(rec.get("event_record_id"))
        data = rec.get("data") or ""
        ctx = RecordContext(source, offset=f"evtx:{rid}")  # type: ignore[arg-type]
        try:
            yield events_from_object(orjson.loads(data), ctx, data)
        except orjson.JSONDecodeError as exc:
            yield EvtxProblem(f"EVTX record {rid} is not JSON: {exc}", data)
        except ParseError as exc:
            yield EvtxProblem(f"EVTX record {rid}: {exc.reason}", data)
