"""``canhgac incidents``: grouping, triage and suppression from the shell.

The actor of every change is ``--actor`` (default ``$USER``); each change is
written to the incident's timeline and to the audit log, as through the API.
``--json`` prints one JSON object (or one per line for lists) for scripts.
"""

from __future__ import annotations

import getpass
import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from detection.incidents import IncidentError, NotFound
from store.errors import QueryError, StoreError
from store.query import interval_seconds

app = typer.Typer(help="Incidents: grouping, triage and suppression.", no_args_is_help=True,
                  add_completion=False)
suppress_app = typer.Typer(help="Suppression rules (silence known-benign noise).",
                           no_args_is_help=True)
app.add_typer(suppress_app, name="suppress")

console = Console()
err = Console(stderr=True)

SEVERITY_STYLE = {"critical": "bold red", "high": "red", "medium": "yellow", "low": "cyan",
                  "informational": "dim"}


def _default_actor() -> str:
    try:
        return os.environ.get("USER") or getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (containers)
        return "cli"


ActorOpt = typer.Option(None, "--actor", help="who acts (default: $USER)")
JsonOpt = typer.Option(False, "--json", help="JSON output")


def _duration(text: str) -> timedelta:
    try:
        return timedelta(seconds=interval_seconds(text))
    except QueryError as exc:
        raise typer.BadParameter(str(exc)) from None


@contextmanager
def _store() -> Iterator[Any]:
    """The configured store; incident and store errors become one red line."""
    from canhgac.cli import open_store, settings

    st = open_store(settings())
    try:
        yield st
    except NotFound as exc:
        err.print(f"[red]not found:[/red] {exc}")
        raise typer.Exit(4) from None
    except (IncidentError, StoreError) as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(1) from None
    finally:
        st.close()


def _emit(data: Any, as_json: bool) -> None:
    if as_json:
        sys.stdout.write(json.dumps(data, ensure_ascii=False, default=str) + "\n")
    else:
        console.print_json(data=data)


def _triage_action(action: Callable[[Any], dict[str, Any]], as_json: bool) -> None:
    from detection.triage import Triage

    with _store() as st:
        doc = action(Triage(st))
    if as_json:
        _emit(doc, True)
    else:
        last = (doc.get("timeline") or [{}])[-1]
        console.print(f"{doc['id']}: {doc.get('status')} · {doc.get('severity')} · "
                      f"assignee {doc.get('assignee') or '-'} "
                      f"({last.get('action')} by {last.get('actor')})")


@app.command("group-once")
def group_once(
    window: str = typer.Option("1h", help="alerts this close to an incident's last alert join it"),
    max_span: str = typer.Option("24h", help="an incident never spans longer than this"),
    reopen: str = typer.Option("reopen", help="new alert in a closed incident's window: "
                                              "reopen | new"),
    batch: int = typer.Option(5000, min=1, help="alerts per pass"),
    as_json: bool = JsonOpt,
) -> None:
    """Run one grouping pass over the alerts that have no incident yet."""
    from detection.grouping import IncidentGrouper

    if reopen not in ("reopen", "new"):
        raise typer.BadParameter("--reopen must be reopen or new")
    with _store() as st:
        grouper = IncidentGrouper(st, window=_duration(window), max_span=_duration(max_span),
                                  reopen=reopen, batch=batch)
        report = grouper.group_once().as_dict()
    if as_json:
        _emit(report, True)
    else:
        ids = report.pop("incident_ids")
        console.print(" · ".join(f"{k} {v}" for k, v in report.items()))
        console.print(f"incidents touched: {len(set(ids))}")


