"""``canhgac crawl``: run, list and debug the crawlers' sources."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

app = typer.Typer(help="The news and social crawlers.", no_args_is_help=True,
                  add_completion=False)
console = Console()
err = Console(stderr=True)


def _config_path() -> str | None:
    import os

    return os.environ.get("CANHGAC_CONFIG")


@app.command("sources")
def sources(as_json: bool = typer.Option(False, "--json", help="one JSON object per line")) -> None:
    """The configured sources with their health (last success, error, items)."""
    from canhgac.cli import open_store, settings
    from crawlers.scheduler import source_health

    cfg = settings()
    st = open_store(cfg)
    rows = []
    try:
        for src in cfg.crawlers.sources:
            h = source_health(st, src.id)
            rows.append({
                "id": src.id, "name": src.display_name, "kind": src.kind, "url": src.url,
                "schedule": src.schedule, "enabled": src.enabled,
                "last_run": h.get("last_run"), "last_success": h.get("last_success"),
                "last_error": h.get("last_error"), "last_error_at": h.get("last_error_at"),
                "items_total": h.get("items_total", 0), "errors_total": h.get("errors_total", 0),
            })
    finally:
        st.close()
    if as_json:
        for row in rows:
            sys.stdout.write(json.dumps(row, ensure_ascii=False) + "\n")
        return
    table = Table(title="crawler sources")
    for col in ("id", "kind", "schedule", "last success", "items", "errors", "last error"):
        table.add_column(col)
    for r in rows:
        table.add_row(r["id"], r["kind"], r["schedule"], r["last_success"] or "never",
                      str(r["items_total"]), str(r["errors_total"]), (r["last_error"] or "")[:60])
    console.print(table)


@app.command("once")
def once(
    source_ids: list[str] = typer.Argument(..., help="source id(s) to crawl now"),
    as_json: bool = typer.Option(False, "--json", help="one JSON summary per source"),
    fresh: bool = typer.Option(False, "--fresh", help="ignore an interrupted job; start over"),
) -> None:
    """Crawl the given sources now (in a child process), with a progress display."""
    from canhgac.cli import settings
    from crawlers.errors import CrawlError
    from crawlers.runner import run_in_subprocess

    cfg = settings()
    for sid in source_ids:
        try:
            cfg.crawlers.source(sid)
        except KeyError as exc:
            err.print(f"[red]error:[/red] {exc.args[0]}")
            raise typer.Exit(2) from None
    log_file = Path(cfg.data_dir) / "crawl" / "last-run.log"
    log_file.parent.mkdir(parents=True, exist_ok=True)
    try:
        with err.status(f"crawling {', '.join(source_ids)} (log: {log_file})"):
            results = run_in_subprocess(source_ids, config_path=_config_path(),
                                        resume=not fresh, log_file=log_file)
    except CrawlError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(1) from None
    _show(results, as_json)
    if any(r.get("finish_reason") is None for r in results):
        raise typer.Exit(1)


@app.command("run")
def run(
    cycles: int = typer.Option(0, min=0, help="stop after N polling cycles (0: run forever)"),
    as_json: bool = typer.Option(False, "--json", help="one JSON summary per crawl"),
) -> None:
    """Poll every enabled source on its schedule (long-running)."""
    from canhgac.cli import open_store, settings
    from crawlers.scheduler import Scheduler

    cfg = settings()
    st = open_store(cfg)
    try:
        Scheduler(cfg, st, config_path=_config_path(),
                  on_result=lambda r: _show([r], as_json)).run(cycles or None)
    except KeyboardInterrupt:
        err.print("stopped")
    finally:
        st.close()


@app.command("extract")
def extract(target: str = typer.Argument(..., help="a URL or an HTML file")) -> None:
    """Print what the article extractor gets from one page, as JSON."""
    from crawlers.errors import BadPage
    from crawlers.extract import extract_article

    if target.startswith(("http://", "https://")):
        import httpx

        from canhgac.cli import settings

        cfg = settings()
        try:
            resp = httpx.get(target, headers={"User-Agent": cfg.crawlers.user_agent},
                             timeout=cfg.crawlers.download_timeout, follow_redirects=True)
        except httpx.HTTPError as exc:
            err.print(f"[red]error:[/red] cannot fetch {target}: {exc}")
            raise typer.Exit(1) from None
        html, url = resp.text, str(resp.url)
    else:
        path = Path(target)
        if not path.is_file():
            err.print(f"[red]error:[/red] no such file: {target}")
            raise typer.Exit(2)
        raw = path.read_bytes()
        html, url = _decode(raw), path.resolve().as_uri()
    try:
        found = extract_article(html, url)
    except BadPage as exc:
        sys.stdout.write(json.dumps({"error": exc.reason, "detail": str(exc)}) + "\n")
        raise typer.Exit(1) from None
    sys.stdout.write(json.dumps(found.as_json(), ensure_ascii=False, indent=2) + "\n")


def _decode(raw: bytes) -> str:
    """Bytes of a saved page as text, with the charset the page declares."""
    from w3lib.encoding import html_to_unicode

    return html_to_unicode(None, raw)[1]


def _show(results: list[dict], as_json: bool) -> None:
    if as_json:
        for r in results:
            sys.stdout.write(json.dumps(r) + "\n")
        return
    table = Table(title="crawl")
    for col in ("source", "result", "pages", "articles", "not modified", "dead letters", "s"):
        table.add_column(col)
    for r in results:
        table.add_row(r["source"], str(r.get("finish_reason") or r.get("error", "failed")),
                      str(r.get("pages", 0)), str(r.get("articles", 0)),
                      str(r.get("not_modified", 0)), str(r.get("dead_letters", 0)),
                      str(r.get("seconds", "")))
    console.print(table)
