"""Convert Sigma rules to each backend's native query, and say why not.

``compile_rules(ruleset, backend)`` gives one ``CompiledRule`` per detection
rule: ``status`` is ``converted`` (``query`` holds the native query),
``unsupported`` (the backend or our log-source map cannot express it; the
reason says what) or ``failed`` (an unexpected conversion error).
Correlation rules are not converted: ``detection.sigma.correlation``
evaluates them over their base rules' matches on every backend alike.
"""

from __future__ import annotations

import copy
import functools
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sigma.exceptions import (
    SigmaConditionError,
    SigmaError,
    SigmaFeatureNotSupportedByBackendError,
    SigmaTransformationError,
    SigmaValueError,
)
from sigma.rule import SigmaRule

from detection.sigma.loader import RuleSet
from detection.sigma.pipelines import (
    SQL_FIELD_PREFIX,
    engine_pipeline,
    is_supported_logsource,
    sqlite_pipeline,
)
from detection.sigma.prefilter import rule_clauses

BACKENDS = ("sqlite", "opensearch", "elasticsearch")

# Engines: log sources whose rules always run as SQL (``engine_exec.run_as_sql``).
# Defender's events name their data with spaces ("Threat Name"), SigmaHQ's
# rules without ("ThreatName"); the SQL executor reads both spellings, a
# Lucene query names one field.  Defender logs are small, so reading them is cheap.
SQL_LOGSOURCES = frozenset({("windows", None, "windefend")})
SQL_TABLE = "canhgac_sigma_flat"
_SQL_PREFIX = f"SELECT * FROM {SQL_TABLE} WHERE "
_SQL_FIELD = re.compile(r'[`"]' + re.escape(SQL_FIELD_PREFIX) + r'([^`"]+)[`"]')


@dataclass
class CompiledRule:
    """One rule as one backend runs it."""

    rule_id: str
    backend: str
    status: str  # converted | unsupported | failed
    query: Any = None
    reason: str = ""
    fields: tuple[str, ...] = ()  # SQLite: the ECS fields the query reads
    logsource: tuple[str | None, str | None, str | None] = (None, None, None)
    # SQLite: literals an event must hold for the rule to match it, one of each
    # clause (``detection.sigma.prefilter``); () when the rule runs on every event.
    clauses: tuple[tuple[str, ...], ...] = ()


@dataclass
class Coverage:
    """Per-backend conversion counts and the reasons behind each miss."""

    backend: str
    compiled: dict[str, CompiledRule] = field(default_factory=dict)
    cached: int = 0  # how many came from the on-disk conversion cache

    def counts(self) -> dict[str, int]:
        c = Counter(r.status for r in self.compiled.values())
        return {s: c.get(s, 0) for s in ("converted", "unsupported", "failed")}

    def misses(self) -> list[CompiledRule]:
        return [r for r in self.compiled.values() if r.status != "converted"]


def _backend(name: str, windows: str) -> Any:
    if name == "sqlite":
        from sigma.backends.sqlite import sqliteBackend

        return sqliteBackend(processing_pipeline=sqlite_pipeline(windows), table=SQL_TABLE,
                             collate_nocase=True)
    if name == "opensearch":
        from sigma.backends.opensearch import OpensearchLuceneBackend

        return OpensearchLuceneBackend(processing_pipeline=engine_pipeline(windows))
    if name == "elasticsearch":
        from sigma.backends.elasticsearch import LuceneBackend

        return LuceneBackend(processing_pipeline=engine_pipeline(windows))
    raise ValueError(f"unknown backend {name!r}; known: {', '.join(BACKENDS)}")


@functools.lru_cache(maxsize=8)
def probe_backend(name: str, windows: str) -> Any:
    """One backend per (backend, Windows pipeline) kept for the log-source
    probes: building one (its pipelines) costs ~20 ms, and the executors
    convert a probe per log source, 60 and more for the SigmaHQ rules."""
    return _backend(name, windows)


def _unsupported(exc: BaseException) -> bool:
    return isinstance(exc, SigmaFeatureNotSupportedByBackendError | SigmaTransformationError |
                      SigmaValueError | SigmaConditionError)


