"""``canhgac rules``, ``canhgac detect`` and ``canhgac hunt``."""

from __future__ import annotations

import csv
import json
import os
import sys
import time
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

rules_app = typer.Typer(help="Sigma rule management.", no_args_is_help=True)
detect_app = typer.Typer(help="The Sigma detection worker.", no_args_is_help=True)
hunt_app = typer.Typer(help="Hunt over files with Sigma rules.",
                       context_settings={"allow_interspersed_args": True})
console = Console()
err = Console(stderr=True)


def _cfg():
    from canhgac.cli import settings

    return settings()


def _ruleset(paths: list[Path] | None = None, validate: bool = False):
    from detection.sigma.loader import load_rules

    if not paths:
        cfg = _cfg()
        paths = [*cfg.detection.rule_paths, *cfg.detection.extra_rule_paths]
    return load_rules(paths, validate=validate)


@rules_app.command("list")
def rules_list(as_json: bool = typer.Option(False, "--json")) -> None:
    """Every loaded rule: id, level, title."""
    rs = _ruleset()
    rows = [{"id": rid, "level": getattr(r.level, "name", "").lower(), "title": r.title,
             "path": rs.paths[rid]} for rid, r in {**rs.rules, **rs.correlations}.items()]
    if as_json:
        for row in rows:
            sys.stdout.write(json.dumps(row, ensure_ascii=False) + "\n")
        return
    t = Table("id", "level", "title")
    for row in rows:
        t.add_row(row["id"], row["level"], row["title"])
    console.print(t)


@rules_app.command("show")
def rules_show(rule_id: str) -> None:
    """One rule's YAML source."""
    rs = _ruleset()
    if rule_id not in rs.paths:
        err.print(f"no rule {rule_id}")
        raise typer.Exit(1)
    console.print(Path(rs.paths[rule_id]).read_text(encoding="utf-8"), markup=False)


@rules_app.command("validate")
def rules_validate(paths: list[Path] = typer.Argument(None)) -> None:
    """Load and validate rules; print every problem as file:line: reason."""
    rs = _ruleset(paths, validate=True)
    for p in rs.problems:
        console.print(str(p), markup=False)
    console.print(f"{len(rs.rules)} rules, {len(rs.correlations)} correlations, "
                  f"{len(rs.errors)} errors, {len(rs.problems) - len(rs.errors)} warnings")
    if rs.errors:
        raise typer.Exit(1)


def _set_state(rule_id: str, enabled: bool) -> None:
    from canhgac.cli import open_store
    from store.schema import format_timestamp

    st = open_store(_cfg())
    from datetime import UTC, datetime

    st.put("rule_state", {"id": rule_id, "enabled": enabled,
                          "updated_at": format_timestamp(datetime.now(UTC))}, refresh=True)
    console.print(f"{rule_id}: {'enabled' if enabled else 'disabled'}")


@rules_app.command("enable")
def rules_enable(rule_id: str) -> None:
    """Enable a rule."""
    _set_state(rule_id, True)


@rules_app.command("disable")
def rules_disable(rule_id: str) -> None:
    """Disable a rule (its events stay; it raises no alert)."""
    _set_state(rule_id, False)


@rules_app.command("coverage")
def rules_coverage(paths: list[Path] = typer.Argument(None),
                   backend: list[str] = typer.Option(["sqlite", "opensearch", "elasticsearch"]),
                   as_json: bool = typer.Option(False, "--json"),
                   reasons: bool = typer.Option(False, "--reasons", help="list each miss")) -> None:
    """Per backend: rules converted / run as SQL (engines) / unsupported / failed."""
    from detection.sigma.convert import coverage

    rs = _ruleset(paths)
    out = {}
    for b in backend:
        cov = coverage(rs, b)
        out[b] = cov["counts"]
        if reasons:
            out[b]["misses"] = [{"id": m["rule_id"], "status": m["status"],
                                 "reason": m["reason"]} for m in cov["misses"]]
            if "as_sql" in cov:
                out[b]["misses"] += [{"id": m["rule_id"], "status": "as_sql",
                                      "reason": m["reason"]} for m in cov["as_sql"]]
    if as_json:
        sys.stdout.write(json.dumps({"rules": len(rs.rules), "load_errors": len(rs.errors),
                                     "backends": out}) + "\n")
        return
    t = Table("backend", "converted", "as SQL", "unsupported", "failed")
    for b, c in out.items():
        t.add_row(b, str(c["converted"]), str(c.get("as_sql", "-")), str(c["unsupported"]),
                  str(c["failed"]))
    console.print(t)


@rules_app.command("test")
def rules_test(rules: list[Path] = typer.Argument(..., help="rule files or folders"),
               events: Path = typer.Option(..., "--events", help="log/EVTX/NDJSON file or folder"),
               fmt: str = typer.Option("auto", "--format")) -> None:
    """Run rules over sample events in a throw-away store; print matches per rule."""
    from detection.sigma.hunt import hunt

    rs = _ruleset(rules)
    for p in rs.errors:
        err.print(str(p), markup=False)
    try:
        res = hunt([events], rs, fmt=fmt)
    except (FileNotFoundError, ValueError) as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    counts = {rid: 0 for rid in {**rs.rules, **rs.correlations}}
    for (rid, _), n in res.per_rule().items():
        counts[rid] = n
    for rid, n in counts.items():
        sys.stdout.write(json.dumps({"rule.id": rid, "alerts": n}) + "\n")
    if rs.errors:
        raise typer.Exit(1)


