"""Plotly figures with the same colours for severity and sentiment on every page,
and a large-font mode for the operations centre's wall screen."""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go

SEVERITY_COLOURS = {"critical": "#7f1d1d", "high": "#dc2626", "medium": "#f59e0b",
                    "low": "#3b82f6", "informational": "#9ca3af"}
SENTIMENT_COLOURS = {"negative": "#dc2626", "neutral": "#9ca3af", "positive": "#16a34a"}
DOMAIN_COLOURS = {"security": "#1d4ed8", "reputation": "#a21caf"}
_font = {"size": 13}


def set_large(large: bool) -> None:
    _font["size"] = 22 if large else 13


def _layout(fig: go.Figure, height: int) -> go.Figure:
    fig.update_layout(height=height, margin={"l": 10, "r": 10, "t": 10, "b": 10},
                      font={"size": _font["size"]}, legend={"orientation": "h", "y": -0.2},
                      bargap=0.15)
    # labels are already formatted for the language (local days, Cần Thơ time):
    # show them as they are, not re-parsed into Plotly's English date axis
    fig.update_xaxes(type="category")
    return fig


def bars(labels: list[str], values: list[float], colours: list[str], height: int = 220,
         horizontal: bool = False) -> go.Figure:
    if horizontal:
        fig = _layout(go.Figure(go.Bar(y=labels, x=values, orientation="h",
                                       marker_color=colours)), height)
        return fig.update_xaxes(type="linear").update_yaxes(type="category")
    return _layout(go.Figure(go.Bar(x=labels, y=values, marker_color=colours)), height)


def stacked(rows: list[dict[str, Any]], x: str, group: str, y: str,
            names: dict[str, str], colours: dict[str, str], height: int = 220) -> go.Figure:
    fig = go.Figure()
    for key in dict.fromkeys(r[group] for r in rows):
        sub = [r for r in rows if r[group] == key]
        fig.add_bar(x=[r[x] for r in sub], y=[r[y] for r in sub], name=names.get(key, key),
                    marker_color=colours.get(key))
    fig.update_layout(barmode="stack")
    return _layout(fig, height)


def line(xs: list[Any], ys: list[Any], name: str, colour: str = "#1d4ed8",
         height: int = 220, y_range: tuple[float, float] | None = None) -> go.Figure:
    fig = go.Figure(go.Scatter(x=xs, y=ys, mode="lines+markers", name=name,
                               line={"color": colour}, connectgaps=False))
    if y_range is not None:
        fig.update_yaxes(range=list(y_range))
    return _layout(fig, height)


def donut(labels: list[str], values: list[int], colours: list[str], height: int = 220) -> go.Figure:
    return _layout(go.Figure(go.Pie(labels=labels, values=values, hole=0.5,
                                    marker={"colors": colours})), height)


def severity_hbars(labels: list[str], by_severity: list[dict[str, int]],
                   names: dict[str, str], height: int = 220) -> go.Figure:
    """One horizontal bar per label (first on top), stacked by severity in
    the severity colours, most severe first."""
    fig = go.Figure()
    for sev in ("critical", "high", "medium", "low", "informational"):
        values = [b.get(sev, 0) for b in by_severity]
        if any(values):
            fig.add_bar(y=labels[::-1], x=values[::-1], orientation="h", name=names.get(sev, sev),
                        marker_color=SEVERITY_COLOURS[sev])
    fig.update_layout(barmode="stack")
    return _layout(fig, height).update_xaxes(type="linear").update_yaxes(type="category")


def lines(rows: list[dict[str, Any]], x: str, group: str, y: str, height: int = 220,
          y_range: tuple[float, float] | None = None) -> go.Figure:
    """One line per ``group`` value (a gap where ``y`` is None)."""
    fig = go.Figure()
    for key in dict.fromkeys(r[group] for r in rows):
        sub = [r for r in rows if r[group] == key]
        fig.add_scatter(x=[r[x] for r in sub], y=[r[y] for r in sub], mode="lines+markers",
                        name=str(key), connectgaps=False)
    if y_range is not None:
        fig.update_yaxes(range=list(y_range))
    return _layout(fig, height)
