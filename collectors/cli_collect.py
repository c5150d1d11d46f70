"""``canhgac collect``: the long-running collectors.

- ``canhgac collect run``: every input of the ``collectors:`` section (tailed
  files, syslog listeners, folders of whole files, live captures) until
  SIGTERM/SIGINT, which stop the inputs, write or
  spool everything they read, commit the offsets and exit 0;
- ``canhgac collect status [--json]``: the health of each configured input
  (from the store's ``checkpoints``, or the local health file when newer or
  when the store is down).
"""

from __future__ import annotations

import json
import signal
import sys
import threading
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

app = typer.Typer(help="The long-running collectors.", no_args_is_help=True,
                  add_completion=False)
console = Console()
err = Console(stderr=True)


@app.command("run")
def run() -> None:
    """Run every configured input until SIGTERM or SIGINT."""
    from canhgac.cli import open_store, settings
    from collectors.runner import CollectorConfigError, CollectorRuntime
    from collectors.syslog_server import SyslogError
    from store import StoreError

    cfg = settings()
    if not cfg.collectors.inputs():
        err.print("[red]error:[/red] no inputs configured: add collectors.files, "
                  "collectors.syslog, collectors.folders or collectors.captures to the "
                  "configuration")
        raise typer.Exit(2)
    st = open_store(cfg)
    try:
        try:
            st.init()
        except StoreError as exc:  # the spool covers an absent store; say so and go on
            err.print(f"[yellow]warning:[/yellow] store not ready ({exc}); spooling until it is")
        try:
            runtime = CollectorRuntime(cfg.collectors, st, cfg.data_dir)
        except CollectorConfigError as exc:
            err.print(f"[red]error:[/red] {exc}")
            raise typer.Exit(2) from None
        stop = threading.Event()

        def on_signal(signum: int, _frame: Any) -> None:
            stop.set()

        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
        try:
            clean = runtime.run_until(stop)
        except SyslogError as exc:
            runtime.stop()
            err.print(f"[red]error:[/red] {exc}")
            raise typer.Exit(1) from None
    finally:
        st.close()
    if not clean:
        err.print("[yellow]warning:[/yellow] some records were neither stored nor spooled; "
                  "file inputs will read them again on the next run")
        raise typer.Exit(1)


COLUMNS = [("input", "input_id"), ("kind", "kind"), ("state", "state"),
           ("in", "records_in"), ("out", "events_out"), ("parse err", "parse_errors"),
           ("dead", "dead_letters"), ("spooled", "spooled"), ("replayed", "replayed"),
           ("lag B", "lag_bytes"), ("lag s", "lag_seconds"), ("last event", "last_event_at")]


@app.command("status")
def status(as_json: bool = typer.Option(False, "--json", help="one JSON object")) -> None:
    """Health of every configured input."""
    from canhgac.cli import settings
    from collectors.health import read_status
    from store import StoreError, open_store

    cfg = settings()
    paths = cfg.collectors.paths(cfg.data_dir)
    try:
        st = open_store(cfg)
    except StoreError:
        st = None
    try:
        rows = read_status(st, paths.health, cfg.collectors.input_ids())
    finally:
        if st is not None:
            st.close()
    if as_json:
        sys.stdout.write(json.dumps({"inputs": rows}, ensure_ascii=False, default=str) + "\n")
        return
    if not rows:
        console.print("no inputs configured (collectors.files, .syslog, .folders, .captures) "
                      "and no health reported yet")
        return
    table = Table(title="collectors")
    for title, _ in COLUMNS:
        table.add_column(title, justify="right" if title not in ("input", "kind", "state")
                         else "left")
    for row in rows:
        table.add_row(*[_cell(row.get(key)) for _, key in COLUMNS])
    console.print(table)
    for row in rows:
        if row.get("last_error"):
            console.print(f"{row['input_id']}: last error at {row.get('last_error_at')}: "
                          f"{row['last_error']}")


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)