SHARD_HELP = ("i/n: run only the rules whose id hashes into share i of n (default: "
              "detection.shard, 1/1 = every rule)")


JOBS_HELP = ("SQLite: processes evaluating batches at once when several are waiting "
             "(default: detection.jobs)")


def _detector(shard: str | None = None, jobs: int | None = None):
    from canhgac.cli import open_store
    from detection.sigma.runner import SigmaDetector, parse_shard

    cfg = _cfg()
    d = cfg.detection
    try:
        share = parse_shard(shard or d.shard)
    except ValueError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    rs = _ruleset()
    for problem in rs.errors:
        err.print(str(problem), markup=False)
    if not rs.rules and not rs.correlations:
        err.print("[yellow]warning:[/yellow] no Sigma rule loaded from "
                  f"{', '.join(map(str, [*d.rule_paths, *d.extra_rule_paths]))}")
    st = open_store(cfg)
    return d, SigmaDetector(st, rs, windows=d.windows_pipeline, batch_size=d.batch_size,
                            lookback_seconds=d.lookback_seconds,
                            max_alert_events=d.max_alert_events, shard=share,
                            jobs=jobs or d.jobs, engine_evaluation=d.engine_evaluation)


@detect_app.command("once")
def detect_once(shard: str = typer.Option(None, "--shard", help=SHARD_HELP),
                jobs: int = typer.Option(None, "--jobs", min=1, help=JOBS_HELP)) -> None:
    """One incremental detection pass."""
    _, det = _detector(shard, jobs)
    try:
        r = det.run_once()
    finally:
        det.close()
    sys.stdout.write(json.dumps({"events": r.events, "matches": r.matches,
                                 "alerts_written": r.alerts_written,
                                 "correlations_fired": r.correlations_fired,
                                 "shard": "/".join(map(str, det.shard)),
                                 "broken": r.broken}) + "\n")


@detect_app.command("run")
def detect_run(max_passes: int = typer.Option(0, help="stop after N passes (0: forever)"),
               shard: str = typer.Option(None, "--shard", help=SHARD_HELP),
               jobs: int = typer.Option(None, "--jobs", min=1, help=JOBS_HELP)) -> None:
    """Detection passes every ``detection.interval_seconds``."""
    d, det = _detector(shard, jobs)
    n = 0
    try:
        while True:
            r = det.run_once()
            n += 1
            err.print(f"pass {n}: {r.events} events, {r.alerts_written} new alerts")
            if max_passes and n >= max_passes:
                return
            time.sleep(d.interval_seconds)
    finally:
        det.close()


@hunt_app.callback(invoke_without_command=True)
def hunt_cmd(paths: list[Path] = typer.Argument(..., help="files or folders"),
             rules: list[Path] = typer.Option(None, "--rules", help="rule folder or file"),
             fmt: str = typer.Option("auto", "--format", help="input format"),
             as_json: bool = typer.Option(False, "--json", help="one JSON object per alert"),
             as_csv: bool = typer.Option(False, "--csv"),
             use_store: bool = typer.Option(False, "--store", help="the configured store"),
             jobs: int = typer.Option(
                 0, "--jobs", min=0,
                 help="processes evaluating rules when there are several batches of events "
                      "(0: one per CPU core)")) -> None:
    """Ingest files into a throw-away SQLite store and run every rule over them."""
    from detection.sigma.hunt import hunt

    rs = _ruleset(rules or None)
    for p in rs.errors:
        err.print(str(p), markup=False)
    store = None
    evaluation = "stream"
    if use_store:
        from canhgac.cli import open_store

        cfg = _cfg()
        store = open_store(cfg)
        evaluation = cfg.detection.engine_evaluation
    try:
        res = hunt(list(paths), rs, fmt=fmt, store=store, jobs=jobs or os.cpu_count() or 1,
                   engine_evaluation=evaluation)
    except (FileNotFoundError, ValueError) as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    rows = res.rows()
    if as_json:
        for row in rows:
            sys.stdout.write(json.dumps(row, ensure_ascii=False) + "\n")
        return
    if as_csv:
        w = csv.DictWriter(sys.stdout, fieldnames=list(rows[0]) if rows else ["rule.id"])
        w.writeheader()
        w.writerows(rows)
        return
    t = Table("@timestamp", "level", "rule", "event", "host", title="timeline")
    for r in rows:
        t.add_row(r["@timestamp"] or "", r["rule.level"], r["rule.title"], r["event.id"] or "",
                  r["host.name"] or "")
    console.print(t)
    c = Table("rule", "level", "alerts", title="per rule")
    levels = {a["rule"]["id"]: a["rule"]["level"] for a in res.alerts}
    for (rid, title), n in res.per_rule().most_common():
        c.add_row(title, levels[rid], str(n))
    console.print(c)
    console.print(f"{res.events} events, {len(rows)} alerts; per level: "
                  + ", ".join(f"{k} {v}" for k, v in res.per_level().most_common())
                  + (f" (read and evaluated in {res.workers} processes, "
                     f"{res.ingest_seconds + res.detect_seconds:.1f} s)" if res.workers else
                     f" (ingest {res.ingest_seconds:.1f} s, detection {res.detect_seconds:.1f} s)"))
