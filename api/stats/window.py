"""The time window of a statistics request and its buckets.

Buckets follow the city's clock: a day starts at midnight in Asia/Ho_Chi_Minh
(UTC+07:00 all year: Vietnam has no daylight saving), so the store's date
histogram gets that fixed offset.  The store only returns buckets between the
first and the last document; charts want every bucket of the window, so
``fill`` adds the empty ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import Field

from api.errors import BadRequest
from api.models import Strict
from store.query import DateHistogram, Range, interval_seconds
from store.schema import format_timestamp, parse_timestamp

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
MAX_SPAN = timedelta(days=366)
MAX_BUCKETS = 2000
Interval = Literal["1h", "3h", "6h", "12h", "1d"]


class RangeQuery(Strict):
    """A window: the last ``days`` days, or ``since``/``until`` when given."""

    days: int = Field(default=7, ge=1, le=90,
                      description="window length when since is not given; compared with the "
                                  "window of the same length before it")
    since: datetime | None = Field(default=None, description="from this instant (inclusive)",
                                   examples=["2026-11-19T00:00:00+07:00"])
    until: datetime | None = Field(default=None, description="until this instant (exclusive); "
                                                             "default now")


class SeriesQuery(RangeQuery):
    interval: Interval = Field(default="1d", description="bucket length; days start at "
                                                         "midnight Asia/Ho_Chi_Minh")


def local_offset(at: datetime) -> str:
    """``+07:00``: the city's UTC offset at ``at``, as the store's histogram wants it."""
    off = LOCAL_TZ.utcoffset(at.replace(tzinfo=None)) or timedelta(0)
    minutes = int(off.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def bucket_start(at: datetime, interval: str) -> datetime:
    """The start of the bucket holding ``at`` (buckets aligned on local midnight)."""
    step = interval_seconds(interval)
    shift = int((LOCAL_TZ.utcoffset(at.replace(tzinfo=None)) or timedelta(0)).total_seconds())
    return datetime.fromtimestamp(((int(at.timestamp()) + shift) // step) * step - shift, UTC)


@dataclass(frozen=True)
class Window:
    """``[since, until)`` in UTC, with the bucket length used for series."""

    since: datetime
    until: datetime
    interval: str = "1d"

    @property
    def offset(self) -> str:
        return local_offset(self.until)

    @property
    def previous(self) -> Window:
        """The window of the same length just before this one (week over week)."""
        span = self.until - self.since
        return Window(self.since - span, self.since, self.interval)

    def range(self, field: str = "@timestamp") -> Range:
        return Range(field, gte=format_timestamp(self.since), lt=format_timestamp(self.until))

    def histogram(self, field: str = "@timestamp") -> DateHistogram:
        return DateHistogram(field, self.interval, self.offset)

    def bucket_starts(self) -> list[datetime]:
        """Every bucket start from the one holding ``since`` to the one holding ``until``."""
        step = interval_seconds(self.interval)
        first = int(bucket_start(self.since, self.interval).timestamp())
        last = int(self.until.timestamp()) - 1
        return [datetime.fromtimestamp(t, UTC) for t in range(first, last + 1, step)]

    def fill(self, buckets: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The store's ``[{key, count}]`` with every bucket of the window present."""
        counts: dict[datetime, int] = {}
        for b in buckets:
            at = parse_timestamp(b["key"])
            counts[at] = counts.get(at, 0) + int(b["count"])
        return [{"key": format_timestamp(at), "count": counts.get(at, 0)}
                for at in self.bucket_starts()]

    def as_dict(self) -> dict[str, Any]:
        return {"since": format_timestamp(self.since), "until": format_timestamp(self.until),
                "interval": self.interval, "offset": self.offset}


def resolve(q: RangeQuery, *, now: datetime | None = None, interval: str = "1d",
            align: bool = True) -> Window:
    """The window a request asks for.

    Without ``since``: the last ``days`` days ending now; ``align`` starts it
    on a bucket boundary so ``days=7`` with daily buckets is today and the
    six days before it, each bucket a whole local day (today still running).
    """
    until = _aware(q.until) if q.until else (now or datetime.now(UTC))
    if q.since is not None:
        since = _aware(q.since)
    elif align:
        step = timedelta(seconds=interval_seconds(interval))
        n = max(1, int(timedelta(days=q.days) / step))
        since = bucket_start(until - timedelta(microseconds=1), interval) - (n - 1) * step
    else:
        since = until - timedelta(days=q.days)
    if since >= until:
        raise BadRequest("since must be before until", code="bad_window")
    if until - since > MAX_SPAN:
        raise BadRequest("a window spans at most 366 days", code="bad_window")
    window = Window(since.astimezone(UTC), until.astimezone(UTC), interval)
    if (until - since).total_seconds() / interval_seconds(interval) > MAX_BUCKETS:
        raise BadRequest(f"more than {MAX_BUCKETS} buckets: pick a longer interval",
                         code="too_many_buckets")
    return window
