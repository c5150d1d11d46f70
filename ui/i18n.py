"""Labels, dates and numbers in the user's language (Vietnamese by default).

Every label a page shows comes from ``ui.translations.TABLES`` through ``t``;
a test scans the pages for ``t("...")`` keys and checks both tables hold them.
Numbers use Babel's locale rules; dates are shown in Asia/Ho_Chi_Minh.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from babel.numbers import format_decimal

from ui.translations import TABLES

LANGUAGES = ("vi", "en")
DEFAULT = "vi"
LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
_state: dict[str, str] = {"lang": DEFAULT}


def set_language(lang: str) -> None:
    """Choose the language of the labels for this script run."""
    _state["lang"] = lang if lang in LANGUAGES else DEFAULT


def language() -> str:
    return _state["lang"]


def t(key: str, lang: str | None = None, **values: Any) -> str:
    """The label for ``key``; a missing key shows itself (and the test catches it)."""
    table = TABLES[lang or _state["lang"]]
    text = table.get(key, TABLES[DEFAULT].get(key, key))
    return text.format(**values) if values else text


def topic(key: str, lang: str | None = None) -> str:
    """A topic's label; a topic the tables do not know shows its own name."""
    label = t(f"topic_{key}", lang)
    return key if label == f"topic_{key}" else label


def number(value: float | int | None, lang: str | None = None, digits: int = 1) -> str:
    """``1234.5`` → ``1.234,5`` (vi) or ``1,234.5`` (en); None → an en dash."""
    if value is None:
        return "–"
    pattern = "#,##0" if isinstance(value, int) or digits == 0 else "#,##0." + "#" * digits
    return format_decimal(value, format=pattern, locale=lang or _state["lang"])


def parse_time(value: str | datetime | None) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    try:
        dt = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def when(value: str | datetime | None, lang: str | None = None, seconds: bool = False) -> str:
    """A stored UTC instant shown in Cần Thơ time: ``26/11/2026 15:04`` (vi), ``2026-11-26 15:04`` (en)."""
    dt = parse_time(value)
    if dt is None:
        return "–"
    local = dt.astimezone(LOCAL_TZ)
    clock = "%H:%M:%S" if seconds else "%H:%M"
    fmt = f"%d/%m/%Y {clock}" if (lang or _state["lang"]) == "vi" else f"%Y-%m-%d {clock}"
    return local.strftime(fmt)


def duration(seconds: float | None, lang: str | None = None) -> str:
    """``5400`` → ``1,5 giờ`` / ``1.5 h``; minutes below an hour, days above two."""
    if seconds is None:
        return "–"
    if seconds < 3600:
        return t("unit_minutes", lang, n=number(seconds / 60, lang))
    if seconds < 2 * 86400:
        return t("unit_hours", lang, n=number(seconds / 3600, lang))
    return t("unit_days", lang, n=number(seconds / 86400, lang))
