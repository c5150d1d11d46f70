"""Run one source's crawl.

Scrapy's reactor cannot restart inside a process, so every crawl runs in a
fresh Python process: ``run_in_subprocess`` starts ``python -m crawlers.runner``
and reads back one JSON summary line; ``main`` is that child process.

The job directory (Scrapy's JOBDIR: pending requests and the duplicate
filter) lives at ``<data_dir>/crawl/jobs/<source id>``.  A crawl that ends
normally removes it; an interrupted one leaves it, and the next run resumes.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from canhgac.config import Settings as CanhgacSettings
from canhgac.config import load as load_config
from crawlers.errors import CrawlError, SourceNotFound
from crawlers.settings import SPIDERS, scrapy_settings

RESUMABLE_REASONS = {"shutdown", "closespider_itemcount", "closespider_pagecount",
                     "closespider_timeout",
                     "closespider_errorcount"}


def jobdir_for(cfg: CanhgacSettings, source_id: str) -> Path:
    return Path(cfg.data_dir) / "crawl" / "jobs" / source_id


def run_here(source_ids: list[str], *, config_path: str | None = None,
             overrides: dict[str, Any] | None = None,
             resume: bool = True) -> list[dict[str, Any]]:
    """Crawl sources in this process (which must not have run a reactor yet):
    one Scrapy crawler per source, all in one CrawlerProcess, concurrently."""
    from scrapy.crawler import Crawler, CrawlerProcess
    from scrapy.settings import Settings
    from scrapy.utils.misc import load_object

    cfg = load_config(config_path)
    sources = []
    for source_id in source_ids:
        try:
            sources.append(cfg.crawlers.source(source_id))
        except KeyError as exc:
            raise SourceNotFound(str(exc).strip("'\"")) from None
    # The process holds only what all crawls share; each crawler carries its
    # source's settings at "spider" priority, which the process's merge keeps.
    process = CrawlerProcess({"LOG_LEVEL": "INFO", "TELNETCONSOLE_ENABLED": False,
                              "REMOTE_CONTROL_ENABLED": False}, install_root_handler=True)
    crawlers: list[tuple[str, Path | None, Any]] = []
    for i, source in enumerate(sources):
        jobdir = jobdir_for(cfg, source.id) if resume else None
        settings = Settings()
        settings.setdict(scrapy_settings(cfg.crawlers, source, config_path=config_path,
                                         jobdir=jobdir, overrides=overrides), priority="spider")
        # The first crawler installs the reactor; the others use it.
        crawler = Crawler(load_object(SPIDERS[source.kind]), settings, init_reactor=i == 0)
        process.crawl(crawler)
        crawlers.append((source.id, jobdir, crawler))
    process.start()
    summaries = []
    for source_id, jobdir, crawler in crawlers:
        stats = crawler.stats.get_stats() if crawler.stats else {}
        reason = stats.get("finish_reason")
        if jobdir is not None and reason not in RESUMABLE_REASONS and jobdir.exists():
            shutil.rmtree(jobdir, ignore_errors=True)
        summaries.append(summarise(source_id, stats))
    return summaries


def summarise(source_id: str, stats: dict[str, Any]) -> dict[str, Any]:
    get = stats.get
    return {
        "source": source_id,
        "finish_reason": get("finish_reason"),
        "pages": get("response_received_count", 0),
        "articles": get("canhgac/articles_written", 0),
        "items": get("item_scraped_count", 0),
        "dropped": get("item_dropped_count", 0),
        "duplicates": get("canhgac/duplicates", 0),
        "not_modified": get("canhgac/not_modified", 0),
        "skipped_seen": get("canhgac/skipped_seen", 0),
        "robots_forbidden": get("canhgac/robots_forbidden", 0),
        "dead_letters": get("canhgac/dead_letters", 0),
        "retries": get("retry/count", 0),
        "errors": get("log_count/ERROR", 0),
        "seconds": round(get("elapsed_time_seconds", 0.0), 3),
    }


def run_in_subprocess(source_ids: list[str], *, config_path: str | None = None,
                      overrides: dict[str, Any] | None = None, resume: bool = True,
                      timeout: float | None = None, env: dict[str, str] | None = None,
                      log_file: Path | None = None, inherit_env: bool = True,
                      ) -> dict[str, Any]:
    """Crawl sources in a child process; one summary per source, or CrawlError."""
    names = ", ".join(source_ids)
    cmd = [sys.executable, "-m", "crawlers.runner", *source_ids]
    if config_path:
        cmd += ["--config", str(config_path)]
    if overrides:
        cmd += ["--settings", json.dumps(overrides)]
    if not resume:
        cmd.append("--no-resume")
    stderr = open(log_file, "ab") if log_file else subprocess.PIPE  # noqa: SIM115
    try:
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=stderr, timeout=timeout,
                              env={**(os.environ if inherit_env else {}), **(env or {})}, check=False)
    except subprocess.TimeoutExpired as exc:
        raise CrawlError(f"crawl of {names} exceeded {timeout}s") from exc
    finally:
        if log_file:
            stderr.close()
    lines = proc.stdout.decode("utf-8", "replace").strip().splitlines()
    if proc.returncode not in (0, 1) or not lines:
        tail = (proc.stderr or b"").decode("utf-8", "replace")[-2000:] if not log_file else ""
        raise CrawlError(f"crawl of {names} failed (exit {proc.returncode}): {tail}")
    return [json.loads(line) for line in lines if line.startswith("{")]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m crawlers.runner")
    parser.add_argument("sources", nargs="+")
    parser.add_argument("--config")
    parser.add_argument("--settings", help="JSON object of Scrapy setting overrides")
    parser.add_argument("--no-resume", action="store_true")
    args = parser.parse_args(argv)
    overrides = json.loads(args.settings) if args.settings else None
    try:
        summaries = run_here(args.sources, config_path=args.config, overrides=overrides,
                             resume=not args.no_resume)
    except CrawlError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for summary in summaries:
        sys.stdout.write(json.dumps(summary) + "\n")
    if any(s["finish_reason"] is None for s in summaries):
        print("error: a crawl did not run (see the log for the traceback)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
