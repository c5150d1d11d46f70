"""``canhgac up``: every component of a single-machine install, supervised.

Each component is a ``canhgac`` subcommand run as a child process on the
configured store (the embedded SQLite by default):

- services run for ever and are restarted with exponential back-off when
  they exit (1 s, 2 s, 4 s ... up to 60 s; the delay resets after a minute of
  good health);
- jobs run every ``interval`` seconds (incident grouping, reputation rules,
  retention).

Ctrl-C or SIGTERM stops everything: each child gets SIGTERM (the collectors
flush what they acknowledged, the API finishes its requests), then SIGKILL
after a grace period.  Written by hand because a supervisor for our own
subcommands is a page of code, while the general ones (supervisord, circus)
would add a daemon and a config language of their own.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import typer
from rich.console import Console
from rich.live import Live
from rich.table import Table

MIN_BACKOFF, MAX_BACKOFF, HEALTHY_AFTER = 1.0, 60.0, 60.0


@dataclass
class Component:
    """One supervised child: a ``canhgac`` command line."""

    name: str
    args: list[str]
    interval: float | None = None  # None: a service; seconds: a periodic job
    proc: subprocess.Popen[bytes] | None = None
    state: str = "stopped"
    restarts: int = 0
    runs: int = 0
    started: float = 0.0
    next_start: float = 0.0
    backoff: float = MIN_BACKOFF
    last_exit: int | None = None
    log: list[str] = field(default_factory=list)

    @property
    def kind(self) -> str:
        return "service" if self.interval is None else "job"


def default_components(job_interval: float = 60.0) -> list[Component]:
    """What a single machine runs: API, dashboard, collectors, crawlers and
    detection as services; grouping, reputation and retention as jobs."""
    return [
        Component("api", ["serve"]),
        Component("ui", ["ui"]),
        Component("collectors", ["collect", "run"]),
        Component("crawlers", ["crawl", "run"]),
        Component("detection", ["detect", "run"]),
        Component("incidents", ["incidents", "group-once"], interval=job_interval),
        Component("reputation", ["nlp", "reputation"], interval=job_interval * 5),
        Component("retention", ["store", "retention"], interval=86_400.0),
    ]


class Supervisor:
    """Starts, watches, restarts and stops the components."""

    def __init__(self, components: list[Component], *, log_dir: str | None = None,
                 grace: float = 20.0, clock: Callable[[], float] = time.monotonic,
                 env: dict[str, str] | None = None) -> None:
        self.components = components
        self.env = env  # None: the children inherit this process's environment
        self.log_dir = log_dir
        self.grace = grace
        self.clock = clock
        self._stop = threading.Event()

    # -- child processes ---------------------------------------------------------------
    def _spawn(self, c: Component) -> None:
        out: Any = subprocess.DEVNULL
        if self.log_dir:
            os.makedirs(self.log_dir, exist_ok=True)
            out = open(os.path.join(self.log_dir, f"{c.name}.log"), "ab")  # noqa: SIM115
        c.proc = subprocess.Popen(
            [sys.executable, "-m", "canhgac.cli", *c.args], stdin=subprocess.DEVNULL,
            stdout=out, stderr=subprocess.STDOUT, start_new_session=True, env=self.env)
        if out is not subprocess.DEVNULL:
            out.close()
        c.started = self.clock()
        c.state = "running"
        c.runs += 1

    def step(self) -> None:
        """One look at every component: reap, restart or schedule."""
        now = self.clock()
        for c in self.components:
            if c.proc is not None and c.proc.poll() is not None:
                c.last_exit = c.proc.returncode
                lived = now - c.started
                c.proc = None
                if c.interval is not None:  # a job finished: wait for its next turn
                    c.state = "idle" if c.last_exit == 0 else "failed"
                    c.next_start = c.started + c.interval
                else:
                    c.backoff = MIN_BACKOFF if lived >= HEALTHY_AFTER else min(
                        MAX_BACKOFF, c.backoff * 2 if c.restarts else c.backoff)
                    c.state = "backoff"
                    c.restarts += 1
                    c.next_start = now + c.backoff
            if c.proc is None and not self._stop.is_set() and now >= c.next_start:
                self._spawn(c)

    def stop(self) -> None:
        """SIGTERM to every child, SIGKILL to those still there after the grace period."""
        self._stop.set()
        for c in self.components:
            if c.proc is not None and c.proc.poll() is None:
                _signal_group(c.proc, signal.SIGTERM)
                c.state = "stopping"
        deadline = self.clock() + self.grace
        for c in self.components:
            if c.proc is None:
                continue
            try:
                c.proc.wait(timeout=max(0.0, deadline - self.clock()))
            except subprocess.TimeoutExpired:
                _signal_group(c.proc, signal.SIGKILL)
                c.proc.wait(timeout=10)
            c.proc = None  # last_exit keeps the last exit of its own accord
            c.state = "stopped"

    def request_stop(self, *_: Any) -> None:
        self._stop.set()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def status(self) -> list[dict[str, Any]]:
        now = self.clock()
        return [{"name": c.name, "kind": c.kind, "state": c.state,
                 "pid": c.proc.pid if c.proc else None, "restarts": c.restarts, "runs": c.runs,
                 "uptime_s": round(now - c.started) if c.proc else 0,
                 "last_exit": c.last_exit} for c in self.components]


def _signal_group(proc: subprocess.Popen[bytes], sig: int) -> None:
    """Signal the child's whole process group (each child leads its own), so
    anything it started (a crawl's Scrapy process, ...) stops with it."""
    try:
        os.killpg(proc.pid, sig)
    except ProcessLookupError:
        pass
    except PermissionError:
        proc.send_signal(sig)


def _table(rows: list[dict[str, Any]]) -> Table:
    table = Table(title="canhgac up — Ctrl-C stops everything")
    for col in ("name", "kind", "state", "pid", "restarts", "runs", "uptime_s", "last_exit"):
        table.add_column(col)
    colours = {"running": "green", "backoff": "yellow", "failed": "red"}
    for r in rows:
        table.add_row(*(f"[{colours.get(r['state'], 'white')}]{r[k]}[/]" if k == "state"
                        else ("" if r[k] is None else str(r[k])) for k in r))
    return table


app = typer.Typer(help="Run every component on one machine, supervised.", add_completion=False)


@app.callback(invoke_without_command=True)
def up(
    only: list[str] = typer.Option(None, "--only", help="run only these components"),
    skip: list[str] = typer.Option(None, "--skip", help="leave these components out"),
    job_interval: float = typer.Option(60.0, min=1.0, help="seconds between grouping passes"),
    grace: float = typer.Option(20.0, min=0.0, help="seconds a component gets to stop"),
    as_json: bool = typer.Option(False, "--json", help="status as JSON lines, not a table"),
) -> None:
    """Start the API, dashboard, collectors, crawlers and detection on the
    configured store; restart what crashes; stop all on Ctrl-C/SIGTERM."""
    from canhgac.config import ConfigError, load

    try:
        cfg = load()
    except ConfigError as exc:
        Console(stderr=True).print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    comps = default_components(job_interval)
    known = {c.name for c in comps}
    unknown = (set(only or []) | set(skip or [])) - known
    if unknown:
        Console(stderr=True).print(f"[red]error:[/red] unknown component(s) {sorted(unknown)}; "
                                   f"known: {', '.join(sorted(known))}")
        raise typer.Exit(2)
    comps = [c for c in comps if (not only or c.name in only) and c.name not in (skip or [])]
    sup = Supervisor(comps, log_dir=str(cfg.data_dir / "logs"), grace=grace)
    signal.signal(signal.SIGTERM, sup.request_stop)
    signal.signal(signal.SIGINT, sup.request_stop)
    console = Console()
    live = not as_json and console.is_terminal
    last_print = 0.0
    try:
        if live:
            with Live(_table(sup.status()), console=console, refresh_per_second=2) as view:
                while not sup.stopping:
                    sup.step()
                    view.update(_table(sup.status()))
                    time.sleep(0.5)
        else:
            while not sup.stopping:
                sup.step()
                if time.monotonic() - last_print >= 5:
                    sys.stdout.write(json.dumps({"components": sup.status()}) + "\n")
                    sys.stdout.flush()
                    last_print = time.monotonic()
                time.sleep(0.5)
    finally:
        sup.stop()
    sys.stdout.write(json.dumps({"stopped": sup.status()}) + "\n")
