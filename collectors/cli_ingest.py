"""``canhgac ingest PATH... [--format F] [--json]``: one-shot ingestion of log
files, folders and captures, with a progress bar, the detected format of each
file and a summary (events written, already present, dead letters)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from collectors.ingest import FORMATS, FileSummary, IngestSummary, ingest, iter_files

app = typer.Typer(help="One-shot ingestion of log files, folders and packet captures.",
                  add_completion=False)
err = Console(stderr=True)


@app.command()
def main(
    paths: list[Path] = typer.Argument(..., help="files or folders (recursive; .gz read through)"),
    fmt: str = typer.Option("auto", "--format", "-f",
                            help=f"format of every file: {'|'.join(FORMATS)} (auto: detect each)"),
    as_json: bool = typer.Option(False, "--json", help="print the summary as one JSON object"),
) -> None:
    """Parse files into ECS events and write them to the configured store."""
    from canhgac import config as config_mod
    from collectors.parsers import UnknownFormat, get_parser
    from store import StoreError, open_store

    if fmt not in FORMATS:
        try:
            get_parser(fmt)
        except UnknownFormat as exc:
            err.print(f"[red]error:[/red] {exc.args[0]}")
            raise typer.Exit(2) from None
    try:
        files = list(iter_files(paths))
    except FileNotFoundError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    try:
        cfg = config_mod.load()
    except config_mod.ConfigError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    try:
        st = open_store(cfg)
        st.init()
    except StoreError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(1) from None
    total = sum(p.stat().st_size for p in files)
    try:
        with Progress(TextColumn("[bold]ingest[/bold]"), BarColumn(), DownloadColumn(),
                      TimeRemainingColumn(), console=err, disable=as_json or not err.is_terminal,
                      transient=True) as bar:
            task = bar.add_task("ingest", total=total or None)

            def said(fs: FileSummary) -> None:
                if not as_json:
                    err.print(f"{fs.path}: {fs.detected}")

            summary = ingest(st, files, fmt, progress=lambda n: bar.advance(task, n),
                             on_file=said)
    except StoreError as exc:
        err.print(f"[red]error:[/red] the store failed: {exc}")
        raise typer.Exit(1) from None
    finally:
        st.close()
    if as_json:
        sys.stdout.write(json.dumps(summary.to_dict(), ensure_ascii=False) + "\n")
    else:
        _show(summary)


def _short(path: str) -> str:
    """The path relative to the working directory when that is shorter."""
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return path
    return rel if len(rel) < len(path) else path


def _show(summary: IngestSummary) -> None:
    out = Console()
    files = Table(title="files")
    files.add_column("file", overflow="fold")
    for col in ("format", "records", "written", "already present", "dead letters"):
        files.add_column(col, justify="left" if col == "format" else "right")
    for f in summary.files:
        files.add_row(_short(f.path), f.format, f"{f.records:,}", f"{f.events_written:,}",
                      f"{f.already_present:,}", f"{f.dead_letters:,}")
    out.print(files)
    formats = Table(title="per format")
    for col in ("format", "files", "written", "already present", "dead letters"):
        formats.add_column(col, justify="left" if col == "format" else "right")
    for name, agg in sorted(summary.by_format().items()):
        formats.add_row(name, str(agg["files"]), f"{agg['events_written']:,}",
                        f"{agg['already_present']:,}", f"{agg['dead_letters']:,}")
    out.print(formats)
    out.print(f"events written: {summary.events_written:,}  already present: "
              f"{summary.already_present:,}  dead letters: {summary.dead_letters:,}")
