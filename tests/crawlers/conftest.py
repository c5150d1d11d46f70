"""Fixtures of the crawler tests: a loopback fixture server per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.crawlers.server import FixtureServer


@pytest.fixture
def server() -> Iterator[FixtureServer]:
    with FixtureServer() as srv:
        yield srv
