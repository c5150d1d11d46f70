"""Publication times: parsed from pages, feeds and APIs, stored in UTC.

A date without a time or zone is taken as local (Asia/Ho_Chi_Minh, UTC+7):
that is how the city's press dates its pages.
"""

from __future__ import annotations

import calendar
import time
from datetime import UTC, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from typing import Any

LOCAL = timezone(timedelta(hours=7), "ICT")


def parse_when(value: Any) -> datetime | None:
    """A datetime in UTC from ISO 8601, RFC 822, a ``time.struct_time`` (UTC, as
    feedparser gives), epoch seconds or a datetime; None when unparseable."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        dt = value
    elif isinstance(value, time.struct_time):
        return datetime.fromtimestamp(calendar.timegm(value), UTC)
    elif isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return datetime.fromtimestamp(float(value), UTC)
        except (OverflowError, OSError, ValueError):
            return None
    elif isinstance(value, str):
        dt = _parse_text(value.strip())
        if dt is None:
            return None
    else:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=LOCAL)
    return dt.astimezone(UTC)


def _parse_text(text: str) -> datetime | None:
    iso = text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text
    try:
        return datetime.fromisoformat(iso)
    except ValueError:
        pass
    try:
        return parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        pass
    for fmt in ("%d/%m/%Y %H:%M", "%d/%m/%Y", "%H:%M %d/%m/%Y", "%Y-%m-%d %H:%M:%S"):
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            continue
    return None


def utc_now() -> datetime:
    return datetime.now(UTC)
