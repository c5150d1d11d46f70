"""The printable daily report: the overview's figures as one self-contained HTML page."""

from __future__ import annotations

from datetime import UTC, datetime
from html import escape
from typing import Any

from ui.i18n import duration, number, t, when
from ui.shaping import asset_rows, open_by_severity, trend


def _row(label: str, value: str) -> str:
    return f"<tr><th>{escape(label)}</th><td>{escape(value)}</td></tr>"


def daily_report(summary: dict[str, Any], now: datetime | None = None) -> str:
    """HTML for printing (A4, no scripts) in the current language."""
    now = now or datetime.now(UTC)
    opened = summary.get("open_incidents") or {}
    sev = "".join(_row(t(f"sev_{s}"), number(n)) for s, n in
                  open_by_severity(opened.get("by_severity") or {}))
    wow = []
    for key, change in (summary.get("week_over_week") or {}).items():
        arrow, _ = trend(change)
        pct = change.get("change_pct")
        wow.append(_row(t(f"wow_{key}"), f"{number(change.get('current'))} {arrow} "
                        f"({number(pct) + ' %' if pct is not None else '–'})"))
    stories = "".join(
        f"<li>{escape(str(s.get('title') or s.get('story_id')))} "
        f"({number(s.get('articles'))} · {escape(', '.join(s.get('outlets') or []))})</li>"
        for s in summary.get("top_stories") or [])
    assets = "".join(_row(r["key"], number(r["count"]))
                     for r in asset_rows(summary.get("top_assets") or {}))
    assets_part = (f"<h2>{escape(t('top_assets'))}</h2><table>{assets}</table>"
                   if assets else "")
    mtta = (summary.get("mtta") or {}).get("mean_seconds")
    mttr = (summary.get("mttr") or {}).get("mean_seconds")
    senti = (summary.get("sentiment_index") or {}).get("current")
    return f"""<!doctype html>
<html lang="{t('html_lang')}"><head><meta charset="utf-8">
<title>{escape(t('report_title'))}</title>
<style>body{{font-family:sans-serif;margin:2cm}}table{{border-collapse:collapse}}
th,td{{border:1px solid #999;padding:4px 10px;text-align:left}}@page{{size:A4}}</style>
</head><body>
<h1>{escape(t('report_title'))}</h1>
<p>{escape(t('report_generated', at=when(now)))}</p>
<h2>{escape(t('open_incidents'))}: {number(opened.get('total') or 0)}</h2>
<table>{sev}</table>
<h2>{escape(t('response_times'))}</h2>
<table>{_row(t('mtta'), duration(mtta))}{_row(t('mttr'), duration(mttr))}
{_row(t('sentiment_index'), number(senti))}</table>
<h2>{escape(t('week_over_week'))}</h2><table>{''.join(wow)}</table>
<h2>{escape(t('top_stories'))}</h2><ol>{stories}</ol>
{assets_part}
<p>{escape(t('sentiment_index_help'))}</p>
</body></html>"""
