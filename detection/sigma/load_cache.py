"""Parse rule files fast, and keep what was parsed on disk, so a worker (or a
hunt) does not pay YAML parsing of thousands of rules at every start.

Parsing: pySigma's ``SigmaCollection.from_yaml`` uses PyYAML's pure-Python
``safe_load_all`` (about 85 % of loading the SigmaHQ Windows rules). We parse
with libyaml's ``CSafeLoader`` (same constructor, so the same Python values)
and hand the documents to ``SigmaCollection.from_dicts``, which is what
``from_yaml`` does with them. When libyaml refuses a file (or is absent), the
file is parsed again by the pure-Python loader, so a broken file is reported
with exactly the message and line it had before.

Cache: the parsed YAML documents of each file (plain data: dicts, lists,
strings, numbers, dates), keyed by the SHA-256 of the file's text. The text is
read at every load anyway (the loader needs it for line numbers), and the
parse depends on nothing else, so an edited file, wherever it lives and
whatever its mtime, is parsed again. pySigma's objects are not cached: they
unpickle no faster than ``from_dicts`` builds them, and would tie the cache to
their internals. One pickle file per cache version (``VERSION`` below, PyYAML
and pySigma versions, whether libyaml is used) in the conversion cache's
folder (``detection.sigma.cache.cache_dir``: ``$CANHGAC_SIGMA_CACHE``, ``off``
disables both). It is read with an unpickler that refuses every class but the
``datetime`` ones YAML produces, so the file can hold data only, never code.
A corrupt file or entry is ignored (the file is parsed again); writes are
atomic (temporary file + rename) and happen only when something was parsed
or a used entry's stamp is old; entries unused for ``KEEP_DAYS`` are dropped.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import io
import logging
import os
import pickle
import tempfile
import time
from importlib import metadata
from pathlib import Path
from typing import Any

import yaml

from detection.sigma.cache import cache_dir

VERSION = 1  # bump when what is cached, or how it is parsed, changes
KEEP_DAYS = 30  # an entry unused for this long is dropped at the next write
_REFRESH_DAYS = 7  # rewrite (to refresh stamps) when a used entry is this old
_DATETIME_CLASSES = frozenset({"date", "datetime", "time", "timezone", "timedelta"})
log = logging.getLogger(__name__)


def parse_yaml(text: str) -> list[Any]:
    """Every YAML document of a rule file, as ``yaml.safe_load_all`` gives them.

    libyaml's parser with PyYAML's safe constructor when available; on any
    failure there, the pure-Python loader decides (and raises its own error)."""
    loader = getattr(yaml, "CSafeLoader", None)
    if loader is not None:
        try:
            return list(yaml.load_all(text, Loader=loader))
        except Exception:  # the pure loader below decides, and reports it as pySigma would
            log.debug("libyaml refused a rule file; parsing it with PyYAML's pure loader")
    return list(yaml.safe_load_all(text))


@functools.lru_cache(maxsize=1)
def cache_version() -> str:
    """Digest of everything the cached documents depend on besides the text."""
    parts = [f"v{VERSION}", f"libyaml={getattr(yaml, '__with_libyaml__', False)}"]
    for pkg in ("PyYAML", "pySigma"):
        try:
            parts.append(f"{pkg}={metadata.version(pkg)}")
        except metadata.PackageNotFoundError:
            parts.append(f"{pkg}=-")
    return hashlib.sha256(";".join(parts).encode()).hexdigest()[:16]


class _DataUnpickler(pickle.Unpickler):
    """Unpickles plain data only: the one kind of class YAML's safe loader
    builds (dates and times) is allowed, anything else is refused."""

    def find_class(self, module: str, name: str) -> Any:
        if module == "datetime" and name in _DATETIME_CLASSES:
            return getattr(dt, name)
        raise pickle.UnpicklingError(f"{module}.{name} is not allowed in the load cache")


def _loads(data: bytes) -> Any:
    return _DataUnpickler(io.BytesIO(data)).load()


def _today() -> int:
    return int(time.time() // 86400)


class LoadCache:
    """Parsed YAML documents of rule files, keyed by the SHA-256 of their text."""

    def __init__(self, folder: Path | None = None, *, enabled: bool = True) -> None:
        self.folder = (folder if folder is not None else cache_dir()) if enabled else None
        self.path = (self.folder / f"load-{cache_version()}.pickle"
                     if self.folder is not None else None)
        # digest -> (day last used, pickled documents); kept pickled so that
        # pySigma, which edits the dicts it is given, never changes an entry.
        self.entries: dict[str, tuple[int, bytes]] = {}
        self.used: set[str] = set()
        self.dirty = False
        self.hits = 0
        if self.path is not None and self.path.is_file():
            try:
                data = _loads(self.path.read_bytes())
            except Exception as exc:  # any damage: start empty, parse again
                log.info("sigma load cache %s ignored: %s", self.path, exc)
                data = None
            if isinstance(data, dict):
                self.entries = {k: v for k, v in data.items()
                                if isinstance(k, str) and isinstance(v, tuple) and len(v) == 2
                                and isinstance(v[0], int) and isinstance(v[1], bytes)}

    def documents(self, text: str) -> list[Any]:
        """The YAML documents of ``text``: from the cache when this very text
        was parsed before, else parsed (raising the parser's error) and kept."""
        if self.path is None:
            return parse_yaml(text)
        key = hashlib.sha256(text.encode()).hexdigest()
        self.used.add(key)
        entry = self.entries.get(key)
        if entry is not None:
            try:
                docs = _loads(entry[1])
            except Exception:  # a broken entry: parse the file again
                docs = None
            if isinstance(docs, list):
                self.hits += 1
                return docs
        docs = parse_yaml(text)  # a file that does not parse is not cached
        try:
            self.entries[key] = (_today(), pickle.dumps(docs, protocol=pickle.HIGHEST_PROTOCOL))
            self.dirty = True
        except Exception as exc:  # unpicklable value: parse it every time
            self.entries.pop(key, None)
            log.debug("sigma load cache: documents not cached: %s", exc)
        return docs

    def save(self) -> None:
        """Write the cache (atomically) when something was parsed or a used
        entry's stamp is old; drop entries unused for ``KEEP_DAYS``."""
        if self.path is None:
            return
        today = _today()
        stale = any(today - self.entries[k][0] >= _REFRESH_DAYS
                    for k in self.used if k in self.entries)
        if not (self.dirty or stale):
            return
        keep = {k: ((today, v[1]) if k in self.used else v) for k, v in self.entries.items()
                if k in self.used or today - v[0] < KEEP_DAYS}
        tmp = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".tmp-", suffix=".pickle")
            with os.fdopen(fd, "wb") as fh:
                pickle.dump(keep, fh, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, self.path)
            tmp = None
            self.entries, self.dirty = keep, False
        except OSError as exc:  # only costs the next start a parse
            log.warning("sigma load cache not written to %s: %s", self.path, exc)
        finally:
            if tmp is not None:
                Path(tmp).unlink(missing_ok=True)
