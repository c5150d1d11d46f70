"""Run a crawl of fixture sources against a test store, in a subprocess."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml

from crawlers.runner import run_in_subprocess
from store.base import Store

FAST = {  # politeness off for loopback fixtures (the real defaults are polite)
    "download_delay": 0, "autothrottle": False, "retry_times": 2,
    "retry_backoff_base": 0.05, "retry_backoff_max": 0.2, "download_timeout": 5,
    "concurrent_per_domain": 8, "flush_seconds": 0.5,
    "user_agent": "CanhgacTest/1.0 (+tests)",
    "nlp_enricher": "tests.crawlers.enricher:enrich",
}


def store_env(store: Store) -> dict[str, str]:
    """Environment that makes a child process open the same store."""
    if store.backend == "sqlite":
        return {"CANHGAC_STORE": "sqlite", "CANHGAC_SQLITE_PATH": str(store.path)}
    from tests.conftest import ES_URL, OPENSEARCH_URL

    url = OPENSEARCH_URL if store.backend == "opensearch" else ES_URL
    return {"CANHGAC_STORE": store.backend, "CANHGAC_STORE_URL": url or "",
            "CANHGAC_STORE_NAMESPACE": store.namespace,
            "CANHGAC_STORE_VERIFY_CERTS": "false"}


def write_config(tmp: Path, sources: list[dict[str, Any]], **crawlers: Any) -> Path:
    cfg = {"data_dir": str(tmp / "data"),
           "crawlers": {**FAST, **crawlers,
                        "sources": [{"allowed_domains": ["127.0.0.1"], **s} for s in sources]}}
    path = tmp / "canhgac.yaml"
    path.write_text(yaml.safe_dump(cfg, allow_unicode=True), encoding="utf-8")
    return path


def crawl(store: Store, config: Path, source_ids: list[str], *, resume: bool = True,
          settings: dict[str, Any] | None = None) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CANHGAC_")}
    env.update(store_env(store))
    env["CANHGAC_CONFIG"] = str(config)
    log = config.parent / f"crawl-{'+'.join(source_ids)}.log"
    summary = run_in_subprocess(source_ids, config_path=str(config), env=env, timeout=90,
                                resume=resume, overrides=settings, log_file=log,
                                inherit_env=False)
    store.refresh("articles")
    store.refresh("dead_letters")
    store.refresh("sources")
    store.refresh("checkpoints")
    return summary