@app.command("list")
def list_(
    severity: str = typer.Option(None, help="comma-separated severities"),
    status: str = typer.Option(None, help="comma-separated statuses"),
    domain: str = typer.Option(None, help="security | reputation"),
    assignee: str = typer.Option(None),
    unassigned: bool = typer.Option(False, "--unassigned"),
    entity: str = typer.Option(None, help="an entity value, or field=value"),
    since: str = typer.Option(None, help="active since (ISO 8601)"),
    until: str = typer.Option(None, help="active until (ISO 8601)"),
    sort: str = typer.Option("severity", help="severity | newest | oldest | updated"),
    size: int = typer.Option(50, min=1, max=500),
    cursor: str = typer.Option(None, help="the cursor a previous page printed"),
    as_json: bool = JsonOpt,
) -> None:
    """The incident queue: highest severity first, then oldest."""
    from detection.triage import Triage

    with _store() as st:
        st.refresh("incidents")
        page = Triage(st).list(severity=severity, status=status, domain=domain,
                               assignee=assignee, unassigned=unassigned, entity=entity,
                               since=since, until=until, sort=sort, size=size, cursor=cursor)
    if as_json:
        for item in page["items"]:
            _emit(item, True)
        return
    table = Table(title=f"incidents ({page['total']})")
    for col in ("id", "severity", "status", "domain", "alerts", "assignee", "last seen",
                "title"):
        table.add_column(col)
    for it in page["items"]:
        sev = it.get("severity", "")
        table.add_row(it["id"], f"[{SEVERITY_STYLE.get(sev, '')}]{sev}[/]", it.get("status"),
                      it.get("domain"), str(it.get("alert_count", 0)), it.get("assignee") or "-",
                      it.get("last_seen"), it.get("title"))
    console.print(table)
    if page["cursor"]:
        console.print(f"next page: --cursor {page['cursor']}")


@app.command("show")
def show(incident_id: str, alerts: bool = typer.Option(False, "--alerts",
                                                        help="include the alerts"),
         as_json: bool = JsonOpt) -> None:
    """One incident with its timeline and comments."""
    from detection.triage import Triage

    with _store() as st:
        tr = Triage(st)
        doc = dict(tr.get(incident_id))
        if alerts:
            doc["alerts"] = tr.alerts(incident_id, size=500)["items"]
    _emit(doc, as_json)


@app.command("ack")
def ack(incident_id: str, note: str = typer.Option(None), actor: str = ActorOpt,
        as_json: bool = JsonOpt) -> None:
    """Acknowledge an incident."""
    who = actor or _default_actor()
    _triage_action(lambda tr: tr.set_status(incident_id, "acknowledged", who, note), as_json)


@app.command("status")
def status(incident_id: str, new_status: str, note: str = typer.Option(None),
           actor: str = ActorOpt, as_json: bool = JsonOpt) -> None:
    """Move an incident to a status (acknowledged, in_progress, resolved,
    false_positive, reopened)."""
    who = actor or _default_actor()
    _triage_action(lambda tr: tr.set_status(incident_id, new_status, who, note), as_json)


@app.command("resolve")
def resolve(incident_id: str, false_positive: bool = typer.Option(
                False, "--false-positive", help="close as a false positive"),
            note: str = typer.Option(None), actor: str = ActorOpt,
            as_json: bool = JsonOpt) -> None:
    """Close an incident as resolved (or as a false positive)."""
    who = actor or _default_actor()
    target = "false_positive" if false_positive else "resolved"
    _triage_action(lambda tr: tr.set_status(incident_id, target, who, note), as_json)


@app.command("reopen")
def reopen_(incident_id: str, note: str = typer.Option(None), actor: str = ActorOpt,
            as_json: bool = JsonOpt) -> None:
    """Re-open a closed incident."""
    who = actor or _default_actor()
    _triage_action(lambda tr: tr.set_status(incident_id, "reopened", who, note), as_json)


@app.command("assign")
def assign(incident_id: str, assignee: str = typer.Argument(..., help="'-' to unassign"),
           actor: str = ActorOpt, as_json: bool = JsonOpt) -> None:
    """Give an incident to someone."""
    who = actor or _default_actor()
    target = None if assignee == "-" else assignee
    _triage_action(lambda tr: tr.assign(incident_id, target, who), as_json)


