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

from collectors.domains import question_fields
from collectors.record import ParseError, RecordContext

from ._common import (
    Partial,
    build,
    int_or_none,
    ip_or_none,
    text_of,
    timestamp_text,
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
# event id → (event.category, event.type, event.outcome); ``build`` copies the lists
Kind = tuple[list[str] | None, list[str] | None, str | None]
_SYSMON: dict[str, Kind] = {
    "1": (["process"], ["start"], None), "3": (["network"], ["connection"], None),
    "5": (["process"], ["end"], None), "7": (["process"], ["change"], None),
    "11": (["file"], ["creation"], None), "12": (["registry"], ["change"], None),
    "13": (["registry"], ["change"], None), "22": (["network"], ["protocol"], None),
    "23": (["file"], ["deletion"], None),
}
_LOGON_OK = {"4624", "4648", "4768", "4769", "4776"}
_LOGON_FAIL = {"4625", "4771"}
_SECURITY: dict[str, Kind] = {
    **{eid: (["authentication"], ["start"], "success") for eid in _LOGON_OK},
    **{eid: (["authentication"], ["start"], "failure") for eid in _LOGON_FAIL},
    "4688": (["process"], ["start"], None),
    **{eid: (["iam"], ["user", "change"], None) for eid in ("4720", "4722", "4724", "4726",
                                                               "4738")},
}
_UNCLASSIFIED: Kind = (None, None, None)


@dataclass(slots=True)
class WinEvent:
    """The parts every Windows input yields before mapping to ECS.  ``data``
    is the event's own (fresh) dict: ``to_partial`` puts it in the event."""

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
            out[str(name) if name else f"param{i + 1}"] = (
                value if type(value) is str else _text(value))  # text: no call
        return out
    for k, v in node.items():
        if k == "#attributes":
            continue
        if isinstance(v, dict) and k not in ("Data",) and len(node) == 1:
            # UserData: one wrapper element around the real fields
            return _event_data(v)
        out[k] = _text(v)
    return out


_CODES: dict[str, str] = {}
"""Event id text as sent → ``str(int_or_none(text))`` (a few hundred ids
exist; bounded all the same by ``MAX_CACHED``)."""
MAX_CACHED = 4096


def _event_code(eid: Any) -> str | None:
    """The event id as canonical decimal text, or None when it is not a
    number (``int_or_none``'s answer, remembered per id text)."""
    if type(eid) is str:
        code = _CODES.get(eid)
        if code is not None:
            return code
    number = int_or_none(eid)
    if number is None:
        return None
    code = str(number)
    if type(eid) is str and len(_CODES) < MAX_CACHED:
        _CODES[eid] = code
    return code


def from_xml_json(obj: dict[str, Any]) -> WinEvent:
    """The evtx JSON rendering (``{"Event": {"System": ..., "EventData": ...}}``)."""
    ev = obj.get("Event")
    if not isinstance(ev, dict) or not isinstance(ev.get("System"), dict):
        raise ParseError("not a Windows event (no Event.System)")
    sysn = ev["System"]
    eid = sysn.get("EventID")
    if isinstance(eid, dict):
        eid = eid.get("#text")
    code = _event_code(eid)
    if code is None:
        raise ParseError(f"Windows event without a numeric EventID: {eid!r:.40}")
    ts = _attrs(sysn.get("TimeCreated")).get("SystemTime")
    data = _event_data(ev.get("EventData")) or _event_data(ev.get("UserData"))
    execution = _attrs(sysn.get("Execution"))
    return WinEvent(
        channel=_opt(sysn.get("Channel")), event_id=code,
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
    kind = type(v)
    if kind is str:  # the common cases first
        return v
    if kind is int:  # (a bool is not: _text spells it "true")
        return str(v)
    if v is None or isinstance(v, dict | list):
        return None
    return _text(v)


def from_winlogbeat(obj: dict[str, Any]) -> Partial:
    """A Winlogbeat event (``winlog.*``), mapped straight to its nested
    objects without a ``WinEvent``: the commonest input, whose ``winlog``
    fields already have their output names."""
    w = obj["winlog"]
    if not isinstance(w, dict):
        raise ParseError("winlog is not an object")
    get = w.get
    eid = get("event_id") or _as_dict(obj.get("event")).get("code")
    code = _CODES.get(eid) if type(eid) is str else None  # _event_code's cache, inline
    if code is None:
        code = _event_code(eid)
    if code is None:
        raise ParseError(f"Winlogbeat event without a numeric event_id: {eid!r:.40}")
    # text is taken as it is, without a call to ``_opt`` (which would give it back)
    channel = get("channel")
    if type(channel) is not str:
        channel = _opt(channel)
    provider = get("provider_name")
    if type(provider) is not str:
        provider = _opt(provider)
    computer = get("computer_name")
    if type(computer) is not str:
        computer = _opt(computer)
    if not computer:
        computer = _opt(_as_dict(obj.get("host")).get("name"))
    winlog: dict[str, Any] = {}
    if channel is not None:
        winlog["channel"] = channel
    winlog["event_id"] = code
    if provider is not None:
        winlog["provider_name"] = provider
    if computer is not None:
        winlog["computer_name"] = computer
    for key in _WINLOGBEAT_TEXT:  # _opt's common cases inline
        v = get(key)
        kind = type(v)
        if kind is str:
            winlog[key] = v
        elif kind is int:
            winlog[key] = str(v)
        elif v is not None and (v := _opt(v)) is not None:
            winlog[key] = v
    user = get("user")
    if isinstance(user, dict):
        identifier = _opt(user.get("identifier"))
        if identifier is not None:
            winlog["user"] = {"identifier": identifier}
    proc = get("process")
    if isinstance(proc, dict):
        pid = int_or_none(proc.get("pid"))
        if pid is not None:
            winlog["process"] = {"pid": pid}
    data = get("event_data")
    if not isinstance(data, dict):
        data = {}
    user_data = get("user_data")
    if isinstance(user_data, dict):
        data = {**user_data, **data}
    # values stay as they are when all are text (nearly always: Winlogbeat
    # writes text); keys are text in any JSON object.  The dict is this
    # record's own (orjson made it), so the event keeps it without a copy.
    for v in data.values():
        if type(v) is not str:
            data = {str(k): v if type(v) is str else _text(v) for k, v in data.items()}
            break
    event: dict[str, Any] = {"code": code}
    nested: dict[str, Any] = {"winlog": winlog, "event": event}
    if provider is not None:
        event["provider"] = provider
    if computer is not None:
        nested["host"] = {"name": computer}
    message = obj.get("message")
    if message is not None and (type(message) is str or (message := _opt(message)) is not None):
        nested["message"] = message
    return _mapped(nested, code, channel, provider, data, obj.get("@timestamp"))


_WINLOGBEAT_TEXT = ("record_id", "task", "opcode")
"""``winlog`` fields copied as text under the same name."""


_NXLOG_SYSTEM = {"EventID", "Channel", "SourceName", "ProviderGuid", "Hostname", "EventTime",
                 "EventReceivedTime", "RecordNumber", "Severity", "SeverityValue", "Keywords",
                 "EventType", "Task", "Opcode", "ProcessID", "ThreadID", "UserID", "Message",
                 "SourceModuleName", "SourceModuleType", "Version", "Category", "Domain",
                 "AccountName", "AccountType", "ActivityID", "Level", "ExecutionProcessID",
                 "EventData", "UtcTime_"}


def from_nxlog(obj: dict[str, Any]) -> WinEvent:
    eid = obj.get("EventID")
    code = _event_code(eid)
    if code is None:
        raise ParseError(f"NXLog event without a numeric EventID: {eid!r:.40}")
    # text values (nearly all) without a call to _text each
    data = {k: v if type(v) is str else _text(v) for k, v in obj.items()
            if k not in _NXLOG_SYSTEM}
    if isinstance(obj.get("EventData"), dict):
        data.update({k: v if type(v) is str else _text(v) for k, v in obj["EventData"].items()})
    ts = obj.get("EventTime") or obj.get("@timestamp") or obj.get("TimeCreated")
    if isinstance(ts, str) and len(ts) == 19 and ts[10] == " ":
        ts = ts.replace(" ", "T")  # NXLog's local "YYYY-MM-DD hh:mm:ss": taken as UTC
    return WinEvent(
        channel=_opt(obj.get("Channel")), event_id=code,
        provider=_opt(obj.get("SourceName") or obj.get("ProviderName")),
        computer=_opt(obj.get("Hostname") or obj.get("Computer")), ts=ts,
        record_id=_opt(obj.get("RecordNumber")), data=data,
        level=int_or_none(obj.get("Level")), user_id=_opt(obj.get("UserID")),
        process_id=int_or_none(obj.get("ProcessID")), task=_opt(obj.get("Task")),
        message=_opt(obj.get("Message")),
    )


def from_object(obj: Any) -> Partial:
    """Any of the JSON shapes above, mapped to ECS."""
    if not isinstance(obj, dict):
        raise ParseError("a Windows event must be a JSON object")
    if "Event" in obj:
        return to_partial(from_xml_json(obj))
    if isinstance(obj.get("winlog"), dict):
        return from_winlogbeat(obj)
    if "EventID" in obj:
        return to_partial(from_nxlog(obj))
    raise ParseError("not a Windows event (no Event, winlog or EventID)")


def to_partial(w: WinEvent) -> Partial:
    """Map one evtx or NXLog event to ECS (``winlog.*`` + the ecs_windows
    fields).  ``w.data`` becomes ``winlog.event_data`` as it is."""
    eid, provider, computer = w.event_id, w.provider, w.computer
    winlog: dict[str, Any] = {}
    event: dict[str, Any] = {"code": eid}
    nested: dict[str, Any] = {"winlog": winlog, "event": event}
    # every optional part only when present: ``nested`` holds no None
    if w.channel is not None:
        winlog["channel"] = w.channel
    winlog["event_id"] = eid
    if provider is not None:
        winlog["provider_name"] = provider
        event["provider"] = provider
    if computer is not None:
        winlog["computer_name"] = computer
        nested["host"] = {"name": computer}
    if w.record_id is not None:
        winlog["record_id"] = w.record_id
    if w.task is not None:
        winlog["task"] = w.task
    if w.opcode is not None:
        winlog["opcode"] = w.opcode
    if w.keywords is not None:
        winlog["keywords"] = w.keywords
    if w.user_id is not None:
        winlog["user"] = {"identifier": w.user_id}
    if w.process_id is not None or w.thread_id is not None:
        wproc: dict[str, Any] = {}
        if w.process_id is not None:
            wproc["pid"] = w.process_id
        if w.thread_id is not None:
            wproc["thread"] = {"id": w.thread_id}
        winlog["process"] = wproc
    if w.message is not None:
        nested["message"] = w.message
    if w.level is not None:
        level = _LEVELS.get(w.level, str(w.level))
        winlog["level"] = level
        nested["log"] = {"level": level}
    return _mapped(nested, eid, w.channel, provider, w.data, w.ts)


def _mapped(nested: dict[str, Any], eid: str, channel: str | None, provider: str | None,
            data: dict[str, str], ts: Any) -> Partial:
    """The Partial for an event whose ``winlog``, ``event``, ``host`` (and
    ``message``, ``log``) objects are in ``nested``: adds the EventData and
    its ECS copies, names, hashes, classification and ``related``.

    The objects are built here already nested (``Partial.nested``): dotted
    fields cost a dict of paths that ``build`` splits and nests again, for
    every event.  Small steps are written inline rather than as functions
    (a Python call costs about as much as the step)."""
    if data:
        nested["winlog"]["event_data"] = data
    sysmon = provider is not None and provider.lower() == "microsoft-windows-sysmon"
    copies, user_keys, hash_keys = _layout(_PE_SIDES.get(eid) if sysmon else None, tuple(data))
    _ecs_copies(data, copies, nested)
    # user.name: the first of _USER_KEYS (the target account only when
    # there is no subject), and user.target.name
    name = target = None
    for key in user_keys:
        u = data[key]
        if u and u != "-":
            name = u
            break
    if name is not None:  # else there is no TargetUserName either
        user = nested.get("user")
        if user is None:
            user = nested["user"] = {}
        user["name"] = name
        target = data.get("TargetUserName")
        if target and target != "-":
            user["target"] = {"name": target}
        else:
            target = None
    # process.name, process.parent.name, file.name from their paths
    proc = nested.get("process")
    if proc is not None:
        path = proc.get("executable")
        if path and "name" not in proc:
            proc["name"] = _NAMES.get(path) or _basename(path)
        parent = proc.get("parent")
        if parent is not None:
            path = parent.get("executable")
            if path and "name" not in parent:
                parent["name"] = _NAMES.get(path) or _basename(path)
    file = nested.get("file")
    if file is not None:
        path = file.get("path")
        if path is not None and "name" not in file:
            file["name"] = _NAMES.get(path) or _basename(path)
    hashes = None
    for key in hash_keys:  # data.get("Hashes") or data.get("Hash")
        hashes = data[key]
        if hashes:
            break
    steps = _hash_fields(hashes) if hashes else ()
    if steps:
        side = "file" if eid in _FILE_HASH_EVENTS else "process"
        obj = nested.get(side)
        if obj is None:
            obj = nested[side] = {}
        for overwrite, mid, leaf, value in steps:
            sub = obj.get(mid)
            if sub is None:
                sub = obj[mid] = {}
            if overwrite or leaf not in sub:
                sub[leaf] = value
    dns = nested.get("dns")
    if dns is not None:  # Sysmon 22 (DNS query): QueryName is its only source
        question = dns["question"]
        for key, value in question_fields(question["name"]).items():
            question[key.rpartition(".")[2]] = value
    if sysmon:
        category, types, outcome = _SYSMON.get(eid, _UNCLASSIFIED)
    elif channel is not None and channel.lower() == "security":
        category, types, outcome = _SECURITY.get(eid, _UNCLASSIFIED)
    else:
        category, types, outcome = _UNCLASSIFIED
    if outcome:
        nested["event"]["outcome"] = outcome
    # related.ip and related.user by _common.related's rule (source.ip,
    # destination.ip; user.name, user.target.name: the ones set here)
    src, dst = nested.get("source"), nested.get("destination")
    ip1 = src.get("ip") if src is not None else None
    ip2 = dst.get("ip") if dst is not None else None
    if ip1 is not None or ip2 is not None or name is not None:
        rel: dict[str, Any] = {}
        if ip1 is not None and ip2 is not None and ip1 != ip2:
            rel["ip"] = [ip1, ip2]
        elif ip1 is not None or ip2 is not None:
            rel["ip"] = [ip1 if ip1 is not None else ip2]
        if name is not None:
            rel["user"] = [name] if target is None or target == name else [name, target]
        nested["related"] = rel
    return Partial(_dataset(channel), {}, "event", category, types, ts, _when(ts), nested)


_PE_SIDES = {"1": "process", "7": "file"}
"""Sysmon process_creation (1) maps the PE names to process.pe.*,
image_load (7) to file.pe.*."""
_FILE_HASH_EVENTS = frozenset({"6", "7", "15", "23", "26", "29"})
"""Sysmon events whose ``Hashes`` are the file's (else the process's)."""
_USER_KEYS = ("SubjectUserName", "User", "AccountName", "TargetUserName")
"""``user.name`` as the pipeline maps it, the logon's target account only
when there is no subject."""


Step = tuple[str, str | None, str, Any]
"""Where an EventData value is copied: top-level object, object inside it
(or None), leaf, converter of its text (or None)."""
Plan = dict[str, Step]
"""EventData name → its ``Step``."""


def _converter(target: str) -> Any:
    """How ``_ecs_copies`` types the text of an ECS copy: None (kept as
    text), ``(lo, hi)`` (``int_or_none(text, lo, hi)``: ``port_or_none``
    is the same for text) or a function."""
    if target in _PIDS:
        return (0, _MAX_INT)
    if target in _PORTS:
        return (0, 65535)
    if target in _IPS:
        return ip_or_none
    if target == "event.sequence":
        return (-_MAX_INT - 1, _MAX_INT)
    if target == "file.code_signature.signed":
        return _true_text
    return None


_MAX_INT = 2**63 - 1


def _true_text(value: str) -> bool:
    return value.lower() == "true"


def _step(target: str) -> Step:
    """An ECS field (two or three levels deep, all of ECS_WINDOWS) as a step."""
    parts = target.split(".")
    if not 2 <= len(parts) <= 3:
        raise ValueError(f"ECS copy {target!r}: two or three levels expected")
    return parts[0], parts[1] if len(parts) == 3 else None, parts[-1], _converter(target)


def _plans() -> dict[str | None, Plan]:
    """The ECS copies per EventData name, decided once instead of per value;
    one plan per PE side (Sysmon 1 and 7 map the PE names elsewhere).
    ``user.name`` is left out: it follows its own precedence (``_user``)."""
    names = {name: target for name, target in ECS_WINDOWS.items() if target != "user.name"}
    plans: dict[str | None, Plan] = {None: {n: _step(t) for n, t in names.items()}}
    for side in ("process", "file"):
        pe = {name: f"{side}.pe.{leaf}" for name, leaf in _PE.items()}
        plans[side] = {n: _step(t) for n, t in {**names, **pe}.items()}
    return plans


_PLANS = _plans()


def _ecs_copies(data: dict[str, str], copies: tuple[tuple[Any, ...], ...],
                nested: dict[str, Any]) -> None:
    """The ECS fields the pipeline maps EventData names to (``copies``, from
    ``_layout``), put in their objects (the first non-empty value wins when
    several names map to one field).  Written out in one loop: this runs
    for every mapped value."""
    for name, top, mid, leaf, convert in copies:
        value = data[name]
        if value == "" or value == "-":
            continue
        if convert is None:
            v = value
        elif type(convert) is tuple:
            # int_or_none's common case inline: ids and ports are in most
            # events, and a call costs more than the conversion
            lo, hi = convert
            try:
                v = int(value)
            except ValueError:
                v = int_or_none(value, lo, hi)  # hex, or not a number
            if v is None or not lo <= v <= hi:
                continue
        else:
            v = convert(value)
            if v is None:
                continue
        obj = nested.get(top)
        if obj is None:
            obj = nested[top] = {}
        if mid is not None:
            sub = obj.get(mid)
            if sub is None:
                sub = obj[mid] = {}
            obj = sub
        if leaf not in obj:
            obj[leaf] = v


Layout = tuple[tuple[tuple[Any, ...], ...], tuple[str, ...], tuple[str, ...]]


@lru_cache(maxsize=512)
def _layout(side: str | None, names: tuple[str, ...]) -> Layout:
    """What an EventData with these names (in order) needs: the ECS copies
    ``_PLANS[side]`` makes of it (``(name, *step)``), the names of
    ``_USER_KEYS`` it has (in that order), and its hash names (``Hashes``
    before ``Hash``).  Events of one kind carry the same names, so these
    look-ups (and the names that map to nothing, most of a Security
    event's) are done once per kind, not per event."""
    plan = _PLANS[side]
    have = set(names)
    return (tuple((name, *plan[name]) for name in names if name in plan),
            tuple(key for key in _USER_KEYS if key in have),
            tuple(key for key in ("Hashes", "Hash") if key in have))


def _basename(path: str) -> str:
    """The last part of a Windows path (either slash), kept in ``_NAMES``:
    the same executables run again and again."""
    name = path.replace("/", "\\").rsplit("\\", 1)[-1]
    if len(_NAMES) >= MAX_CACHED:
        _NAMES.clear()
    _NAMES[path] = name
    return name


_NAMES: dict[str, str] = {}


_MS_Z = frozenset(f".{ms:03d}Z" for ms in range(1000))
_CANONICAL: set[str] = set()
"""Seconds (``YYYY-MM-DDThh:mm:ss``) seen in text that ``timestamp_text``
gave back unchanged."""


def _when(ts: Any) -> str | None:
    """``ts`` itself when it is already the canonical ``@timestamp`` text
    (Winlogbeat's ``2026-11-20T07:01:00.123Z``), else None for ``build`` to
    convert it.  The second is checked once with ``timestamp_text`` and
    remembered: any milliseconds after it give the text back unchanged."""
    if type(ts) is not str or len(ts) != 24 or ts[19:] not in _MS_Z:
        return None
    if ts[:19] in _CANONICAL:
        return ts
    try:
        if timestamp_text(ts) != ts:
            return None
    except (ValueError, TypeError, OverflowError):
        return None  # build raises its own error
    if len(_CANONICAL) >= MAX_CACHED:
        _CANONICAL.clear()
    _CANONICAL.add(ts[:19])
    return ts


@lru_cache(maxsize=1024)
def _hash_fields(hashes: str) -> tuple[tuple[bool, str, str, str], ...]:
    """``MD5=..,SHA256=..,IMPHASH=..`` as (overwrite?, object, leaf, value)
    steps inside the file or process object.  Cached: the same binaries run
    again and again."""
    out = []
    for part in hashes.split(","):
        k, _, v = part.partition("=")
        k = k.strip().lower()
        if k in ("md5", "sha1", "sha256") and v:
            out.append((True, "hash", k, v.strip().lower()))
        elif k == "imphash" and v:
            out.append((False, "pe", "imphash", v.strip().lower()))
    return tuple(out)


@lru_cache(maxsize=256)
def _dataset(channel: str | None) -> str:
    """``event.dataset`` for a channel name (computed once per channel)."""
    low = (channel or "").lower()
    dataset = _DATASETS.get(low) or "windows." + "".join(
        c if c.isalnum() else "_" for c in low)[:60].strip("_") if low else "windows.event"
    return dataset or "windows.event"


def events_from_object(obj: Any, ctx: RecordContext, text: str, enc: str = "utf-8",
                       part: int | None = None) -> dict[str, Any]:
    """The event for one parsed record; ``obj`` is consumed (its
    ``event_data`` object becomes the event's)."""
    return build(from_object(obj), ctx, text, encoding=enc, part=part)


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
    return [build(from_object(obj), ctx, text, encoding=enc)]


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
