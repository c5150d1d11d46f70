"""The demo scenario: generate a day, run every room over it, check the story.

The rooms run as ``canhgac`` subcommands in child processes, exactly as an
operator would run them (and as ``canhgac up`` supervises them), on a data
directory of the demo's own; this module only generates inputs, starts the
fictional outlets' web server and reads the resulting incidents back through
the store.  Steps:

1. write the network's day of logs and a capture (``network``) and the
   outlets' sites (``outlets``), served on loopback;
2. create one demo account per role;
3. ``ingest`` the logs and the capture; ``crawl once`` every outlet (articles
   are classified by the NLP pipeline as they are stored);
4. ``detect once`` (Sigma), ``nlp reputation``, ``incidents group-once``;
5. check that every incident the story implies exists (``EXPECTED``);
6. unless ``--check``: serve the API and the dashboard until Ctrl-C.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from canhgac.demo import network, outlets

MARKER = ".canhgac-demo"
OWN_SETTINGS = ("CANHGAC_STORE", "CANHGAC_SQLITE", "CANHGAC_DATA_DIR", "CANHGAC_CONFIG",
                "CANHGAC_CRAWLERS__", "CANHGAC_UI__API_URL")
STEP_TIMEOUT = 900.0
ROLES = {"soc_analyst": "demo.soc", "comms": "demo.comms", "leader": "demo.leader",
         "admin": "demo.admin"}


class DemoError(RuntimeError):
    """A step of the demo failed; the message says which and why."""


@dataclass(frozen=True)
class Expectation:
    """An incident the story implies: one of ``rule_ids`` fired, and (when
    ``fact`` is set) the story fact of that name appears in the incident or
    its alerts (the attacker's address, the infected workstation ...)."""

    name: str
    rule_ids: tuple[str, ...]
    fact: str | None = None
    check: Callable[[dict[str, Any], list[dict[str, Any]], Any], str | None] | None = None


def _negative_story(incident: dict[str, Any], alerts: list[dict[str, Any]],
                    store: Any) -> str | None:
    """None when most of the story's articles were classified negative."""
    ids = sorted({i for a in alerts for i in a.get("article_ids") or []})
    labels = []
    for aid in ids[:100]:
        doc = store.get("articles", aid)
        if doc is not None:
            labels.append((doc.source.get("sentiment") or {}).get("label"))
    negative = labels.count("negative")
    if labels and negative * 2 > len(labels):
        return None
    return f"{negative} of {len(labels)} of the story's articles are negative"


EXPECTED: tuple[Expectation, ...] = (
    Expectation("port scan", ("7a3d2c10-8f4e-4b6a-9c1d-2e5f6a7b8c02",), fact="attacker_ip"),
    Expectation("SSH brute force followed by a successful login",
                ("0c1b9a52-6c1e-4d8e-9a51-3f3e0b7b1a04",), fact="attacker_ip"),
    Expectation("web attack on the city portal",
                ("3b2a1c0d-4e5f-4a6b-8c7d-9e0f1a2b3c01", "3b2a1c0d-4e5f-4a6b-8c7d-9e0f1a2b3c02"),
                fact="attacker_ip"),
    Expectation("DNS tunnelling", ("9d4e5f60-1a2b-4c3d-8e9f-0a1b2c3d4e01",
                                   "9d4e5f60-1a2b-4c3d-8e9f-0a1b2c3d4e03"),
                fact="workstation_ip"),
    Expectation("malware beaconing", ("7a3d2c10-8f4e-4b6a-9c1d-2e5f6a7b8c04",),
                fact="beacon_ip"),
    Expectation("negative flooding story spreading", ("nlp.story_spread",),
                check=_negative_story),
)


@dataclass
class Found:
    expectation: Expectation
    incident: dict[str, Any] | None = None
    why_not: str = "no incident from these rules"


@dataclass
class Demo:
    """Where the demo lives and how its children are run."""

    data_dir: Path
    end: datetime = field(default_factory=lambda: datetime.now(UTC).replace(second=0,
                                                                             microsecond=0))
    seed: int = 2026
    scale: float = 1.0
    say: Callable[[str], None] = print
    passwords: dict[str, str] = field(default_factory=dict)
    story: dict[str, str] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    server: outlets.OutletServer | None = None

    @property
    def config_path(self) -> Path:
        return self.data_dir / "canhgac.yaml"

    def env(self) -> dict[str, str]:
        # the demo's own store and sources, whatever this shell points at
        env = {k: v for k, v in os.environ.items() if not k.startswith(OWN_SETTINGS)}
        env.update({"CANHGAC_DATA_DIR": str(self.data_dir), "CANHGAC_STORE": "sqlite",
                    "CANHGAC_CONFIG": str(self.config_path)})
        return env

    # -- child processes -----------------------------------------------------------
    def canhgac(self, *args: str, stdin: str | None = None) -> str:
        """Run one ``canhgac`` subcommand on the demo's data; its stdout, or
        DemoError with the tail of its output."""
        started = time.perf_counter()
        try:
            proc = subprocess.run([sys.executable, "-m", "canhgac.cli", *args], env=self.env(),
                                  input=stdin, capture_output=True, text=True,
                                  timeout=STEP_TIMEOUT, check=False)
        except subprocess.TimeoutExpired as exc:
            raise DemoError(f"`canhgac {' '.join(args)}` took longer than "
                            f"{exc.timeout:.0f} s") from None
        name = " ".join(args[:2])
        self.timings[name] = self.timings.get(name, 0.0) + time.perf_counter() - started
        if proc.returncode != 0:
            tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-15:])
            raise DemoError(f"`canhgac {' '.join(args)}` exited {proc.returncode}:\n{tail}")
        return proc.stdout

    # -- steps -----------------------------------------------------------------------
    def prepare_dir(self) -> None:
        """A fresh data directory; refuses to empty one the demo did not make."""
        d = self.data_dir
        if d.exists() and any(d.iterdir()):
            if not (d / MARKER).exists():
                raise DemoError(f"{d} exists and is not a demo directory (no {MARKER}); "
                                "give --data-dir an empty or new folder")
            shutil.rmtree(d)
        d.mkdir(parents=True, exist_ok=True)
        (d / MARKER).write_text("Demo data generated by `canhgac demo`; safe to delete.\n")

    def generate(self) -> tuple[network.NetworkDay, outlets.Outlets]:
        t0 = time.perf_counter()
        day = network.write_day(self.data_dir / "inputs" / "network", end=self.end,
                                seed=self.seed, scale=self.scale)
        sites = outlets.build(self.data_dir / "inputs" / "outlets", end=self.end, seed=self.seed)
        self.timings["generate"] = time.perf_counter() - t0
        self.story = {**day.story, **sites.story}
        self.say(f"generated {sum(day.counts.values()):,} log records in {len(day.files)} files "
                 f"and {sites.articles} articles/posts (demo data)")
        return day, sites

    def write_config(self, source_list: list[dict[str, Any]]) -> None:
        cfg = {"crawlers": {**outlets.crawler_settings(), "sources": source_list}}
        self.config_path.write_text(
            "# Written by `canhgac demo`: the fictional outlets served on loopback.\n"
            + yaml.safe_dump(cfg, allow_unicode=True, sort_keys=False), encoding="utf-8")

    def create_accounts(self) -> None:
        for role, name in ROLES.items():
            password = "demo-" + secrets.token_urlsafe(9)
            self.canhgac("users", "create", name, "--role", role, "--password-stdin",
                         stdin=password + "\n")
            self.passwords[name] = password
        path = self.data_dir / "demo-accounts.json"  # readable by its owner only, from the start
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump({n: {"role": r, "password": self.passwords[n]} for r, n in ROLES.items()},
                      out, indent=2)

    def run_pipeline(self) -> None:
        """Everything up to the incidents, on the demo's data directory."""
        self.prepare_dir()
        day, sites = self.generate()
        self.server = outlets.OutletServer(sites.root).start()
        source_list = outlets.sources(self.server.url)
        self.write_config(source_list)
        self.say(f"fictional outlets served at {self.server.url}")
        self.create_accounts()
        self.say("ingesting the network's logs and capture ...")
        summary = json.loads(self.canhgac("ingest", "--json", *map(str, day.files)))
        self.say(f"  {summary['events_written']:,} events stored, "
                 f"{summary['dead_letters']} dead letters")
        self.say(f"crawling {len(source_list)} outlets ...")
        self.canhgac("crawl", "once", "--json", *[s["id"] for s in source_list])
        self.say("running the Sigma rules ...")
        self.canhgac("detect", "once")
        self.say("running the reputation rules ...")
        self.canhgac("nlp", "reputation")
        self.say("grouping alerts into incidents ...")
        self.canhgac("incidents", "group-once")

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()
            self.server = None

    # -- the check -------------------------------------------------------------------
    def check(self) -> list[Found]:
        """Each expectation with the incident that meets it (or why none does)."""
        from canhgac.config import load
        from store import open_store

        st = open_store(load(environ=self.env()))
        try:
            incidents = [d.source for d in st.scan("incidents")]
            found = []
            for exp in EXPECTED:
                result = Found(exp)
                for inc in incidents:
                    if not set(exp.rule_ids) & set(inc.get("rule_ids") or []):
                        continue
                    docs = [st.get("alerts", a) for a in (inc.get("alert_ids") or [])[:50]]
                    alerts = [d.source for d in docs if d is not None]
                    why = self._why_not(exp, inc, alerts, st)
                    if why is None:
                        result.incident, result.why_not = inc, ""
                        break
                    result.why_not = why
                found.append(result)
            return found
        finally:
            st.close()

    def _why_not(self, exp: Expectation, inc: dict[str, Any],
                 alerts: list[dict[str, Any]], store: Any) -> str | None:
        if exp.fact:
            value = self.story.get(exp.fact)
            blob = json.dumps([inc, alerts], ensure_ascii=False)
            if not value or value not in blob:
                return f"incident {inc['id']} does not mention the story's {exp.fact} {value}"
        if exp.check:
            return exp.check(inc, alerts, store)
        return None


