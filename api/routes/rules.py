"""Sigma rules: list, show, enable/disable, upload (validated), coverage.

Rules are read with ``detection.sigma.loader``; when the detection room is
not installed these routes answer 503 ``rules_unavailable``.  Enabled state
lives in ``rule_state`` documents (``{"id": rule id, "enabled": bool}``).
"""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi import Depends, Request
from pydantic import Field

from api import audit
from api.auth.accounts import Principal
from api.context import ctx
from api.errors import ApiError, BadRequest, Conflict, NotFoundError, Unavailable
from api.models import Strict
from api.queries import ts
from api.routes.common import DocId, caller
from api.services import optional

MAX_RULE_BYTES = 256 * 1024


def _loader() -> Any:
    mod = optional("detection.sigma.loader")
    if mod is None:
        raise Unavailable("the Sigma engine is not installed", code="rules_unavailable")
    return mod


def _paths(request: Request) -> list[Path]:
    d = ctx(request).settings.detection
    return [*getattr(d, "rule_paths", []), *getattr(d, "extra_rule_paths", [])]


def _describe(rid: str, rule: Any, path: str | None, state: dict[str, Any] | None) -> dict[str, Any]:
    level = getattr(rule, "level", None)
    status = getattr(rule, "status", None)
    logsource = getattr(rule, "logsource", None)
    return {
        "id": rid, "title": getattr(rule, "title", None),
        "level": getattr(level, "name", None) and level.name.lower(),
        "status": getattr(status, "name", None) and status.name.lower(),
        "kind": "correlation" if type(rule).__name__ == "SigmaCorrelationRule" else "rule",
        "tags": [str(t) for t in getattr(rule, "tags", []) or []],
        "description": getattr(rule, "description", None),
        "logsource": {k: getattr(logsource, k, None) for k in ("category", "product", "service")}
        if logsource is not None else None,
        "path": path,
        "enabled": True if state is None else bool(state.get("enabled", True)),
    }


def _states(request: Request) -> dict[str, dict[str, Any]]:
    return {d.id: d.source for d in ctx(request).store.scan("rule_state", page_size=1000)}


def list_rules(request: Request) -> dict[str, Any]:
    """Every loaded rule with its state, plus the problems of the rule files."""
    rs = _loader().load_rules(_paths(request))
    states = _states(request)
    items = [_describe(rid, r, rs.paths.get(rid), states.get(rid))
             for rid, r in {**rs.rules, **rs.correlations}.items()]
    return {"items": sorted(items, key=lambda i: i["id"]),
            "problems": [_problem(p) for p in rs.problems]}


def _problem(p: Any) -> dict[str, Any]:
    return {"path": p.path, "line": p.line, "reason": p.reason, "severity": p.severity}


def show_rule(request: Request, rule_id: DocId) -> dict[str, Any]:
    """One rule: its description, state and YAML source."""
    rs = _loader().load_rules(_paths(request))
    rule = rs.rules.get(rule_id) or rs.correlations.get(rule_id)
    if rule is None:
        raise NotFoundError(f"rule {rule_id} is not loaded")
    path = rs.paths.get(rule_id)
    state = ctx(request).store.get("rule_state", rule_id)
    out = _describe(rule_id, rule, path, state.source if state else None)
    try:
        out["source"] = Path(path).read_text(encoding="utf-8") if path else None
    except OSError:
        out["source"] = None
    return out


def _set_enabled(request: Request, rule_id: str, enabled: bool, who: Principal) -> dict[str, Any]:
    rs = _loader().load_rules(_paths(request))
    if rule_id not in rs.rules and rule_id not in rs.correlations:
        raise NotFoundError(f"rule {rule_id} is not loaded")
    c = ctx(request)
    doc = c.store.get("rule_state", rule_id)
    now = ts(datetime.now(UTC))
    state = {**(doc.source if doc else {"id": rule_id, "@timestamp": now}),
             "enabled": enabled, "updated_at": now, "updated_by": who.name}
    c.store.put("rule_state", state, refresh=True)
    audit.record(c.store, actor=who.name, action="rule.enable" if enabled else "rule.disable",
                 target=f"rules/{rule_id}", address=audit.client_address(request))
    return {"id": rule_id, "enabled": enabled}


def enable_rule(request: Request, rule_id: DocId, who: Principal = Depends(caller)) -> dict[str, Any]:
    return _set_enabled(request, rule_id, True, who)


def disable_rule(request: Request, rule_id: DocId, who: Principal = Depends(caller)) -> dict[str, Any]:
    return _set_enabled(request, rule_id, False, who)


class RuleUpload(Strict):
    yaml: str = Field(min_length=1, max_length=MAX_RULE_BYTES,
                      examples=["title: SSH brute force\nid: 5b0c...\nlogsource: ...\n"])
    overwrite: bool = False


def upload_rule(request: Request, body: RuleUpload,
                who: Principal = Depends(caller)) -> dict[str, Any]:
    """Validate a Sigma rule and add it to the rule folder.  Problems come
    back as data (400 ``invalid_rule`` with file line and reason each)."""
    loader = _loader()
    paths = _paths(request)
    with tempfile.TemporaryDirectory(prefix="canhgac-rule-") as tmp:
        candidate = Path(tmp) / "uploaded.yml"
        candidate.write_text(body.yaml, encoding="utf-8")
        rs = loader.load_rules([candidate], validate=True)
    errors = [_problem(p) for p in rs.problems if p.severity == "error"]
    found = {**rs.rules, **rs.correlations}
    if errors or len(found) != 1:
        raise ApiError("the rule is not valid", code="invalid_rule",
                       details=errors or [{"reason": "upload exactly one rule"}])
    ((rid, _rule),) = found.items()
    if not paths:
        raise BadRequest("no rule folder configured (detection.rule_paths)", code="no_rule_folder")
    known = loader.load_rules(paths)
    if rid in known.paths and not body.overwrite:
        raise Conflict(f"rule {rid} exists ({known.paths[rid]}); set overwrite", code="rule_exists")
    folder = Path(paths[0]) / "uploaded"
    folder.mkdir(parents=True, exist_ok=True)
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in rid)[:120]
    target = Path(known.paths[rid]) if rid in known.paths else folder / f"{safe}.yml"
    target.write_text(body.yaml, encoding="utf-8")
    c = ctx(request)
    audit.record(c.store, actor=who.name, action="rule.upload", target=f"rules/{rid}",
                 address=audit.client_address(request), details={"path": str(target)})
    return {"id": rid, "path": str(target),
            "warnings": [_problem(p) for p in rs.problems if p.severity != "error"]}


def coverage(request: Request) -> dict[str, Any]:
    """Which rules the active backend can run (from ``detection.sigma.convert``)."""
    mod = optional("detection.sigma.convert")
    fn = getattr(mod, "coverage", None) if mod is not None else None
    if fn is None:
        raise Unavailable("rule conversion is not installed yet", code="coverage_unavailable")
    c = ctx(request)
    rs = _loader().load_rules(_paths(request))
    return {"backend": c.store.backend, "coverage": fn(rs, c.store.backend)}
