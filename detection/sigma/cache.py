"""On-disk cache of converted rules, so a worker (or a hunt) does not pay
pySigma's conversion of thousands of rules at every start.

One JSON file per (backend, Windows pipeline, code version) holds, per rule,
the ``CompiledRule`` fields under a key made of the rule id and the SHA-256 of
the rule as parsed (``SigmaRule.to_dict()``, cheap next to a conversion): an
edited file, or a rule changed in memory, is converted again.
The code version digests the versions of pySigma and its backend/pipeline
packages and the source of our pipelines and converter, so upgrading either
or editing our pipelines starts a fresh file.  Writes are atomic (temporary
file + rename); a corrupt or unreadable file is ignored (converted again).

Location: ``$CANHGAC_SIGMA_CACHE`` (``off`` disables the cache), else
``$XDG_CACHE_HOME/canhgac/sigma`` (``~/.cache/canhgac/sigma``).
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import tempfile
from dataclasses import asdict
from importlib import metadata
from pathlib import Path
from typing import Any

import orjson

PACKAGES = ("pySigma", "pySigma-backend-sqlite", "pySigma-backend-opensearch",
            "pySigma-backend-elasticsearch", "pysigma-pipeline-sysmon",
            "pysigma-pipeline-windows")
_CODE = ("pipelines.py", "convert.py", "cache.py", "prefilter.py")
log = logging.getLogger(__name__)


def cache_dir() -> Path | None:
    """Where converted rules are kept, None when caching is off."""
    env = os.environ.get("CANHGAC_SIGMA_CACHE")
    if env:
        return None if env.lower() in ("off", "0", "no", "false") else Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "canhgac" / "sigma"


@functools.lru_cache(maxsize=1)
def code_version() -> str:
    """Digest of everything a conversion's output depends on besides the rule."""
    h = hashlib.sha256()
    for pkg in PACKAGES:
        try:
            h.update(f"{pkg}={metadata.version(pkg)};".encode())
        except metadata.PackageNotFoundError:
            h.update(f"{pkg}=-;".encode())
    here = Path(__file__).parent
    for name in _CODE:
        h.update((here / name).read_bytes())
    return h.hexdigest()[:16]


def rule_digest(rule: Any) -> str | None:
    """SHA-256 of a parsed rule's content, None when it cannot be serialised."""
    try:
        return hashlib.sha256(orjson.dumps(rule.to_dict(), default=str,
                                           option=orjson.OPT_SORT_KEYS)).hexdigest()
    except Exception:  # a rule pySigma cannot write back: convert it every time
        return None


class ConversionCache:
    """Converted rules of one backend and Windows pipeline, keyed per rule."""

    def __init__(self, backend: str, windows: str, folder: Path | None = None) -> None:
        self.folder = folder if folder is not None else cache_dir()
        self.entries: dict[str, dict[str, Any]] = {}
        self.dirty = False
        self.hits = 0
        self.path = (self.folder / f"{backend}-{windows}-{code_version()}.json"
                     if self.folder is not None else None)
        if self.path is not None and self.path.is_file():
            try:
                data = orjson.loads(self.path.read_bytes())
                if isinstance(data, dict):
                    self.entries = data
            except (OSError, orjson.JSONDecodeError):
                self.entries = {}

    def key(self, rule_id: str, rule: Any) -> str | None:
        if self.path is None:
            return None
        digest = rule_digest(rule)
        return f"{rule_id}:{digest}" if digest else None

    def get(self, key: str | None) -> dict[str, Any] | None:
        if key is None:
            return None
        got = self.entries.get(key)
        if got is not None:
            self.hits += 1
        return got

    def put(self, key: str | None, compiled: Any) -> None:
        if key is None:
            return
        self.entries[key] = asdict(compiled)
        self.dirty = True

    def save(self) -> None:
        """Write the cache (atomically) when something new was converted."""
        if not self.dirty or self.path is None:
            return
        tmp = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".tmp-", suffix=".json")
            with os.fdopen(fd, "wb") as fh:
                fh.write(orjson.dumps(self.entries))
            os.replace(tmp, self.path)
            tmp = None
            self.dirty = False
        except OSError as exc:  # only costs the next start a conversion
            log.warning("sigma conversion cache not written to %s: %s", self.path, exc)
        finally:
            if tmp is not None:
                Path(tmp).unlink(missing_ok=True)