@app.command("comment")
def comment(incident_id: str, text: str, actor: str = ActorOpt,
            as_json: bool = JsonOpt) -> None:
    """Add a comment."""
    who = actor or _default_actor()
    _triage_action(lambda tr: tr.comment(incident_id, text, who), as_json)


@app.command("merge")
def merge(target_id: str, source_ids: list[str], actor: str = ActorOpt,
          as_json: bool = JsonOpt) -> None:
    """Merge incidents into TARGET_ID (their alerts move; they become 'merged')."""
    who = actor or _default_actor()
    _triage_action(lambda tr: tr.merge(target_id, source_ids, who), as_json)


@app.command("link")
def link(incident_id: str, alert_ids: list[str], actor: str = ActorOpt,
         as_json: bool = JsonOpt) -> None:
    """Attach alerts to an incident (moving them from another one)."""
    who = actor or _default_actor()
    _triage_action(lambda tr: tr.link_alerts(incident_id, alert_ids, who), as_json)


@app.command("metrics")
def metrics_(since: str = typer.Option("7d", help="look back this far (30m, 24h, 7d)"),
             domain: str = typer.Option(None, help="security | reputation"),
             as_json: bool = JsonOpt) -> None:
    """MTTA / MTTR and open incidents by severity."""
    from detection.incidents import utcnow
    from detection.triage import metrics

    with _store() as st:
        figures = metrics(st, utcnow() - _duration(since), domain=domain)
    _emit(figures, as_json)


@suppress_app.command("add")
def suppress_add(
    rule: str = typer.Option("*", "--rule", help="rule id, or * for any rule"),
    entity: str = typer.Option("*", "--entity", help="field=value, a bare value, or *"),
    reason: str = typer.Option(..., "--reason", help="why this is benign"),
    for_: str = typer.Option("7d", "--for", help="expires after (30m, 24h, 7d); 'never' keeps it"),
    domain: str = typer.Option("*", help="security | reputation | *"),
    actor: str = ActorOpt, as_json: bool = JsonOpt,
) -> None:
    """Silence alerts of a rule and/or entity (they are kept, marked suppressed)."""
    from detection.incidents import utcnow
    from detection.suppression import Suppressions

    expires = None if for_ == "never" else utcnow() + _duration(for_)
    with _store() as st:
        rule_ = Suppressions(st).add(rule_id=rule, entity=entity, reason=reason,
                                     actor=actor or _default_actor(), expires_at=expires,
                                     domain=domain)
    if as_json:
        _emit(rule_.to_doc(), True)
    else:
        console.print(f"created {rule_.id}")


@suppress_app.command("list")
def suppress_list(expired: bool = typer.Option(False, "--expired", help="include expired"),
                  as_json: bool = JsonOpt) -> None:
    """Suppression rules in force (or all of them)."""
    from detection.suppression import Suppressions

    with _store() as st:
        st.refresh("rule_state")
        rules = Suppressions(st).list(include_expired=expired)
    if as_json:
        for r in rules:
            _emit(r.to_doc(), True)
        return
    table = Table(title=f"suppressions ({len(rules)})")
    for col in ("id", "rule", "entity", "domain", "expires", "by", "reason"):
        table.add_column(col)
    for r in rules:
        table.add_row(r.id, r.rule_id, r.entity, r.domain, r.expires_at or "never",
                      r.created_by, r.reason)
    console.print(table)


@suppress_app.command("remove")
def suppress_remove(suppression_id: str, actor: str = ActorOpt) -> None:
    """Delete a suppression rule (alerts it silenced stay suppressed)."""
    from detection.suppression import Suppressions

    with _store() as st:
        Suppressions(st).remove(suppression_id, actor or _default_actor())
    console.print(f"removed {suppression_id}")
