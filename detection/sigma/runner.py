"""Incremental detection passes: every enabled rule over what arrived since
the checkpoint, alerts written before the checkpoint moves (a crash re-reads,
never skips), deterministic alert ids (a re-read never duplicates).

* SQLite: events are read in ``rowid`` order (commit order) in batches; the
  checkpoint is the last rowid evaluated.
* Engine: ``_msearch`` batches of rules (``engine_exec``: only the rules
  whose log source has events in the range) over ``event.ingested`` in
  ``(checkpoint - lookback, now]``; the checkpoint is ``now`` of the pass.
* Correlations: after each pass, base rules are re-run over ``@timestamp`` in
  ``[earliest new match - timespan, latest + timespan]`` and windows slide
  (``correlation``); the checkpoint keeps, per group, the end of the last
  window fired, so a window never fires twice.
* Chained correlations (a correlation referencing another): the base rules
  behind the whole chain are re-run over the chain's total reach (its
  timespan plus the longest reach among the correlations it references), the
  referenced correlations are evaluated in memory over them (all their
  firings, alerted or not) and their firings act as matches, timed when their
  condition was met (``correlation`` module).  ``generate: false`` silences
  the detection rules a correlation references, never a referenced
  correlation: "brute force" keeps its own alert when "brute force then
  success" builds on it (a deliberate departure from the Sigma spec, where the
  referenced rules of a non-generating correlation raise nothing at all).

Rule state: ``rule_state`` documents ``{id: <rule id>, enabled: bool}``; a
rule without one is enabled.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from detection.alerts import build_alert, rule_meta, write_alerts
from detection.sigma import correlation as corr_mod
from detection.sigma.convert import Coverage, compile_rules
from detection.sigma.engine_exec import run_rules
from detection.sigma.loader import RuleSet, rule_id
from detection.sigma.sqlite_exec import Match, SQLiteRuleExecutor, read_events_after
from store.base import Store
from store.errors import NotFound
from store.query import Range
from store.schema import format_timestamp, parse_timestamp

CHECKPOINT_ID = "detection.sigma"


@dataclass
class PassResult:
    """What one detection pass did."""

    events: int = 0
    matches: int = 0
    alerts_written: int = 0
    alerts_existing: int = 0
    correlations_fired: int = 0
    per_rule: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    broken: dict[str, str] = field(default_factory=dict)


def backend_of(store: Store) -> str:
    """``sqlite``, ``opensearch`` or ``elasticsearch``: which converter a store needs."""
    return "elasticsearch" if "elastic" in store.backend else store.backend


class SigmaDetector:
    """Compiled rules bound to one store, ready to run passes."""

    def __init__(self, store: Store, ruleset: RuleSet, *, windows: str = "winlog",
                 batch_size: int = 5000, lookback_seconds: float = 300.0,
                 max_alert_events: int = 100) -> None:
        self.store = store
        self.ruleset = ruleset
        self.backend = backend_of(store)
        self.windows = windows
        self.batch_size = batch_size
        self.lookback = timedelta(seconds=lookback_seconds)
        self.max_alert_events = max_alert_events
        self.coverage: Coverage = compile_rules(ruleset, self.backend, windows=windows)
        self.windows_rules = {rid for rid, r in ruleset.rules.items()
                              if r.logsource.product == "windows"}
        # Correlation id → ids of the rules it references (detection rules or,
        # when chained, other correlations).
        self.corr_base: dict[str, list[str]] = {}
        self.corr_unsupported: dict[str, str] = {}
        for cid in ruleset.correlations:
            self._admit(cid)
        # Detection rules referenced by non-generating correlations raise no
        # alert of their own.
        self.silent = {b for cid, bases in self.corr_base.items()
                       if not ruleset.correlations[cid].generate for b in bases
                       if b in ruleset.rules}
        self._sqlite: SQLiteRuleExecutor | None = None

    def _admit(self, cid: str) -> bool:
        """Decide (once) whether correlation ``cid`` can run: its own shape and,
        when it chains correlations, theirs (the loader refused cycles)."""
        if cid in self.corr_base or cid in self.corr_unsupported:
            return cid in self.corr_base
        corr = self.ruleset.correlations[cid]
        refs: list[str] = []
        chained: dict[str, Any] = {}
        for ref in corr.rules or []:
            target = self.ruleset.find(str(ref.reference))
            if target is None:  # the loader drops these; a hand-built RuleSet may not
                self.corr_unsupported[cid] = f"unknown rule {ref.reference}"
                return False
            tid = rule_id(target)
            if tid in self.ruleset.correlations:
                if not self._admit(tid):
                    self.corr_unsupported[cid] = (
                        f"references correlation {ref.reference}, which cannot run: "
                        f"{self.corr_unsupported[tid]}")
                    return False
                chained[str(ref.reference)] = target
            refs.append(tid)
        why = corr_mod.why_unsupported(corr, chained)
        if why:
            self.corr_unsupported[cid] = why
            return False
        self.corr_base[cid] = refs
        return True

    def leaves(self, cid: str) -> set[str]:
        """The detection rules behind correlation ``cid``, through any chain."""
        out: set[str] = set()
        for ref in self.corr_base.get(cid, []):
            out |= self.leaves(ref) if ref in self.corr_base else {ref}
        return out

    def reach(self, cid: str) -> timedelta:
        """How far apart in time the base matches of one firing of ``cid`` can be."""
        inner = [self.reach(ref) for ref in self.corr_base.get(cid, []) if ref in self.corr_base]
        span = timedelta(seconds=self.ruleset.correlations[cid].timespan.seconds)
        return span + max(inner, default=timedelta(0))

    # -- rule state ----------------------------------------------------------
    def enabled_rules(self) -> set[str]:
        disabled = set()
        for doc in self.store.scan("rule_state"):
            if doc.source.get("enabled") is False:
                disabled.add(doc.id)
        return {rid for rid in self.ruleset.rules if rid not in disabled} | {
            cid for cid in self.corr_base if cid not in disabled}

    def _compiled(self, ids: set[str]) -> list:
        return [c for rid, c in self.coverage.compiled.items()
                if rid in ids and c.status == "converted"]

    # -- checkpoints ---------------------------------------------------------
    def _checkpoint(self) -> tuple[dict[str, Any], str | None]:
        doc = self.store.get("checkpoints", CHECKPOINT_ID + "." + self.backend)
        if doc is None:
            return {"id": CHECKPOINT_ID + "." + self.backend, "position": None,
                    "fired": {}}, None
        return doc.source, doc.version

    def _save(self, cp: dict[str, Any], version: str | None) -> str:
        cp["updated_at"] = format_timestamp(datetime.now(UTC))
        try:
            return self.store.put("checkpoints", cp, if_version=version, refresh=True)
        except NotFound:
            return self.store.put("checkpoints", cp, refresh=True)

    # -- a pass ----------------------------------------------------------------
    def run_once(self, now: datetime | None = None) -> PassResult:
        """One incremental pass over everything that arrived since the checkpoint."""
        now = now or datetime.now(UTC)
        enabled = self.enabled_rules()
        needed = enabled | {b for cid in self.corr_base if cid in enabled
                            for b in self.leaves(cid)}
        result = PassResult()
        cp, version = self._checkpoint()
        new_matches: list[Match] = []
        if self.backend == "sqlite":
            ex = self._sqlite_executor()
            after = int(cp.get("position") or 0)
            while True:
                rows = read_events_after(str(self.store.path), after, self.batch_size)
                if not rows:
                    break
                matches = [m for m in ex.evaluate([d for _, d in rows]) if m.rule_id in needed]
                result.events += len(rows)
                self._raise(matches, enabled, result)
                new_matches += matches
                after = rows[-1][0]
                cp["position"] = after
                version = self._save(cp, version)
            result.broken.update(ex.broken)
        else:
            self.store.refresh("events")
            pos = cp.get("position")
            gte = format_timestamp(parse_timestamp(pos) - self.lookback) if pos else None
            lte = format_timestamp(now)
            matches, broken = run_rules(self.store, self._compiled(needed), gte=gte, lte=lte,
                                        backend=self.backend, windows=self.windows)
            result.broken.update(broken)
            self._raise(matches, enabled, result)
            new_matches += matches
            cp["position"] = lte
        self._correlate(new_matches, enabled, cp, result, now)
        self._save(cp, version if self.backend != "sqlite" else self._checkpoint()[1])
        self.store.refresh("alerts")
        return result

    def _sqlite_executor(self) -> SQLiteRuleExecutor:
        if self._sqlite is None:
            self._sqlite = SQLiteRuleExecutor(self.coverage.compiled.values(), self.windows)
        return self._sqlite

    def _raise(self, matches: list[Match], enabled: set[str], result: PassResult) -> None:
        alerts = []
        for m in matches:
            result.matches += 1
            if m.rule_id not in enabled or m.rule_id in self.silent:
                continue
            result.per_rule[m.rule_id] += 1
            meta = rule_meta(self.ruleset.rules[m.rule_id], m.rule_id)
            alerts.append(build_alert(meta, m.event_id, [m.source]))
        res = write_alerts(self.store, alerts)
        result.alerts_written += res.written
        result.alerts_existing += res.existing

    # -- correlations --------------------------------------------------------
    def base_matches(self, base: set[str], gte: str, lte: str) -> list[Match]:
        """Every match of the ``base`` rules among events with ``gte <= @timestamp <= lte``."""
        if self.backend != "sqlite":
            return run_rules(self.store, self._compiled(base), field="@timestamp",
                             gte=gte, lte=lte, backend=self.backend, windows=self.windows)[0]
        ex = self._sqlite_executor()
        out: list[Match] = []
        query = Range("@timestamp", gte=gte, lte=lte)
        batch: list[dict[str, Any]] = []
        for doc in self.store.scan("events", query, page_size=self.batch_size):
            batch.append(doc.source)
            if len(batch) >= self.batch_size:
                out += [m for m in ex.evaluate(batch) if m.rule_id in base]
                batch = []
        out += [m for m in ex.evaluate(batch) if m.rule_id in base]
        return out

    def fire(self, cid: str, by_rule: dict[str, list[Match]],
             after: dict[str, str] | None = None) -> list[corr_mod.Firing]:
        """Firings of correlation ``cid`` over base matches ``by_rule`` (rule id →
        matches); a chained correlation's firings are computed here in turn."""
        refs = self.corr_base[cid]
        matches = {ref: ([corr_mod.as_match(f) for f in self.fire(ref, by_rule)]
                         if ref in self.corr_base else by_rule.get(ref, []))
                   for ref in refs}
        return corr_mod.evaluate(self.ruleset.correlations[cid], cid, refs, matches,
                                 self.windows_rules, after=after)

    def _correlate(self, new: list[Match], enabled: set[str], cp: dict[str, Any],
                   result: PassResult, now: datetime) -> None:
        fired_state: dict[str, dict[str, str]] = cp.setdefault("fired", {})
        alerts = []
        for cid in self.corr_base:
            if cid not in enabled:
                continue
            leaves = self.leaves(cid)
            stamps = [parse_timestamp(m.timestamp) for m in new
                      if m.rule_id in leaves and m.timestamp]
            if not stamps:
                continue
            corr = self.ruleset.correlations[cid]
            span = timedelta(seconds=corr.timespan.seconds)
            reach = self.reach(cid)
            gte = format_timestamp(min(stamps) - reach)
            lte = format_timestamp(max(stamps) + reach)
            by_rule: dict[str, list[Match]] = defaultdict(list)
            for m in self.base_matches(leaves, gte, lte):
                by_rule[m.rule_id].append(m)
            firings = self.fire(cid, by_rule, after=fired_state.get(cid))
            meta = rule_meta(corr, cid)
            state = fired_state.setdefault(cid, {})
            for f in firings:
                start = format_timestamp(f.start)
                leaf = corr_mod.leaf_matches(f.matches)
                events = [m.source for m in leaf[: self.max_alert_events]]
                alerts.append(build_alert(
                    meta, f"{f.group_key}\0{start}", events, kind="correlation",
                    event_count=len(leaf),
                    correlation={"type": corr_mod._kind(corr), "group_by": f.group,
                                 "window_start": start, "window_end": format_timestamp(f.end),
                                 "value": f.value}))
                state[f.group_key] = format_timestamp(f.end)
                result.correlations_fired += 1
            # Forget groups whose last window is far behind (bounded checkpoint).
            horizon = now - max(span, reach) - self.lookback - timedelta(days=1)
            for g in [g for g, end in state.items() if parse_timestamp(end) < horizon]:
                del state[g]
        res = write_alerts(self.store, alerts)
        result.alerts_written += res.written
        result.alerts_existing += res.existing
