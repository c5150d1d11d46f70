"""Evaluate batches of events on several cores.

The SQLite executor is CPU-bound Python and SQLite on one thread; a pool of
worker processes, each with its own ``SQLiteRuleExecutor`` built from the
same compiled rules, evaluates several batches at once.  Workers receive the
batch's documents and send back only (rule id, position) pairs; the caller
keeps the documents, builds the matches and writes alerts and checkpoints in
batch order, so a pass with a pool raises exactly what a pass without one
does.  From the store, batches go as the JSON text it holds (``evaluate_texts``).

Workers start with ``forkserver`` (never a fork of a process that may hold
threads or open SQLite connections): each imports the detection modules and
prepares its statements once, a second or two, so callers start the pool
only for a backlog worth it.
"""

from __future__ import annotations

import multiprocessing
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any

import orjson

from detection.sigma.convert import CompiledRule
from detection.sigma.sqlite_exec import (
    Match,
    SQLiteRuleExecutor,
    logsource_prefilter,
    matches_of,
)
from store.schema import get_path

_executor: SQLiteRuleExecutor | None = None  # in a worker process: its executor


def _start(rules: list[CompiledRule], windows: str, prefilter: bool | None,
           logsources: dict[Any, Any]) -> None:
    global _executor
    _executor = SQLiteRuleExecutor(rules, windows, prefilter=prefilter, logsources=logsources)


def _positions(docs: list[dict[str, Any]] | list[str]) -> tuple[list[tuple[str, int]],
                                                                dict[str, str]]:
    executor = worker_executor()
    if docs and isinstance(docs[0], str | bytes):
        docs = [orjson.loads(text) for text in docs]
    return executor.positions(docs), dict(executor.broken)  # type: ignore[arg-type]


def worker_executor() -> SQLiteRuleExecutor:
    """In a worker process (a function given to ``ExecutorPool.run_each``):
    the executor the pool started it with."""
    assert _executor is not None, "worker started without its executor"
    return _executor


class ExecutorPool:
    """``jobs`` worker processes evaluating batches with the same rules."""

    def __init__(self, rules: Sequence[CompiledRule], windows: str = "winlog", *,
                 jobs: int = 2, prefilter: bool | None = None) -> None:
        if jobs < 2:
            raise ValueError(f"a pool needs at least 2 jobs, not {jobs}")
        self.jobs = jobs
        self.broken: dict[str, str] = {}
        converted = [r for r in rules if r.status == "converted"]
        # Log-source conditions computed here once (cached in this process),
        # not by every worker.
        logsources = {r.logsource: logsource_prefilter(r.logsource, windows) for r in converted}
        self._pool = ProcessPoolExecutor(
            jobs, mp_context=multiprocessing.get_context("forkserver"),
            initializer=_start, initargs=(converted, windows, prefilter, logsources))

    def evaluate_many(self, batches: Sequence[list[dict[str, Any]]]) -> Iterator[list[Match]]:
        """The matches of each batch, in batch order, batches evaluated at once."""
        futures = [self._pool.submit(_positions, docs) for docs in batches]
        for docs, future in zip(batches, futures, strict=True):
            positions, broken = future.result()
            self.broken.update(broken)
            yield matches_of(docs, positions)

    def evaluate_texts(self, batches: Sequence[list[str]]) -> Iterator[list[Match]]:
        """The same for batches of events as stored (JSON text): workers parse
        them, and only the matched events are parsed here.  Sending the text
        costs a copy; sending documents, pickling both ways (real Windows
        events carry kilobytes each, and this process became the bottleneck)."""
        futures = [self._pool.submit(_positions, texts) for texts in batches]
        for texts, future in zip(batches, futures, strict=True):
            yield self._text_matches(texts, future)

    def evaluate_stream(self, batches: Iterable[list[str] | list[bytes]],
                        ) -> Iterator[tuple[list[str] | list[bytes], list[Match]]]:
        """Each batch (JSON texts) with its matches, in order, as the batches
        come: up to ``jobs`` are in the workers while the caller's iterator
        makes the next one (a hunt parses files meanwhile)."""
        pending: deque[tuple[Any, Future[Any]]] = deque()
        for texts in batches:
            pending.append((texts, self._pool.submit(_positions, texts)))
            if len(pending) > self.jobs:
                texts, future = pending.popleft()
                yield texts, self._text_matches(texts, future)
        while pending:
            texts, future = pending.popleft()
            yield texts, self._text_matches(texts, future)

    def run_each(self, fn: Callable[..., Any], calls: Sequence[tuple[Any, ...]],
                 ) -> Iterator[Any]:
        """``fn(*args)`` in the workers for each ``args`` of ``calls``, results
        in order; ``fn`` (a module-level function) finds the worker's executor
        with ``worker_executor()``."""
        futures = [self._pool.submit(fn, *args) for args in calls]
        for future in futures:
            yield future.result()

    def _text_matches(self, texts: Sequence[str | bytes], future: Future[Any]) -> list[Match]:
        """A worker's answer for ``texts``, with only the matched events parsed."""
        positions, broken = future.result()
        self.broken.update(broken)
        parsed: dict[int, dict[str, Any]] = {}
        out = []
        for rid, n in positions:
            doc = parsed.get(n)
            if doc is None:
                doc = parsed[n] = orjson.loads(texts[n])
            out.append(Match(rid, get_path(doc, "event.id"), get_path(doc, "@timestamp"), doc))
        return out

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> ExecutorPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
