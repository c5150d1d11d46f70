"""The embedded store: one SQLite file in WAL mode, shared by every process.

Layout, per collection: a table ``<name>(rowid, id UNIQUE, version, doc)``
where ``doc`` is the JSON document, plus a generated column and an index for
each hot field, and, for collections with text fields, an FTS5 table
``<name>_fts`` whose rowid is the document's and whose columns hold the folded
words of each text field.

Concurrency: every write is one explicit ``BEGIN IMMEDIATE`` transaction, so
writers queue on SQLite's own lock across processes (``busy_timeout``) and a
process-wide lock keeps this process's threads in line; readers never block
writers (WAL).  Each thread gets its own connection.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson

from store.base import MAX_PAGE, BulkResult, DocumentError, Store, batched
from store.errors import (
    ConflictError,
    InvalidDocument,
    NotFound,
    QueryError,
    StoreError,
    StoreUnavailable,
)
from store.query import (
    Agg,
    Avg,
    Cardinality,
    DateHistogram,
    Document,
    Max,
    Min,
    Query,
    SearchPage,
    Sort,
    TermsAgg,
    interval_seconds,
    offset_seconds,
)
from store.schema import (
    COLLECTIONS,
    DATE,
    TEXT,
    Collection,
    collection,
    format_timestamp,
    get_path,
    ip_key,
    object_arrays,
    prepare_document,
    typed_value,
)
from store.sqlite.translate import (
    ARRAYS_COLUMN,
    Compiler,
    array_marks,
    column_name,
    decode_cursor,
    encode_cursor,
    fts_column,
    json_path,
    values_source,
)
from store.text import fold

SCHEMA_VERSION = 1
BATCH = 2000
ANALYZE_EVERY = 20_000


def _dumps(doc: dict[str, Any]) -> str:
    # orjson: ~10x faster than json.dumps, and serialisation is a third of
    # the bulk-write cost.  It rejects what JSON cannot hold (NaN is null).
    return orjson.dumps(doc).decode("utf-8")


_loads = orjson.loads


class SQLiteStore(Store):
    """The embedded default backend."""

    backend = "sqlite"

    def __init__(self, path: str | Path, *, busy_timeout: float = 30.0) -> None:
        self.path = Path(path)
        self.busy_timeout = busy_timeout
        self._local = threading.local()
        self._write_lock = threading.Lock()
        self._connections: list[sqlite3.Connection] = []
        self._conn_lock = threading.Lock()
        self._compilers = {name: Compiler(c) for name, c in COLLECTIONS.items()}
        self._executor: ThreadPoolExecutor | None = None
        self._since_analyze: dict[str, int] = {}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.init()

    # -- connections -----------------------------------------------------------
    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            try:
                conn = sqlite3.connect(self.path, isolation_level=None,
                                       timeout=self.busy_timeout, check_same_thread=False)
                conn.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout * 1000)}")
                mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
                if mode.lower() != "wal":
                    raise StoreError(f"{self.path}: could not switch to WAL (got {mode})")
                conn.execute("PRAGMA synchronous = NORMAL")
                conn.execute("PRAGMA foreign_keys = ON")
                conn.create_function("canhgac_ip", 1, ip_key, deterministic=True)
                conn.execute("PRAGMA cache_size = -65536")  # 64 MiB: index inserts stay in memory
            except sqlite3.Error as exc:
                raise StoreUnavailable(f"cannot open SQLite store {self.path}: {exc}") from exc
            self._local.conn = conn
            with self._conn_lock:
                self._connections.append(conn)
        return conn

    @contextmanager
    def _errors(self, what: str) -> Iterator[None]:
        """Map sqlite3 errors to store errors at the boundary."""
        try:
            yield
        except sqlite3.OperationalError as exc:
            text = str(exc)
            if "locked" in text or "busy" in text or "unable to open" in text:
                raise StoreUnavailable(f"SQLite store {self.path} unavailable ({what}): {text}") \
                    from exc
            raise QueryError(f"{what}: {text}") from exc
        except sqlite3.Error as exc:
            raise StoreError(f"{what}: {exc}") from exc

    @contextmanager
    def _write(self, what: str) -> Iterator[sqlite3.Connection]:
        """One serialised, explicit write transaction."""
        conn = self._conn()
        with self._write_lock, self._errors(what):
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None
        with self._conn_lock:
            for conn in self._connections:
                with contextlib.suppress(sqlite3.Error):
                    conn.close()
            self._connections.clear()
        self._local = threading.local()

    # -- schema ----------------------------------------------------------------
    def init(self) -> None:
        with self._write("init") as conn:
            conn.execute("CREATE TABLE IF NOT EXISTS canhgac_meta (key TEXT PRIMARY KEY, value)")
            conn.execute("INSERT OR IGNORE INTO canhgac_meta VALUES ('schema_version', ?)",
                         (SCHEMA_VERSION,))
            for coll in COLLECTIONS.values():
                stmts = self._ddl(coll)
                conn.execute(stmts[0])
                self._add_missing_columns(conn, coll)
                for stmt in stmts[1:]:
                    conn.execute(stmt)

    @staticmethod
    def _add_missing_columns(conn: sqlite3.Connection, coll: Collection) -> None:
        """A hot field (or the arrays column) added since the file was created:
        add its column and fill it from the stored documents (a one-off
        migration)."""
        have = {row[1] for row in conn.execute(f'PRAGMA table_info("{coll.name}")')}
        for f in coll.hot_fields:
            col = column_name(f)
            if col not in have:
                conn.execute(f'ALTER TABLE "{coll.name}" ADD COLUMN {col}')
                conn.execute(f'UPDATE "{coll.name}" SET {col} = json_extract(doc, ?)',
                             (json_path(f),))
        if ARRAYS_COLUMN not in have:
            # Files from before dotted fields were seen through arrays: mark
            # the documents holding objects in arrays, as _prepare does.
            conn.execute(f'ALTER TABLE "{coll.name}" ADD COLUMN {ARRAYS_COLUMN}')
            rows = conn.execute(f"SELECT rowid, doc FROM \"{coll.name}\" "
                                f"WHERE instr(doc, '[{{') OR instr(doc, ',{{')").fetchall()
            conn.executemany(f'UPDATE "{coll.name}" SET {ARRAYS_COLUMN} = ? WHERE rowid = ?',
                             [(array_marks(object_arrays(_loads(doc))[0]), rowid)
                              for rowid, doc in rows])

    @staticmethod
    def _ddl(coll: Collection) -> list[str]:
        cols = ["rowid INTEGER PRIMARY KEY", "id TEXT NOT NULL UNIQUE",
                "version INTEGER NOT NULL DEFAULT 1", "doc TEXT NOT NULL"]
        # Hot fields are plain columns that every write fills from the parsed
        # document: a generated column would make SQLite re-parse the JSON
        # once per index on every insert, which tripled the cost of a write.
        cols += _row_columns(coll)
        stmts = [f'CREATE TABLE IF NOT EXISTS "{coll.name}" ({", ".join(cols)})']
        for f in coll.hot_fields:
            stmts.append(f'CREATE INDEX IF NOT EXISTS "{coll.name}_{column_name(f)}" '
                         f'ON "{coll.name}" ({column_name(f)})')
        if coll.time_field in coll.hot_fields and len(coll.hot_fields) > 2:
            # Dashboards filter on time and group by hot fields: one covering
            # index answers them without reading the (large) JSON rows.
            cols = [column_name(coll.time_field)] + [
                column_name(f) for f in coll.hot_fields if f != coll.time_field]
            stmts.append(f'CREATE INDEX IF NOT EXISTS "{coll.name}_covering" '
                         f'ON "{coll.name}" ({", ".join(cols)})')
        if coll.text_fields:
            fts_cols = ", ".join(fts_column(f) for f in coll.text_fields)
            stmts.append(
                f'CREATE VIRTUAL TABLE IF NOT EXISTS "{coll.name}_fts" USING fts5('
                f"{fts_cols}, tokenize = 'unicode61 remove_diacritics 2')"
            )
        return stmts

    def status(self) -> dict[str, Any]:
        conn = self._conn()
        with self._errors("status"):
            counts = {name: conn.execute(f'SELECT COUNT(*) FROM "{name}"').fetchone()[0]
                      for name in COLLECTIONS}
            journal = conn.execute("PRAGMA journal_mode").fetchone()[0]
        return {
            "backend": self.backend,
            "path": str(self.path),
            "version": sqlite3.sqlite_version,
            "journal_mode": journal,
            "size_bytes": self.path.stat().st_size if self.path.exists() else 0,
            "collections": counts,
        }

    # -- writes ----------------------------------------------------------------
    def _prepare(self, coll: Collection, docs: Iterable[dict[str, Any]], result: BulkResult,
                 start: int) -> list[tuple[int, str, str, tuple[str, ...]]]:
        """Validate and serialise; rejected documents go to ``result.errors``."""
        rows = []
        for i, doc in enumerate(docs, start):
            doc, problems = prepare_document(coll, doc)
            doc_id = get_path(doc, coll.id_field) if isinstance(doc, dict) else None
            if problems:
                result.errors.append(DocumentError(i, doc_id if isinstance(doc_id, str) else None,
                                                   "; ".join(problems)))
                continue
            try:
                body = _dumps(doc)
            except (TypeError, ValueError, orjson.JSONEncodeError) as exc:
                result.errors.append(DocumentError(i, doc_id, f"not storable as JSON: {exc}"))
                continue
            # An object inside an array shows as "[{" or ",{" in compact JSON;
            # only such documents are walked for their arrays of objects
            # (stored in ARRAYS_COLUMN) and for fields with clashing shapes.
            marks = None
            if "[{" in body or ",{" in body:
                paths, conflicts = object_arrays(doc)
                if conflicts:
                    result.errors.append(DocumentError(i, doc_id, "; ".join(conflicts)))
                    continue
                marks = array_marks(paths)
            texts = tuple(self._text_of(doc, f) for f in coll.text_fields)
            hots = (*(get_path(doc, f) for f in coll.hot_fields), marks)
            rows.append((i, doc_id, body, texts, hots))
        return rows

    @staticmethod
    def _text_of(doc: dict[str, Any], field: str) -> str:
        value = get_path(doc, field)
        if value is None:
            return ""
        if isinstance(value, list):
            value = " ".join(str(v) for v in value)
        return fold(str(value))

    def bulk(self, name: str, docs: Iterable[dict[str, Any]], *, mode: str = "index",
             refresh: bool = False) -> BulkResult:
        """Validate and serialise batch k+1 here while the writer thread stores
        batch k: sqlite3 releases the GIL while SQLite works, so the Python
        half and the SQLite half of a big load overlap."""
        if mode not in ("index", "create"):
            raise QueryError(f"bulk mode must be index or create, got {mode!r}")
        coll = collection(name)
        result = BulkResult()
        pending: Future[None] | None = None
        start = 0
        try:
            for batch in batched(docs, BATCH):
                rows = self._prepare(coll, batch, result, start)
                start += len(batch)
                if pending is not None:
                    pending.result()
                pending = self._writer().submit(self._bulk_batch, coll, rows, mode, result)
        finally:
            if pending is not None:
                pending.result()
        return result

    def _writer(self) -> ThreadPoolExecutor:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(1, thread_name_prefix="canhgac-sqlite-writer")
        return self._executor

    def _bulk_batch(self, coll: Collection, rows: list[tuple], mode: str,
                    result: BulkResult) -> None:
        # Within one batch the same id may come twice: create keeps the
        # first, index the last, as the engine would.
        unique: dict[str, tuple[int, str, str, tuple[str, ...]]] = {}
        for row in rows:
            if row[1] in unique:
                if mode == "create":
                    result.existing += 1
                    continue
                result.written += 1  # replaced within the batch, as the engine counts it
            unique[row[1]] = row
        table = f'"{coll.name}"'
        hot_cols = "".join(f", {c}" for c in _row_columns(coll))
        hot_marks = ", ?" * len(_row_columns(coll))
        hot_sets = "".join(f", {c} = ?" for c in _row_columns(coll))
        with self._write(f"bulk into {coll.name}") as conn:
            ids = list(unique)
            existing: dict[str, int] = {}
            for k in range(0, len(ids), 500):
                part = ids[k:k + 500]
                marks = ", ".join("?" * len(part))
                existing.update(conn.execute(
                    f"SELECT id, rowid FROM {table} WHERE id IN ({marks})", part).fetchall())
            new = [r for i, r in unique.items() if i not in existing]
            old = [r for i, r in unique.items() if i in existing]
            top = conn.execute(f"SELECT COALESCE(MAX(rowid), 0) FROM {table}").fetchone()[0]
            conn.executemany(f"INSERT INTO {table} (id, doc{hot_cols}) VALUES (?, ?{hot_marks})",
                             [(r[1], r[2], *r[4]) for r in new])
            # Under the write lock new rows take max(rowid)+1, +2, ... in order;
            # check it rather than trust it, and look the rowids up if not.
            after = conn.execute(f"SELECT COALESCE(MAX(rowid), 0) FROM {table}").fetchone()[0]
            if after == top + len(new):
                new_rowids = {r[1]: top + k + 1 for k, r in enumerate(new)}
            else:  # pragma: no cover - only after rowid wrap-around
                new_rowids = dict(conn.execute(
                    f"SELECT id, rowid FROM {table} WHERE rowid > ?", (top,)).fetchall())
            if mode == "create":
                result.existing += len(old)
                old = []
            else:
                conn.executemany(f"UPDATE {table} SET doc = ?, version = version + 1{hot_sets} "
                                 f"WHERE id = ?", [(r[2], *r[4], r[1]) for r in old])
            result.written += len(new) + len(old)
            self._maybe_analyze(conn, coll, len(new))
            if coll.text_fields:
                self._index_text(conn, coll, new, new_rowids, old, existing)

    def _maybe_analyze(self, conn: sqlite3.Connection, coll: Collection, added: int) -> None:
        """Refresh the planner's statistics after large loads (sampled, so it
        costs milliseconds): without them SQLite misses the covering index."""
        self._since_analyze[coll.name] = self._since_analyze.get(coll.name, 0) + added
        if self._since_analyze[coll.name] >= ANALYZE_EVERY:
            conn.execute("PRAGMA analysis_limit = 400")
            conn.execute(f'ANALYZE "{coll.name}"')
            self._since_analyze[coll.name] = 0

    @staticmethod
    def _index_text(conn: sqlite3.Connection, coll: Collection, new: list,
                    new_rowids: dict[str, int], old: list, existing: dict[str, int]) -> None:
        fts = f'"{coll.name}_fts"'
        cols = ", ".join(fts_column(f) for f in coll.text_fields)
        marks = ", ".join("?" * len(coll.text_fields))
        insert = f"INSERT INTO {fts} (rowid, {cols}) VALUES (?, {marks})"
        if old:
            conn.executemany(f"DELETE FROM {fts} WHERE rowid = ?",
                             [(existing[r[1]],) for r in old])
            conn.executemany(insert, [(existing[r[1]], *r[3]) for r in old if any(r[3])])
        if new:
            conn.executemany(insert, [(new_rowids[r[1]], *r[3]) for r in new if any(r[3])])

    def get(self, name: str, doc_id: str) -> Document | None:
        coll = collection(name)
        with self._errors(f"get from {name}"):
            row = self._conn().execute(
                f'SELECT id, version, doc FROM "{coll.name}" WHERE id = ?', (doc_id,)).fetchone()
        return None if row is None else Document(row[0], _loads(row[2]), str(row[1]))

    def put(self, name: str, doc: dict[str, Any], *, if_version: str | None = None,
            refresh: bool = False) -> str:
        coll = collection(name)
        result = BulkResult()
        rows = self._prepare(coll, [doc], result, 0)
        if result.errors:
            raise InvalidDocument(result.errors[0].reason)
        _, doc_id, body, _texts, hots = rows[0]
        table = f'"{coll.name}"'
        hot_cols = "".join(f", {c}" for c in _row_columns(coll))
        hot_marks = ", ?" * len(_row_columns(coll))
        hot_sets = "".join(f", {c} = ?" for c in _row_columns(coll))
        with self._write(f"put into {name}") as conn:
            row = conn.execute(f"SELECT rowid, version FROM {table} WHERE id = ?",
                               (doc_id,)).fetchone()
            if if_version is not None:
                if row is None:
                    raise NotFound(f"{name}/{doc_id} does not exist")
                if str(row[1]) != str(if_version):
                    raise ConflictError(f"{name}/{doc_id} changed: version {row[1]}, "
                                        f"expected {if_version}")
            if row is None:
                cur = conn.execute(f"INSERT INTO {table} (id, doc{hot_cols}) "
                                   f"VALUES (?, ?{hot_marks})", (doc_id, body, *hots))
                rowid, version = cur.lastrowid, 1
            else:
                rowid, version = row[0], row[1] + 1
                conn.execute(f"UPDATE {table} SET doc = ?, version = ?{hot_sets} WHERE rowid = ?",
                             (body, version, *hots, rowid))
            if coll.text_fields:
                self._index_text(conn, coll, [], {}, [rows[0]], {doc_id: rowid})
        return str(version)

    def delete(self, name: str, doc_id: str, *, refresh: bool = False) -> bool:
        coll = collection(name)
        with self._write(f"delete from {name}") as conn:
            row = conn.execute(f'SELECT rowid FROM "{coll.name}" WHERE id = ?',
                               (doc_id,)).fetchone()
            if row is None:
                return False
            if coll.text_fields:
                conn.execute(f'DELETE FROM "{coll.name}_fts" WHERE rowid = ?', (row[0],))
            conn.execute(f'DELETE FROM "{coll.name}" WHERE rowid = ?', (row[0],))
        return True

    def delete_by_query(self, name: str, query: Query, *, batch: int = 5000) -> int:
        """Delete in batches of ``batch`` rows, one short transaction each, so a
        retention run never holds the write lock for long."""
        coll = collection(name)
        where, params = self._compilers[name].where(query)
        total = 0
        while True:
            with self._write(f"delete from {name}") as conn:
                rowids = [r[0] for r in conn.execute(
                    f'SELECT rowid FROM "{coll.name}" WHERE {where} LIMIT ?',
                    [*params, batch]).fetchall()]
                if not rowids:
                    return total
                if coll.text_fields:
                    conn.executemany(f'DELETE FROM "{coll.name}_fts" WHERE rowid = ?',
                                     [(r,) for r in rowids])
                conn.executemany(f'DELETE FROM "{coll.name}" WHERE rowid = ?',
                                 [(r,) for r in rowids])
                total += len(rowids)

    # -- reads -----------------------------------------------------------------
    def search(self, name: str, query: Query | None = None, *, sort: list[Sort] | None = None,
               size: int = 100, cursor: str | None = None) -> SearchPage:
        coll = collection(name)
        if not 0 <= size <= MAX_PAGE:
            raise QueryError(f"size must be between 0 and {MAX_PAGE}")
        comp = self._compilers[name]
        where, params = comp.where(query)
        atoms, order, order_params = comp.order(sort)
        page_where, page_params = where, list(params)
        if cursor:
            after, after_params = comp.after(atoms, decode_cursor(cursor))
            page_where = f"({where}) AND {after}"
            page_params += after_params
        select = ", ".join(e for e, _, _ in atoms)
        select_params = [x for _, p, _ in atoms for x in p]
        sql = (f'SELECT id, version, doc, {select} FROM "{coll.name}" WHERE {page_where} '
               f"ORDER BY {order} LIMIT ?")
        conn = self._conn()
        with self._errors(f"search {name}"):
            rows = conn.execute(sql, [*select_params, *page_params, *order_params, size]).fetchall()
            total = conn.execute(f'SELECT COUNT(*) FROM "{coll.name}" WHERE {where}',
                                 params).fetchone()[0]
        hits = [Document(r[0], _loads(r[2]), str(r[1])) for r in rows]
        next_cursor = None
        if rows and len(rows) == size:
            next_cursor = encode_cursor(list(rows[-1][3:]))
        return SearchPage(hits, total, next_cursor)

    def count(self, name: str, query: Query | None = None) -> int:
        coll = collection(name)
        where, params = self._compilers[name].where(query)
        with self._errors(f"count {name}"):
            return self._conn().execute(
                f'SELECT COUNT(*) FROM "{coll.name}" WHERE {where}', params).fetchone()[0]

    def search_native(self, name: str, native: Any, *, size: int = 100,
                      sort: list[Sort] | None = None) -> list[Document]:
        """``native`` is an SQL boolean expression over the collection table
        (columns ``id``, ``doc`` and the hot columns), or ``(sql, params)``."""
        coll = collection(name)
        sql, params = (native, []) if isinstance(native, str) else native
        _, order, order_params = self._compilers[name].order(sort)
        with self._errors(f"native query on {name}"):
            rows = self._conn().execute(
                f'SELECT id, version, doc FROM "{coll.name}" WHERE ({sql}) ORDER BY {order} '
                f"LIMIT ?", [*params, *order_params, size]).fetchall()
        return [Document(r[0], _loads(r[2]), str(r[1])) for r in rows]

    # -- aggregations ----------------------------------------------------------
    def aggregate(self, name: str, aggs: dict[str, Agg],
                  query: Query | None = None) -> dict[str, Any]:
        coll = collection(name)
        where, params = self._compilers[name].where(query)
        conn = self._conn()
        out: dict[str, Any] = {}
        with self._errors(f"aggregate {name}"):
            for key, agg in aggs.items():
                out[key] = self._agg(conn, coll, agg, where, params)
        return out

    def _values_source(self, coll: Collection, field: str) -> tuple[str, str, list[Any]]:
        """``(from_clause, value_expr, params)`` yielding every value of a field."""
        if coll.kind(field) == TEXT:
            raise QueryError(f"{field} is a full-text field; it cannot be aggregated")
        table = f'"{coll.name}"'
        if field == coll.id_field or field in coll.hot_fields:
            col = "id" if field == coll.id_field else column_name(field)
            return table, col, []
        source, params = values_source(field, table)
        return f"{table}, {source} AS je", "je.value", params

    def _agg(self, conn: sqlite3.Connection, coll: Collection, agg: Agg, where: str,
             params: list[Any]) -> Any:
        source, value, sparams = self._values_source(coll, agg.field)
        kind = coll.kind(agg.field)
        base = f"FROM {source} WHERE ({where}) AND {value} IS NOT NULL"
        args = [*sparams, *params]
        # One row per document for a column; one per value for json_each, where
        # a value repeated in an array must still count its document once.
        distinct_row = "COUNT(*)" if not sparams else f'COUNT(DISTINCT "{coll.name}".rowid)'
        match agg:
            case TermsAgg(size=size):
                rows = conn.execute(
                    f"SELECT {value}, {distinct_row} AS n {base} "
                    f"GROUP BY {value} ORDER BY n DESC, {value} ASC LIMIT ?",
                    [*args, size]).fetchall()
                return [{"key": typed_value(kind, k), "count": n} for k, n in rows]
            case Cardinality():
                return conn.execute(f"SELECT COUNT(DISTINCT {value}) {base}", args).fetchone()[0]
            case Min() | Max() | Avg():
                fn = type(agg).__name__.upper()
                if kind == DATE and fn == "AVG":
                    raise QueryError(f"avg of the date field {agg.field} is not supported")
                result = conn.execute(f"SELECT {fn}({value}) {base}", args).fetchone()[0]
                if result is None or isinstance(result, str):
                    return result  # dates and keywords: the lowest/highest text
                return float(result)
            case DateHistogram(interval=interval, offset=offset):
                if kind not in (DATE, None):
                    raise QueryError(f"date_histogram needs a date field, {agg.field} is {kind}")
                step, shift = interval_seconds(interval), offset_seconds(offset)
                bucket = f"(((unixepoch({value}) + {shift}) / {step}) * {step} - {shift})"
                rows = conn.execute(
                    f"SELECT {bucket} AS b, {distinct_row} {base} GROUP BY b ORDER BY b",
                    args).fetchall()
                return _fill_buckets(rows, step)
        raise QueryError(f"unknown aggregation {agg!r}")


def _row_columns(coll: Collection) -> list[str]:
    """The columns every write fills besides ``id`` and ``doc``, in the order
    of the values ``_prepare`` gives: the hot fields, then ``ARRAYS_COLUMN``."""
    return [*(column_name(f) for f in coll.hot_fields), ARRAYS_COLUMN]


def _fill_buckets(rows: list[tuple[int, int]], step: int) -> list[dict[str, Any]]:
    """Empty buckets between the first and last, as the engine returns them."""
    from datetime import UTC, datetime

    if not rows:
        return []
    counts = dict(rows)
    first, last = rows[0][0], rows[-1][0]
    return [
        {"key": format_timestamp(datetime.fromtimestamp(t, tz=UTC)), "count": counts.get(t, 0)}
        for t in range(first, last + step, step)
    ]