# -- serving the result --------------------------------------------------------------
def port_free(host: str, port: int) -> bool:
    import socket

    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def wait_http(url: str, deadline: float, alive: Callable[[], bool]) -> bool:
    """Poll ``url`` until it answers 200, the deadline passes or ``alive`` says no."""
    import logging

    import httpx

    logging.getLogger("httpx").setLevel(logging.WARNING)  # no line per poll on the console

    while time.monotonic() < deadline and alive():
        try:
            if httpx.get(url, timeout=2.0).status_code == 200:
                return True
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    return False


def serve(demo: Demo, *, host: str, api_port: int, ui_port: int,
          stop_when: Callable[[], bool], ready: Callable[[str, str], None]) -> None:
    """The API, the dashboard, the detection worker and the grouping job on the
    demo's data, supervised until ``stop_when()`` (Ctrl-C / SIGTERM)."""
    from canhgac.supervisor import Component, Supervisor

    api_url, ui_url = f"http://{host}:{api_port}", f"http://{host}:{ui_port}"
    for name, port in (("API", api_port), ("dashboard", ui_port)):
        if not port_free(host, port):
            raise DemoError(f"port {port} on {host} is taken: give the {name} another "
                            f"(--{'api' if name == 'API' else 'ui'}-port)")
    sup = Supervisor([
        Component("api", ["serve", "--host", host, "--port", str(api_port)]),
        Component("ui", ["ui", "--host", host, "--port", str(ui_port), "--api-url", api_url]),
        Component("detection", ["detect", "run"]),
        Component("incidents", ["incidents", "group-once"], interval=60.0),
    ], log_dir=str(demo.data_dir / "logs"), env=demo.env())
    try:
        sup.step()
        deadline = time.monotonic() + 120.0
        if not (wait_http(f"{api_url}/healthz", deadline, lambda: not stop_when())
                and wait_http(f"{ui_url}/_stcore/health", deadline, lambda: not stop_when())):
            if stop_when():
                return
            raise DemoError(f"the API or the dashboard did not start; see {demo.data_dir}/logs")
        ready(api_url, ui_url)
        while not stop_when():
            sup.step()
            time.sleep(0.5)
    finally:
        sup.stop()
