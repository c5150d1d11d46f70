"""Embedded SQLite backend of the store."""

from store.sqlite.backend import SQLiteStore

__all__ = ["SQLiteStore"]
