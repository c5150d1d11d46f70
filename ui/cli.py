"""``canhgac ui``: run the Streamlit dashboard against an API."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import typer

app = typer.Typer(help="The dashboard (Streamlit).", add_completion=False,
                  invoke_without_command=True)
APP_FILE = Path(__file__).with_name("app.py")


def command(host: str, port: int) -> list[str]:
    """The ``streamlit run`` command line (headless, no telemetry)."""
    return [sys.executable, "-m", "streamlit", "run", str(APP_FILE),
            "--server.address", host, "--server.port", str(port), "--server.headless", "true",
            "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none",
            "--client.toolbarMode", "minimal"]


@app.callback()
def ui(host: str = typer.Option(None, help="bind address (ui.host)"),
       port: int = typer.Option(None, help="port (ui.port)"),
       api_url: str = typer.Option(None, "--api-url", help="the API's base URL (ui.api_url)"),
       ) -> None:
    """Serve the dashboard; it talks to the API at --api-url only."""
    from canhgac.cli import settings

    cfg = settings().ui
    env = dict(os.environ)
    env["CANHGAC_UI__API_URL"] = api_url or cfg.api_url
    # exec, not a child: a supervisor's or container runtime's SIGTERM must reach
    # Streamlit itself (a child would be orphaned, still holding the port)
    argv = command(host or cfg.host, port or cfg.port)
    os.execve(argv[0], argv, env)
