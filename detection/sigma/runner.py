"""Incremental detection passes: every enabled rule over what arrived since
the checkpoint, alerts written before the checkpoint moves (a crash re-reads,
never skips), deterministic alert ids (a re-read never duplicates).

* SQLite: events are read in ``rowid`` order (commit order) in batches; the
  checkpoint is the last rowid evaluated.  With ``jobs`` > 1 and a backlog
  (``pool_min_events``), batches are evaluated by a pool of processes
  (``parallel``) and written in order, as one process would.
* Engine: ``_msearch`` batches of rules (``engine_exec``: only the rules
  whose log source has events in the range) over ``event.ingested`` in
  ``(checkpoint - lookback, now]``; the checkpoint is ``now`` of the pass.
  Rules the engine cannot run (not expressible in Lucene, or refused by the
  engine) but that convert for SQLite run as SQL over their log source's
  events (``engine_exec.run_as_sql``).  With ``engine_evaluation="stream"``
  (the default) the engine only serves the pass's events, read once by
  arrival, and every rule runs here as SQL, as on SQLite (``_streamed``):
  ten to twenty times faster with SigmaHQ's Windows set.
* Correlations: after each pass, each correlation with new base matches
  takes the base matches with ``@timestamp`` in ``[earliest new match - reach,
  latest + reach]`` and windows slide (``correlation``); the checkpoint keeps,
  per group, the end of the last window fired, so a window never fires twice.
  The base matches are loaded once per pass for all correlations (union of
  their ranges, then filtered per correlation) and slimmed to the fields
  windows and alerts read; on SQLite the pass's own matches are reused and
  only events of earlier passes (``rowid`` up to where the pass started) are
  re-evaluated, by an executor of the base rules alone.
* Shares (``shard=(i, n)``): only the rules whose id hashes into share i of n
  run, with a checkpoint document per share.  A rule the share's checkpoint
  has not run before starts from now - lookback (``catch_up`` on SQLite; the
  engine's pass window already covers it); a share without a checkpoint
  starts where the most recent other split stands.
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
rule without one is enabled.  Checkpoint: ``{id, position, fired, rules}``
(``rules``: the ids the share ran last pass).
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import chain, islice
from typing import Any

import orjson

from detection.alerts import ENTITY_FIELDS, build_alert, rule_meta, write_alerts
from detection.sigma import correlation as corr_mod
from detection.sigma.convert import SQL_LOGSOURCES, Coverage, compile_rules
from detection.sigma.engine_exec import run_as_sql, run_rules
from detection.sigma.loader import RuleSet, rule_id
from detection.sigma.parallel import ExecutorPool
from detection.sigma.sqlite_exec import (
    Match,
    SQLiteRuleExecutor,
    last_rowid,
    read_events_after,
    read_events_in_time,
    read_raw_after,
)
from store.base import Store, batched
from store.errors import NotFound
from store.query import Range, Sort
from store.schema import format_timestamp, get_path, parse_timestamp, set_path

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

    # SQLite with ``jobs`` > 1: the backlog (events waiting) from which a pass
    # starts the pool, about what one process evaluates while it starts.
    pool_min_events = 40_000

    def __init__(self, store: Store, ruleset: RuleSet, *, windows: str = "winlog",
                 batch_size: int = 5000, lookback_seconds: float = 300.0,
                 max_alert_events: int = 100, shard: tuple[int, int] = (1, 1),
                 jobs: int = 1, engine_evaluation: str = "stream") -> None:
        """``jobs``: SQLite, how many processes evaluate batches at once when a
        pass has a backlog (``pool_min_events``; ``parallel``; 1: this one).
        ``engine_evaluation``: on the engines, ``stream`` reads the pass's
        events once and evaluates every rule in this process as SQL (the
        correlations' base rules still run as queries); ``queries`` runs each
        rule as a Lucene query in the engine (``_msearch``)."""
        if engine_evaluation not in ("queries", "stream"):
            raise ValueError(f"engine_evaluation {engine_evaluation!r}: want queries or stream")
        self.engine_evaluation = engine_evaluation
        index, count = shard
        if jobs < 1:
            raise ValueError(f"jobs {jobs}: want 1 or more")
        self.jobs = jobs
        if not (count >= 1 and 1 <= index <= count):
            raise ValueError(f"shard {index}/{count}: want i/n with 1 <= i <= n")
        self.shard = (index, count)
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
        self._pool: ExecutorPool | None = None
        self._base_executors: dict[frozenset[str], SQLiteRuleExecutor] = {}
        self._sql: dict[str, Any] = {}  # engine: SQLite conversions (``_sql_compiled``)
        self._stream_executors: dict[frozenset[str], SQLiteRuleExecutor] = {}
        # Stream: ids of recent events evaluated with ``_seen_rules`` (``_streamed``).
        self._seen: set[str] = set()
        self._seen_rules: frozenset[str] | None = None
        self.keep_fields = self._fields_kept()

    def _fields_kept(self) -> tuple[str, ...]:
        """Event fields a base match keeps for correlations: ids, time, the
        entity fields alerts show, and every group-by, alias and value field of
        every correlation (as Windows and as generic rules place them)."""
        names: set[str] = set()
        for corr in self.ruleset.correlations.values():
            names |= set(corr.group_by or [])
            if corr.aliases:
                for a in corr.aliases.aliases.values():
                    names |= {str(f) for f in a.mapping.values()}
            cond = corr.condition
            ref = getattr(cond, "fieldref", None)
            names |= {str(f) for f in (ref if isinstance(ref, list) else [ref]) if f}
        paths = {"@timestamp", "event.id", *ENTITY_FIELDS}
        paths |= {corr_mod.event_field(n, w) for n in names for w in (True, False)}
        return tuple(sorted(paths))

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
        return {rid for rid in self.ruleset.rules if rid not in disabled and self.owns(rid)} | {
            cid for cid in self.corr_base if cid not in disabled and self.owns(cid)}

    def owns(self, rid: str) -> bool:
        """Whether rule ``rid`` is in this worker's share (``shard`` i/n): the
        SHA-256 of its id modulo n is i - 1, the same in every process."""
        return in_shard(rid, *self.shard)

    def _compiled(self, ids: set[str]) -> list:
        return [c for rid, c in self.coverage.compiled.items()
                if rid in ids and c.status == "converted"]

    # -- checkpoints ---------------------------------------------------------
    @property
    def checkpoint_id(self) -> str:
        """``detection.sigma.<backend>``, plus ``.shard-<i>-of-<n>`` when split."""
        base = f"{CHECKPOINT_ID}.{self.backend}"
        index, count = self.shard
        return base if count == 1 else f"{base}.shard-{index}-of-{count}"

    def _checkpoint(self) -> tuple[dict[str, Any], str | None]:
        doc = self.store.get("checkpoints", self.checkpoint_id)
        if doc is not None:
            return doc.source, doc.version
        # A share without a checkpoint (first start, or the number of workers
        # changed) starts where the most recent other split of this backend
        # stands (its slowest share), so re-splitting neither skips nor replays
        # history; with none, from the first event.  Sibling shares of the same
        # split never count: each starts from the beginning on its own.
        prefix = f"{CHECKPOINT_ID}.{self.backend}"
        mine = _split_of(self.checkpoint_id, prefix)
        layouts: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for d in self.store.scan("checkpoints"):
            n = _split_of(d.id, prefix)
            if n is not None and n != mine and d.source.get("position") is not None:
                layouts[n].append(d.source)
        cp: dict[str, Any] = {"id": self.checkpoint_id, "position": None, "fired": {}}
        if layouts:
            latest = max(layouts.values(),
                         key=lambda docs: max(str(x.get("updated_at", "")) for x in docs))
            cp["position"] = min(x["position"] for x in latest)
            for x in latest:  # correlations keep what already fired
                for cid, groups in (x.get("fired") or {}).items():
                    if self.owns(cid):
                        kept = cp["fired"].setdefault(cid, {})
                        for g, end in groups.items():
                            kept[g] = max(kept.get(g, end), end)
        return cp, None

    def _save(self, cp: dict[str, Any], version: str | None) -> str:
        cp["updated_at"] = format_timestamp(datetime.now(UTC))
        try:
            return self.store.put("checkpoints", cp, if_version=version, refresh=True)
        except NotFound:
            return self.store.put("checkpoints", cp, refresh=True)

    # -- a pass ----------------------------------------------------------------
    def run_once(self, now: datetime | None = None,
                 events: Iterable[dict[str, Any]] | None = None,
                 evaluated: Iterable[tuple[int, list[Match]]] | None = None) -> PassResult:
        """One incremental pass over everything that arrived since the checkpoint
        (this worker's share of the rules; see ``catch_up`` for new rules).

        ``events`` (SQLite): evaluate these, which are not in the store, instead
        (``canhgac hunt`` over files); ``evaluated``: batches of such events
        already evaluated elsewhere, as (how many events, their matches).  With
        either, the checkpoint's position does not move."""
        now = now or datetime.now(UTC)
        given = events is not None or evaluated is not None
        if given and self.backend != "sqlite":
            raise ValueError("events given to a pass: only the SQLite runner evaluates "
                             "events kept out of the store")
        enabled = self.enabled_rules()
        needed = enabled | {b for cid in self.corr_base if cid in enabled
                            for b in self.leaves(cid)}
        result = PassResult()
        cp, version = self._checkpoint()
        new_matches: list[Match] = []
        caught: list[Match] = []  # base matches of new correlations, from ``catch_up``
        started: int | None = None  # SQLite: the last rowid read before this pass
        correlated = {b for cid in self.corr_base if cid in enabled for b in self.leaves(cid)}
        known = cp.get("rules")
        fresh = enabled - set(known) if known is not None and cp.get("position") else set()
        cp["rules"] = sorted(enabled)
        if self.backend == "sqlite":
            ex = self._sqlite_executor()
            after = started = int(cp.get("position") or 0)
            if given:
                started = 0  # correlations: no stored event is re-read
            elif fresh:
                caught = self.catch_up(fresh, enabled, started, now, result)
            # (events evaluated, their matches, the last rowid read or None)
            batches: Iterator[tuple[int, list[Match], int | None]]
            if evaluated is not None:
                batches = ((count, found, None) for count, found in evaluated)
            elif events is not None:
                batches = ((len(rows), found, None) for rows, found in self._given(ex, events))
            else:
                batches = ((len(rows), found, rows[-1][0])
                           for rows, found in self._evaluated(ex, after))
            for count, found, last in batches:
                matches = [m for m in found if m.rule_id in needed]
                result.events += count
                self._raise(matches, enabled, result)
                new_matches += [self._slim(m) for m in matches if m.rule_id in correlated]
                if last is not None:
                    cp["position"] = last
                    version = self._save(cp, version)
            result.broken.update(ex.broken)
            if self._pool is not None:
                result.broken.update(self._pool.broken)
        else:
            # The pass re-reads (checkpoint - lookback, now] by arrival, which
            # already holds the last lookback a new rule starts from.
            self.store.refresh("events")
            pos = cp.get("position")
            gte = format_timestamp(parse_timestamp(pos) - self.lookback) if pos else None
            lte = format_timestamp(now)
            if self.engine_evaluation == "stream":
                matches, broken, result.events = self._streamed(
                    needed, "event.ingested", gte, lte, after=pos)
            else:
                matches, broken = self._engine_matches(needed, "event.ingested", gte, lte)
            result.broken.update(broken)
            self._raise(matches, enabled, result)
            new_matches += [m for m in matches if m.rule_id in correlated]
            cp["position"] = lte
        self._correlate(new_matches, enabled, cp, result, now, max_rowid=started,
                        caught=caught)
        self._save(cp, version if self.backend != "sqlite" else self._checkpoint()[1])
        self.store.refresh("alerts")
        return result

    def catch_up(self, fresh: set[str], enabled: set[str], max_rowid: int, now: datetime,
                 result: PassResult) -> list[Match]:
        """SQLite: rules this share's checkpoint has not seen (new, re-enabled,
        moved here by a re-split) start from now - lookback: they run over the
        already-read events (``rowid <= max_rowid``) with ``@timestamp`` in the
        last lookback, raising their own alerts; what the base rules of new
        correlations match there is returned to time those correlations."""
        new_corrs = fresh & set(self.corr_base)
        leaves = {b for cid in new_corrs for b in self.leaves(cid)}
        rules = (fresh - new_corrs) | leaves
        if not rules:
            return []
        gte, lte = format_timestamp(now - self.lookback), format_timestamp(now)
        ex = self._base_executor(frozenset(rules))
        out: list[Match] = []
        for docs in read_events_in_time(str(self.store.path), gte, lte, max_rowid,
                                        self.batch_size):
            matches = [m for m in ex.evaluate(docs) if m.rule_id in rules]
            self._raise([m for m in matches if m.rule_id in fresh], enabled, result)
            out += [self._slim(m) for m in matches if m.rule_id in leaves]
        result.broken.update(ex.broken)
        return out

    def _given(self, ex: SQLiteRuleExecutor, events: Iterable[dict[str, Any]],
               ) -> Iterator[tuple[list[tuple[int, Any]], list[Match]]]:
        """SQLite, events not in the store (a hunt): their batches, as
        ``(n, event)`` rows numbered from 1, with their matches, in order.
        With ``jobs`` > 1 and more than ``pool_min_events`` events, batches go
        to the pool as JSON text while the next ones are read."""
        source = iter(events)
        head = list(islice(source, self.pool_min_events))
        batches = batched(chain(head, source), self.batch_size)
        n = 0
        if self.jobs < 2 or len(head) < self.pool_min_events:
            for batch in batches:
                yield [(n + i, d) for i, d in enumerate(batch, 1)], ex.evaluate(batch)
                n += len(batch)
            return
        if self._pool is None:
            self._pool = ExecutorPool(list(self.coverage.compiled.values()), self.windows,
                                      jobs=self.jobs)
        texts = ([orjson.dumps(d) for d in batch] for batch in batches)
        for part, found in self._pool.evaluate_stream(texts):
            yield [(n + i, t) for i, t in enumerate(part, 1)], found
            n += len(part)

    def _evaluated(self, ex: SQLiteRuleExecutor,
                   after: int) -> Iterator[tuple[list[tuple[int, Any]], list[Match]]]:
        """SQLite: the batches after rowid ``after`` (``(rowid, event)`` rows)
        with their matches, in order.  With ``jobs`` > 1 and a backlog of
        ``pool_min_events``, up to ``jobs`` full batches are read ahead, as the
        stored JSON text, and evaluated at once by the pool."""
        path = str(self.store.path)
        # Starting workers costs seconds (imports, prepared statements): worth
        # it for a backlog, not for the few batches of a pass that keeps up.
        pooled = self.jobs > 1 and (self._pool is not None or
                                    last_rowid(path) - after >= self.pool_min_events)
        while not pooled:
            rows = read_events_after(path, after, self.batch_size)
            if not rows:
                return
            yield rows, ex.evaluate([d for _, d in rows])
            after = rows[-1][0]
        while True:
            ahead = [read_raw_after(path, after, self.batch_size)]
            if not ahead[0]:
                return
            while len(ahead) < self.jobs and len(ahead[-1]) == self.batch_size:
                more = read_raw_after(path, ahead[-1][-1][0], self.batch_size)
                if not more:
                    break
                ahead.append(more)
            if self._pool is None:
                self._pool = ExecutorPool(list(self.coverage.compiled.values()),
                                          self.windows, jobs=self.jobs)
            texts = [[t for _, t in part] for part in ahead]
            yield from zip(ahead, self._pool.evaluate_texts(texts), strict=True)
            after = ahead[-1][-1][0]

    def close(self) -> None:
        """Stop the worker processes, if a pass started them; free the
        stream executors."""
        if self._pool is not None:
            self._pool.close()
            self._pool = None
        for ex in self._stream_executors.values():
            ex.close()
        self._stream_executors.clear()

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
    def _slim(self, m: Match) -> Match:
        """``m`` keeping only what windows and correlation alerts read: ids,
        ``@timestamp``, entity fields and every correlation's group-by/value fields."""
        src: dict[str, Any] = {}
        for path in self.keep_fields:
            v = get_path(m.source, path)
            if v is not None:
                set_path(src, path, v)
        return Match(m.rule_id, m.event_id, m.timestamp, src, m.parts)

    def base_matches(self, base: set[str], gte: str, lte: str,
                     known: list[Match] | None = None, max_rowid: int | None = None,
                     ) -> list[Match]:
        """Every match of the ``base`` rules among events with ``gte <= @timestamp
        <= lte``, slimmed (``_slim``).  On SQLite, ``known`` (the pass's own
        matches) with ``max_rowid`` (where the pass started) spares re-reading the
        pass's events: only events up to ``max_rowid`` are read and evaluated,
        by an executor of the ``base`` rules alone."""
        if self.backend != "sqlite":
            # Queries even when the pass streams: the base rules are few, and
            # streaming would re-read every event of the correlations' reach.
            found = self._engine_matches(base, "@timestamp", gte, lte)[0]
            return [self._slim(m) for m in found]
        out: list[Match] = []
        if known is not None and max_rowid is not None:
            lo, hi = parse_timestamp(gte), parse_timestamp(lte)
            out += [m for m in known if m.rule_id in base and m.timestamp
                    and lo <= parse_timestamp(m.timestamp) <= hi]
            batches: Any = read_events_in_time(str(self.store.path), gte, lte, max_rowid,
                                               self.batch_size)
        else:
            batches = self._scan_batches(gte, lte)
        ex = self._base_executor(frozenset(base))
        for docs in batches:
            out += [self._slim(m) for m in ex.evaluate(docs) if m.rule_id in base]
        return out

    def _engine_matches(self, ids: set[str], field: str, gte: str | None,
                        lte: str | None) -> tuple[list[Match], dict[str, str]]:
        """Engine: matches of rules ``ids`` with ``gte <= field <= lte`` and the
        rules that failed, as Lucene queries; rules the engine cannot run (not
        converted for it, or refused by it) run as SQL when they convert for
        SQLite."""
        on_engine = [c for c in self._compiled(ids) if c.logsource not in SQL_LOGSOURCES]
        matches, broken = run_rules(self.store, on_engine, field=field, gte=gte,
                                    lte=lte, backend=self.backend, windows=self.windows)
        ran = {c.rule_id for c in on_engine}
        as_sql = {rid for rid in ids if rid in self.ruleset.rules and (
            rid in broken or rid not in ran)}
        if as_sql:
            rules = [c for c in self._sql_compiled(as_sql).values() if c.status == "converted"]
            found, failed = run_as_sql(self.store, rules, field=field, gte=gte, lte=lte,
                                       backend=self.backend, windows=self.windows)
            matches += found
            for r in rules:
                broken.pop(r.rule_id, None)
            broken.update(failed)
        return matches, broken

    def _streamed(self, ids: set[str], field: str, gte: str | None, lte: str | None,
                  after: str | None = None) -> tuple[list[Match], dict[str, str], int]:
        """Engine, ``engine_evaluation="stream"``: every rule of ``ids`` evaluated
        in memory, by the SQL the embedded store runs (one executor, kept), on
        the events with ``gte <= field <= lte`` read page by page.  Returns the
        matches, the rules that failed and how many events were evaluated.

        The overlap ``[gte, after]`` (the lookback before the checkpoint
        ``after``) was read by earlier passes: it is read as ids only, and only
        the events this process has not evaluated with the same rules (late
        arrivals; everything after a restart or a change of rules) are fetched
        and evaluated.  Without this, a 300 s lookback and a 60 s interval
        would evaluate every event six times.  What is remembered is bounded
        by the next pass's overlap."""
        rules = frozenset(rid for rid in ids if rid in self.ruleset.rules)
        ex = self._stream_executors.get(rules)
        if ex is None:
            ex = SQLiteRuleExecutor([c for c in self._sql_compiled(set(rules)).values()
                                     if c.status == "converted"], self.windows)
            self._stream_executors[rules] = ex
        seen = self._seen if self._seen_rules == rules else set()
        keep: set[str] = set()  # the ids the next pass's overlap may hold
        keep_from = parse_timestamp(lte) - self.lookback if lte else None
        out: list[Match] = []
        batch: list[dict[str, Any]] = []
        evaluated = 0

        def evaluate() -> None:
            nonlocal batch, evaluated
            out.extend(ex.evaluate(batch))
            evaluated += len(batch)
            batch = []

        def scan(query: dict[str, Any], source: bool = True) -> Iterator[Any]:
            return self.store.scan_native("events", query, sort=[Sort(field, "asc")],
                                          page_size=self.batch_size, source=source)

        def in_range(**rng: str | None) -> dict[str, Any]:
            bounds = {k: v for k, v in rng.items() if v}
            return {"bool": {"filter": [{"range": {field: bounds}}] if bounds else []}}

        if after and seen:
            overlap = [d.id for d in scan(in_range(gte=gte, lte=after), source=False)]
            keep.update(overlap)
            late = [i for i in overlap if i not in seen]
            for start in range(0, len(late), self.batch_size):
                for doc in scan({"ids": {"values": late[start:start + self.batch_size]}}):
                    batch.append(doc.source)
                evaluate()
            fresh = scan(in_range(gt=after, lte=lte))
        else:
            fresh = scan(in_range(gte=gte, lte=lte))
        for doc in fresh:
            batch.append(doc.source)
            if keep_from is not None:
                at = get_path(doc.source, field)
                if at and parse_timestamp(at) >= keep_from:
                    keep.add(doc.id)
            if len(batch) == self.batch_size:
                evaluate()
        evaluate()
        self._seen, self._seen_rules = keep, rules
        return out, dict(ex.broken), evaluated

    def _sql_compiled(self, ids: set[str]) -> dict[str, Any]:
        """Engine: SQLite conversions of rules ``ids`` (the conversion cache
        makes a repeat cheap; kept for the life of the detector)."""
        missing = ids - self._sql.keys()
        if missing:
            self._sql.update(compile_rules(self.ruleset, "sqlite", windows=self.windows,
                                           only=missing).compiled)
        return {rid: self._sql[rid] for rid in ids if rid in self._sql}

    def _scan_batches(self, gte: str, lte: str) -> Iterator[list[dict[str, Any]]]:
        docs = self.store.scan("events", Range("@timestamp", gte=gte, lte=lte),
                               page_size=self.batch_size)
        return batched((doc.source for doc in docs), self.batch_size)

    def _base_executor(self, base: frozenset[str]) -> SQLiteRuleExecutor:
        """An executor of just the ``base`` rules (fewer columns to fill than all)."""
        ex = self._base_executors.get(base)
        if ex is None:
            ex = SQLiteRuleExecutor([c for rid, c in self.coverage.compiled.items()
                                     if rid in base], self.windows)
            self._base_executors[base] = ex
        return ex

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
                   result: PassResult, now: datetime, max_rowid: int | None = None,
                   caught: list[Match] | None = None) -> None:
        """Fire the enabled correlations whose base rules matched in this pass
        (or, for new correlations, in ``catch_up``: those only time them).
        The base matches behind all of them are loaded once (``base_matches``
        over the union of their ranges) and each correlation takes the ones in
        its own range, so the windows are what a load per correlation gave."""
        fired_state: dict[str, dict[str, str]] = cp.setdefault("fired", {})
        ranges: dict[str, tuple[datetime, datetime]] = {}
        stamps_of: dict[str, datetime] = {}
        timing = [*new, *(caught or [])]
        for m in timing:
            if m.timestamp and m.timestamp not in stamps_of:
                stamps_of[m.timestamp] = parse_timestamp(m.timestamp)
        for cid in self.corr_base:
            if cid not in enabled:
                continue
            leaves = self.leaves(cid)
            stamps = [stamps_of[m.timestamp] for m in timing
                      if m.rule_id in leaves and m.timestamp]
            if stamps:
                reach = self.reach(cid)
                ranges[cid] = (min(stamps) - reach, max(stamps) + reach)
        if not ranges:
            return
        wanted = set().union(*(self.leaves(cid) for cid in ranges))
        pool = self.base_matches(wanted, format_timestamp(min(lo for lo, _ in ranges.values())),
                                 format_timestamp(max(hi for _, hi in ranges.values())),
                                 known=new, max_rowid=max_rowid)
        timed = [(parse_timestamp(m.timestamp), m) for m in pool if m.timestamp]
        alerts = []
        for cid, (lo, hi) in ranges.items():
            corr = self.ruleset.correlations[cid]
            span = timedelta(seconds=corr.timespan.seconds)
            reach = self.reach(cid)
            leaves = self.leaves(cid)
            by_rule: dict[str, list[Match]] = defaultdict(list)
            for t, m in timed:
                if m.rule_id in leaves and lo <= t <= hi:
                    by_rule[m.rule_id].append(m)
            firings = self.fire(cid, by_rule, after=fired_state.get(cid))
            meta = rule_meta(corr, cid)
            state = fired_state.setdefault(cid, {})
            for f in firings:
                start = format_timestamp(f.start)
                leaf = corr_mod.leaf_matches(f.matches)
                events = [m.source for m in leaf[: self.max_alert_events]]
                alert = build_alert(
                    meta, f"{f.group_key}\0{start}", events, kind="correlation",
                    event_count=len(leaf),
                    correlation={"type": corr_mod._kind(corr), "group_by": f.group,
                                 "window_start": start, "window_end": format_timestamp(f.end),
                                 "value": f.value})
                shown = corr_mod.entity_match(corr_mod._kind(corr), self.corr_base[cid], f)
                if shown is not None:
                    _show_entities(alert, shown.source, f.group)
                alerts.append(alert)
                state[f.group_key] = format_timestamp(f.end)
                result.correlations_fired += 1
            # Forget groups whose last window is far behind (bounded checkpoint).
            horizon = now - max(span, reach) - self.lookback - timedelta(days=1)
            for g in [g for g, end in state.items() if parse_timestamp(end) < horizon]:
                del state[g]
        res = write_alerts(self.store, alerts)
        result.alerts_written += res.written
        result.alerts_existing += res.existing


def _show_entities(alert: dict[str, Any], source: dict[str, Any],
                   group: dict[str, Any]) -> None:
    """Entity fields of ``alert`` taken from ``source`` (``correlation.entity_match``)
    where it has them; the first event's stay for the others, and group-by
    values win as in ``build_alert``."""
    for f in ENTITY_FIELDS:
        v = get_path(source, f)
        if isinstance(v, list):
            v = v[0] if v else None
        if v not in (None, ""):
            head, _, tail = f.partition(".")
            alert.setdefault(head, {})[tail] = v
    for f, v in group.items():
        if f in ENTITY_FIELDS and v is not None:
            head, _, tail = f.partition(".")
            alert.setdefault(head, {})[tail] = v


def in_shard(rule: str, index: int, count: int) -> bool:
    """Whether ``rule`` (an id) falls in share ``index`` (1-based) of ``count``."""
    if count == 1:
        return True
    digest = hashlib.sha256(rule.encode("utf-8", "surrogatepass")).digest()
    return int.from_bytes(digest[:8], "big") % count == index - 1


def parse_shard(text: str) -> tuple[int, int]:
    """``"2/3"`` → ``(2, 3)``; ValueError for anything but ``i/n`` with 1 <= i <= n."""
    index, sep, count = text.strip().partition("/")
    try:
        i, n = int(index), int(count)
    except ValueError:
        i = n = 0
    if not sep or not (n >= 1 and 1 <= i <= n):
        raise ValueError(f"shard {text!r}: want i/n with 1 <= i <= n, e.g. 1/2")
    return i, n


def _split_of(doc_id: str, prefix: str) -> int | None:
    """The number of shares of a detection checkpoint id under ``prefix``
    (1 for the unsplit one), None for any other checkpoint."""
    if doc_id == prefix:
        return 1
    m = re.fullmatch(re.escape(prefix) + r"\.shard-\d+-of-(\d+)", doc_id)
    return int(m.group(1)) if m else None
