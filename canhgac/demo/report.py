"""What the demo prints: the story's incidents and where to log in."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from canhgac.demo.scenario import Demo, Found


def show_check(found: list[Found], console: Console) -> None:
    """One line per incident the story implies: found (with its title) or why not."""
    table = Table(title="The story's incidents (demo data)")
    for col in ("", "expected", "incident", "severity", "alerts"):
        table.add_column(col)
    for f in found:
        inc = f.incident
        if inc:
            table.add_row("[green]✓[/]", f.expectation.name, inc.get("title", inc["id"]),
                          str(inc.get("severity")), str(inc.get("alert_count")))
        else:
            table.add_row("[red]✗[/]", f.expectation.name, f"[red]{f.why_not}[/]", "", "")
    console.print(table)
    ok = sum(1 for f in found if f.incident)
    console.print(f"{ok} of {len(found)} expected incidents found")


def show_ready(demo: Demo, api_url: str, ui_url: str, console: Console) -> None:
    """The URLs and the demo accounts, once the API and the dashboard answer."""
    from canhgac.demo.scenario import ROLES

    table = Table(title="Demo accounts (passwords are new at every run)")
    for col in ("role", "user", "password"):
        table.add_column(col)
    for role, name in ROLES.items():
        table.add_row(role, name, demo.passwords.get(name, "?"))
    console.print(table)
    console.print(f"dashboard: {ui_url}   API: {api_url} (docs at {api_url}/docs)")
    console.print(f"accounts also in {demo.data_dir / 'demo-accounts.json'}; "
                  "Ctrl-C stops everything")
    console.print(f"ready: {ui_url}", highlight=False)
