"""Errors raised by the store, whatever the backend.

StoreError
 ├── StoreUnavailable      the backend cannot be reached (engine down, file locked too long)
 ├── StoreAuthError        the engine refused our credentials
 ├── StoreVersionError     the engine is not a product/version we support
 ├── ConflictError         optimistic concurrency: the document changed since it was read
 ├── NotFound              no document with that id
 ├── InvalidDocument       a document that cannot be stored (missing id, wrong types)
 └── QueryError            a query or aggregation we cannot run (unknown field kind, bad value)

Backends map their client's exceptions (sqlite3, opensearch-py, elasticsearch)
to these at the boundary, chained with ``from exc``, so callers handle one family.
"""

from __future__ import annotations


class StoreError(Exception):
    """Root of every error the store raises."""


class StoreUnavailable(StoreError):
    """The backend cannot be reached; the operation may be retried later."""


class StoreAuthError(StoreError):
    """The backend refused the credentials it was given."""


class StoreVersionError(StoreError):
    """The backend answered, but it is not a product or version we support."""


class ConflictError(StoreError):
    """A write carried a version that no longer matches the stored document."""


class NotFound(StoreError):
    """No document with the requested id exists in the collection."""


class InvalidDocument(StoreError):
    """A single-document write was refused; the message lists every reason."""


class QueryError(StoreError):
    """The query, sort or aggregation cannot be run as asked."""
