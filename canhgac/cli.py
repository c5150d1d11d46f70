"""The ``canhgac`` command: wires the rooms together.

Subcommand groups that later work fills (``ingest``, ``collect``, ``crawl``,
``detect``, ``hunt``, ``serve``, ``ui``, ``up``) are listed so ``--help`` shows
the whole product; until their room lands they say so and exit with status 3.
"""

from __future__ import annotations

import json
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from canhgac import config as config_mod
from canhgac import logs

app = typer.Typer(help="Canhgac: city SIEM and online-information monitoring.",
                  no_args_is_help=True, add_completion=False)
config_app = typer.Typer(help="Show the configuration in force.", no_args_is_help=True)
store_app = typer.Typer(help="Initialise and inspect the store.", no_args_is_help=True)
app.add_typer(config_app, name="config")
app.add_typer(store_app, name="store")

console = Console()
err = Console(stderr=True)
NOT_YET = 3


def settings() -> config_mod.Settings:
    """Load the configuration or exit with the one clear message."""
    try:
        cfg = config_mod.load()
    except config_mod.ConfigError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    logs.setup(cfg.log.level, cfg.log.json_output)
    return cfg


def open_store(cfg: config_mod.Settings):
    from store import StoreError, open_store

    try:
        return open_store(cfg)
    except StoreError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(1) from None


def emit(data: Any, as_json: bool) -> None:
    if as_json:
        sys.stdout.write(json.dumps(data, ensure_ascii=False, default=str) + "\n")
    else:
        console.print_json(data=data)


@config_app.command("show")
def config_show(as_json: bool = typer.Option(False, "--json", help="one JSON object")) -> None:
    """The merged configuration (file + environment), secrets masked."""
    emit(settings().redacted(), as_json)


@store_app.command("init")
def store_init() -> None:
    """Create the collections (tables, indices, templates); safe to repeat."""
    from store import StoreError

    cfg = settings()
    st = open_store(cfg)
    try:
        st.init()
        console.print(f"store ready: {st.backend}")
    except StoreError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(1) from None
    finally:
        st.close()


@store_app.command("status")
def store_status(as_json: bool = typer.Option(False, "--json", help="one JSON object")) -> None:
    """Backend, version, location and document counts."""
    from store import StoreError

    cfg = settings()
    st = open_store(cfg)
    try:
        status = st.status()
    except StoreError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(1) from None
    finally:
        st.close()
    if as_json:
        emit(status, True)
        return
    table = Table(title=f"store: {status['backend']} {status.get('version', '')}")
    table.add_column("collection")
    table.add_column("documents", justify="right")
    for name, n in status.get("collections", {}).items():
        table.add_row(name, f"{n:,}")
    console.print(table)
    for key, value in status.items():
        if key != "collections":
            console.print(f"{key}: {value}")


@store_app.command("retention")
def store_retention(
    dry_run: bool = typer.Option(False, "--dry-run", help="count, do not delete"),
    as_json: bool = typer.Option(False, "--json", help="one JSON object"),
) -> None:
    """Delete what is older than the configured retention (retention.* days)."""
    from canhgac import retention
    from store import StoreError

    cfg = settings()
    st = open_store(cfg)
    try:
        report = retention.apply(st, cfg.retention, dry_run=dry_run)
    except StoreError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(1) from None
    finally:
        st.close()
    emit(report, as_json)


