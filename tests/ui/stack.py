"""A live stack for the UI tests: a seeded SQLite store in a temporary data
directory, ``canhgac serve`` on a free loopback port and (for the browser
test) ``streamlit run`` on another, both as subprocesses."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "mật khẩu thử nghiệm 2026"
PEOPLE = {"admin": "quan.tri", "soc_analyst": "soc.an", "comms": "truyen.thong",
          "leader": "lanh.dao"}
START_TIMEOUT = 60.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _ts(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def seed(data_dir: Path) -> dict[str, Any]:
    """Users for each role, events, alerts, one open security incident, one
    reputation incident and a few articles, written through the store."""
    from api.auth import accounts
    from canhgac.config import load
    from detection.incidents import absorb, new_incident
    from store import open_store

    st = open_store(load(environ={"CANHGAC_DATA_DIR": str(data_dir)}))
    st.init()
    for role, name in PEOPLE.items():
        accounts.create_user(st, name, PASSWORD, [role])
    now = datetime.now(UTC).replace(microsecond=0)
    events = [{"@timestamp": _ts(now - timedelta(minutes=40 - i)),
               "event": {"id": f"ev-{i}", "dataset": "system.auth", "outcome": "failure",
                         "action": "ssh_login"},
               "host": {"name": "may-chu-web-01"}, "user": {"name": "root"},
               "source": {"ip": f"10.20.3.{i}"}, "message": f"Failed password for root #{i}"}
              for i in range(5)]
    st.bulk("events", events, mode="create")
    alert = {"id": "al-ssh-1", "@timestamp": _ts(now - timedelta(minutes=30)),
             "domain": "security", "severity": "high", "status": "new",
             "message": "Dò mật khẩu SSH trên may-chu-web-01",
             "rule": {"id": "ssh-brute", "name": "Dò mật khẩu SSH", "level": "high"},
             "host": {"name": "may-chu-web-01"}, "source": {"ip": "10.20.3.1"},
             "event_ids": [e["event"]["id"] for e in events],
             "threat": {"tactic": {"id": ["TA0006"], "name": ["Credential Access"]},
                        "technique": {"id": ["T1110"]}},
             "first_seen": events[0]["@timestamp"], "last_seen": events[-1]["@timestamp"]}
    rep_alert = {"id": "al-rep-1", "@timestamp": _ts(now - timedelta(minutes=20)),
                 "domain": "reputation", "severity": "medium", "status": "new",
                 "message": "Tin tiêu cực về ngập lụt tăng", "article_ids": ["bai-1"],
                 "rule": {"id": "rep-spike", "name": "Tin tiêu cực tăng", "level": "medium"}}
    st.bulk("alerts", [alert, rep_alert])
    incs = []
    for a, key, name, entity in ((alert, "security|ssh-brute|may-chu-web-01", "Dò mật khẩu SSH",
                                  ("host.name", "may-chu-web-01")),
                                 (rep_alert, "reputation|rep-spike|ngap", "Tin tiêu cực tăng",
                                  None)):
        inc = new_incident(group_key=key, domain=a["domain"], rule_id=a["rule"]["id"],
                           rule_name=name, entity=entity, window_start=now - timedelta(hours=1),
                           now=now - timedelta(minutes=25))
        absorb(inc, a)
        incs.append(inc)
    st.bulk("incidents", incs)
    articles = [{"id": f"bai-{i}", "@timestamp": _ts(now - timedelta(hours=3 * i)),
                 "title": title, "body": title + ".", "language": "vi",
                 "source": {"name": outlet}, "author": author, "story_id": story,
                 "topics": [topic], "entities": [{"id": e, "text": e, "label": "ORG"}
                                                 for e in ents],
                 "entities_ids": ents, "sentiment": {"label": label, "score": score}}
                for i, (title, outlet, author, story, topic, ents, label, score) in enumerate([
                    ("Mưa lớn gây ngập đường Nguyễn Văn Cừ", "Báo Phù Sa", "Trần Văn An",
                     "s-ngap", "environment", ["loc.ninh_kieu", "org.ubnd_tp"], "negative", -0.6),
                    ("Thành phố bơm nước chống ngập", "Tin Sông Hậu", "Lê Thị Bình", "s-ngap",
                     "environment", ["org.ubnd_tp"], "neutral", 0.1),
                    ("Chợ nổi Cái Răng đón khách", "Nhịp Sống Miền Tây", "Lê Thị Bình",
                     "s-cho-noi", "tourism", ["market.cho_noi_cai_rang"], "positive", 0.7)],
                    start=1)]
    st.bulk("articles", articles)
    for name in ("events", "alerts", "incidents", "articles", "users"):
        st.refresh(name)
    st.close()
    return {"security_incident": incs[0]["id"], "reputation_incident": incs[1]["id"]}


def _wait_http(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{url} exited early: {log.read_text(errors='replace')[-2000:]}")
        try:
            if httpx.get(url, timeout=2).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {START_TIMEOUT}s: "
                       f"{log.read_text(errors='replace')[-2000:]}")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=5)


@contextmanager
def api_server(data_dir: Path) -> Iterator[str]:
    """``canhgac serve`` on a free port over ``data_dir``; yields its base URL."""
    port = free_port()
    env = {**os.environ, "CANHGAC_DATA_DIR": str(data_dir), "CANHGAC_LOG__LEVEL": "WARNING",
           "CANHGAC_API__SECRET_KEY": "ui-test-signing-key-" + "k" * 40}
    log = data_dir / "api.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "canhgac.cli", "serve", "--host",
                                 "127.0.0.1", "--port", str(port), "--workers", "1"],
                                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        _wait_http(f"http://127.0.0.1:{port}/healthz", proc, log)
        yield f"http://127.0.0.1:{port}"
    finally:
        _stop(proc)


@contextmanager
def ui_server(api_url: str, data_dir: Path) -> Iterator[str]:
    """``streamlit run ui/app.py`` (headless) on a free port; yields its URL."""
    from ui.cli import command

    port = free_port()
    env = {**os.environ, "CANHGAC_DATA_DIR": str(data_dir), "CANHGAC_UI__API_URL": api_url,
           "CANHGAC_UI__REFRESH_SECONDS": "0"}
    log = data_dir / "ui.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(command("127.0.0.1", port), cwd=ROOT, env=env, stdout=out,
                                stderr=subprocess.STDOUT)
    try:
        _wait_http(f"http://127.0.0.1:{port}/_stcore/health", proc, log)
        yield f"http://127.0.0.1:{port}"
    finally:
        _stop(proc)


def token(api_url: str, role: str) -> dict[str, str]:
    r = httpx.post(f"{api_url}/api/v1/auth/login",
                   json={"username": PEOPLE[role], "password": PASSWORD}, timeout=10)
    r.raise_for_status()
    return {"Authorization": f"Bearer {r.json()['access_token']}"}