def compile_rule(rule: SigmaRule, rule_id: str, backend_name: str, backend: Any,
                 fmt: str = "default") -> CompiledRule:
    """Convert one rule (a copy: pySigma's pipelines change the rule they convert)."""
    ls = rule.logsource
    key = (ls.product, ls.category, ls.service)
    if not is_supported_logsource(ls):
        return CompiledRule(rule_id, backend_name, "unsupported", reason=(
            f"no event mapping for log source product={ls.product} category={ls.category} "
            f"service={ls.service}"), logsource=key)
    try:
        work = copy.deepcopy(rule)
        work._output = True  # base rules of correlations are queried too
        out = backend.convert_rule(work, fmt)
    except SigmaError as exc:
        status = "unsupported" if _unsupported(exc) else "failed"
        return CompiledRule(rule_id, backend_name, status, reason=str(exc).splitlines()[0],
                            logsource=key)
    except Exception as exc:
        return CompiledRule(rule_id, backend_name, "failed",
                            reason=f"{type(exc).__name__}: {exc}", logsource=key)
    if not out:
        return CompiledRule(rule_id, backend_name, "failed", reason="no query produced",
                            logsource=key)
    query = out[0] if len(out) == 1 else out
    if backend_name == "sqlite":
        sql = " OR ".join(f"({q.removeprefix(_SQL_PREFIX)})" for q in out) if len(out) > 1 \
            else out[0].removeprefix(_SQL_PREFIX)
        fields = tuple(sorted(set(_SQL_FIELD.findall(sql))))
        return CompiledRule(rule_id, backend_name, "converted", sql, fields=fields, logsource=key,
                            clauses=rule_clauses(work))
    if isinstance(query, list):
        query = " OR ".join(f"({q})" for q in query)
    return CompiledRule(rule_id, backend_name, "converted", query, logsource=key)


def _from_cache(entry: dict[str, Any]) -> CompiledRule:
    return CompiledRule(**{**entry, "fields": tuple(entry.get("fields") or ()),
                           "logsource": tuple(entry.get("logsource") or (None, None, None)),
                           "clauses": tuple(tuple(c) for c in entry.get("clauses") or ())})


def compile_rules(rs: RuleSet, backend_name: str, *, windows: str = "winlog",
                  only: set[str] | None = None, cache: bool = True) -> Coverage:
    """Convert every detection rule of ``rs`` for one backend, reusing the
    on-disk conversion cache (``detection.sigma.cache``) unless ``cache`` is off."""
    from detection.sigma.cache import ConversionCache

    if backend_name not in BACKENDS:
        raise ValueError(f"unknown backend {backend_name!r}; known: {', '.join(BACKENDS)}")
    store = ConversionCache(backend_name, windows) if cache else None
    backend = None
    cov = Coverage(backend_name)
    for rid, rule in rs.rules.items():
        if only is not None and rid not in only:
            continue
        key = store.key(rid, rule) if store is not None else None
        entry = store.get(key) if store is not None else None
        if entry is not None:
            cov.compiled[rid] = _from_cache(entry)
            cov.cached += 1
            continue
        if backend is None:
            backend = _backend(backend_name, windows)
        cov.compiled[rid] = compile_rule(rule, rid, backend_name, backend)
        if store is not None and cov.compiled[rid].status != "failed":
            store.put(key, cov.compiled[rid])
    if store is not None:
        store.save()
    return cov


def as_sql(engine: Coverage, sql: Coverage) -> set[str]:
    """Rules an engine runs as SQL (``engine_exec.run_as_sql``): those it cannot
    run as Lucene, or of ``SQL_LOGSOURCES``, that convert for SQLite.  (A rule
    the engine refuses at run time joins them then.)"""
    return {rid for rid, c in engine.compiled.items()
            if (c.status != "converted" or c.logsource in SQL_LOGSOURCES)
            and rid in sql.compiled and sql.compiled[rid].status == "converted"}


def coverage(rs: RuleSet, backend_name: str, *, windows: str = "winlog") -> dict[str, Any]:
    """Conversion counts for one backend and the reason behind every miss, as
    plain data (what the API's rules coverage endpoint and ``canhgac rules
    coverage`` give).  On the engines, ``as_sql`` counts the rules that run as
    SQL instead of Lucene; they are left out of the other counts."""
    cov = compile_rules(rs, backend_name, windows=windows)
    sql = (as_sql(cov, compile_rules(rs, "sqlite", windows=windows))
           if backend_name != "sqlite" else set())
    counts = Counter(r.status for rid, r in cov.compiled.items() if rid not in sql)
    out: dict[str, Any] = {"backend": backend_name,
                           "counts": {s: counts.get(s, 0)
                                      for s in ("converted", "unsupported", "failed")}}
    if backend_name != "sqlite":
        out["counts"]["as_sql"] = len(sql)
        out["as_sql"] = [{"rule_id": rid, "reason": cov.compiled[rid].reason or
                          "log source runs as SQL"} for rid in sorted(sql)]
    out["misses"] = [{"rule_id": r.rule_id, "status": r.status, "reason": r.reason}
                     for r in sorted(cov.misses(), key=lambda r: r.rule_id)
                     if r.rule_id not in sql]
    return out