@app.command()
def demo(
    check: bool = typer.Option(False, "--check", help="run the scenario headless and exit 0 "
                               "only when every incident the story implies exists"),
    data_dir: Path = typer.Option(None, help="the demo's own data folder (default: "
                                  "<data_dir>/demo; emptied at each run)"),
    host: str = typer.Option("127.0.0.1", help="where the API and the dashboard listen"),
    api_port: int = typer.Option(None, help="API port (default api.port, 8000)"),
    ui_port: int = typer.Option(None, help="dashboard port (default ui.port, 8501)"),
    scale: float = typer.Option(1.0, min=0.1, max=20.0,
                                help="multiplies the background traffic (not the story)"),
    summary: bool = typer.Option(False, "--summary", help="only write --events generated "
                                 "events to the configured store and summarise them"),
    events: int = typer.Option(5000, min=1, help="with --summary: how many events"),
    as_json: bool = typer.Option(False, "--json", help="with --summary: one JSON object"),
) -> None:
    """The whole operations centre on demo data, without internet: a fictional
    city's day of network logs with an attack story and its news coverage with
    a flooding story, run through collectors, crawlers, NLP and detection; then
    the API and the dashboard with one demo account per role, until Ctrl-C."""
    cfg = settings()
    if summary:
        _demo_summary(cfg, events, as_json)
        return
    from canhgac.demo import report, scenario

    run = scenario.Demo(Path(data_dir or cfg.data_dir / "demo").resolve(), scale=scale,
                        say=lambda line: console.print(line, highlight=False))
    try:
        started = time.perf_counter()
        run.run_pipeline()
        found = run.check()
        report.show_check(found, console)
        steps = ", ".join(f"{k} {v:.0f} s" for k, v in run.timings.items())
        console.print(f"scenario ready in {time.perf_counter() - started:.0f} s ({steps}); "
                      f"data: {run.data_dir}", highlight=False)
        if check:
            raise typer.Exit(0 if all(f.incident for f in found) else 1)
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        scenario.serve(run, host=host, api_port=api_port or cfg.api.port,
                       ui_port=ui_port or cfg.ui.port, stop_when=stop.is_set,
                       ready=lambda api, ui: report.show_ready(run, api, ui, console))
        console.print("stopped")
    except scenario.DemoError as exc:
        err.print(f"[red]demo failed:[/red] {exc}")
        raise typer.Exit(1) from None
    finally:
        run.stop()


def _demo_summary(cfg: config_mod.Settings, events: int, as_json: bool) -> None:
    from canhgac.demo import summary as demo_mod

    st = open_store(cfg)
    try:
        started = time.perf_counter()
        result = demo_mod.run(st, events)
        result["seconds"] = round(time.perf_counter() - started, 3)
    finally:
        st.close()
    if as_json:
        emit(result, True)
    else:
        demo_mod.show(result, console)


# Rooms register their commands here: "name": ("module", "attribute", issue, what).
# The module is imported only when its command runs, so `canhgac --help` stays
# fast and a room's heavy libraries (Scrapy, spaCy, pySigma) load only for it.
# The attribute is a Typer app; a room not built yet says so (exit status 3).
ROOM_COMMANDS: dict[str, tuple[str, str, int, str]] = {
    "ingest": ("collectors.cli_ingest", "app", 3, "one-shot ingestion of log files and captures"),
    "collect": ("collectors.cli_collect", "app", 3, "the long-running collectors"),
    "rules": ("detection.cli", "rules_app", 4, "Sigma rule management"),
    "detect": ("detection.cli", "detect_app", 4, "the Sigma detection worker"),
    "hunt": ("detection.cli", "hunt_app", 4, "hunting over files with Sigma rules"),
    "incidents": ("detection.incidents_cli", "app", 4, "incident grouping and suppression"),
    "crawl": ("crawlers.cli", "app", 5, "the news and social crawlers"),
    "nlp": ("detection.nlp.cli", "app", 6, "NLP classification and training"),
    "serve": ("api.cli", "serve_app", 7, "the API service"),
    "users": ("api.cli", "users_app", 7, "users and API keys"),
    "ui": ("ui.cli", "app", 8, "the dashboard"),
    "up": ("canhgac.supervisor", "app", 9, "the single-machine supervisor"),
}


def _room_command(name: str, module: str, attr: str, issue: int, what: str) -> None:
    def command(ctx: typer.Context) -> None:
        import importlib

        try:
            room = importlib.import_module(module)
            room_app = getattr(room, attr)
        except ModuleNotFoundError as exc:
            if exc.name and (module == exc.name or module.startswith(exc.name + ".")):
                err.print(f"canhgac {name}: {what} is not built yet (issue #{issue}).")
                raise typer.Exit(NOT_YET) from None
            raise
        except AttributeError:
            err.print(f"canhgac {name}: {what} is not built yet (issue #{issue}).")
            raise typer.Exit(NOT_YET) from None
        room_app(args=list(ctx.args), prog_name=f"canhgac {name}")

    command.__doc__ = f"{what[0].upper()}{what[1:]}."
    app.command(name, context_settings={"allow_extra_args": True, "ignore_unknown_options": True,
                                        "help_option_names": []},
                add_help_option=False)(command)


for _name, (_module, _attr, _issue, _what) in ROOM_COMMANDS.items():
    _room_command(_name, _module, _attr, _issue, _what)


def main() -> None:  # pragma: no cover - console entry
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
