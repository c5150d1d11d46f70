"""Scrapy settings for one source's crawl, built from the ``crawlers:`` section.

Politeness is on by default: robots.txt obeyed, an honest user agent,
AutoThrottle, a per-domain concurrency limit, retries with back-off,
timeouts and a size cap.  Components are switched on here, by dotted path.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from canhgac.settings.crawlers import CrawlersSettings, SourceSettings

SPIDERS = {
    "feed": "crawlers.spiders.feed.FeedSpider",
    "news_search": "crawlers.spiders.feed.FeedSpider",
    "sitemap": "crawlers.spiders.sitemap.NewsSitemapSpider",
    "site": "crawlers.spiders.site.SiteSpider",
    "telegram": "crawlers.spiders.telegram.TelegramSpider",
    "forum": "crawlers.spiders.forum.ForumSpider",
    "mastodon": "crawlers.spiders.mastodon.MastodonSpider",
    "youtube": "crawlers.spiders.youtube.YouTubeSpider",
    "reddit": "crawlers.spiders.reddit.RedditSpider",
}


def scrapy_settings(cfg: CrawlersSettings, source: SourceSettings, *,
                    config_path: str | None = None, jobdir: Path | None = None,
                    overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """The settings dict for ``CrawlerProcess``."""
    settings: dict[str, Any] = {
        "BOT_NAME": "canhgac",
        "CANHGAC_SOURCE_ID": source.id,
        "CANHGAC_CONFIG_PATH": config_path,
        "CANHGAC_RETRY_BACKOFF_BASE": cfg.retry_backoff_base,
        "CANHGAC_RETRY_BACKOFF_MAX": cfg.retry_backoff_max,
        "USER_AGENT": cfg.user_agent,
        "ROBOTSTXT_OBEY": cfg.obey_robots,
        "ROBOTSTXT_PARSER": "scrapy.robotstxt.ProtegoRobotParser",
        "AUTOTHROTTLE_ENABLED": cfg.autothrottle,
        "AUTOTHROTTLE_TARGET_CONCURRENCY": cfg.autothrottle_target_concurrency,
        "AUTOTHROTTLE_START_DELAY": cfg.download_delay,
        "DOWNLOAD_DELAY": cfg.download_delay,
        "CONCURRENT_REQUESTS": cfg.concurrent_requests,
        "CONCURRENT_REQUESTS_PER_DOMAIN": cfg.concurrent_per_domain,
        "DOWNLOAD_TIMEOUT": cfg.download_timeout,
        "DOWNLOAD_MAXSIZE": cfg.download_maxsize,
        "DOWNLOAD_WARNSIZE": cfg.download_maxsize // 2,
        "RETRY_ENABLED": cfg.retry_times > 0,
        "RETRY_TIMES": cfg.retry_times,
        "REDIRECT_MAX_TIMES": cfg.redirect_max,
        "CLOSESPIDER_PAGECOUNT": source.max_pages,
        "DEPTH_LIMIT": source.max_depth + 1 if source.kind == "site" else 0,
        "COOKIES_ENABLED": False,
        "TELNETCONSOLE_ENABLED": False,  # no listening ports from a crawler
        "REMOTE_CONTROL_ENABLED": False,
        "LOG_LEVEL": "INFO",
        "HTTPERROR_ALLOW_ALL": False,
        "LOG_FORMATTER": "crawlers.logformatter.ShortLogFormatter",
        "DOWNLOADER_MIDDLEWARES": {
            "crawlers.middlewares.ScopeMiddleware": 50,
            "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
            "crawlers.middlewares.BackoffRetryMiddleware": 550,
            "crawlers.middlewares.ConditionalGetMiddleware": 580,
        },
        "ITEM_PIPELINES": {
            "crawlers.pipelines.NormalisePipeline": 100,
            "crawlers.pipelines.DedupePipeline": 200,
            "crawlers.pipelines.EnrichPipeline": 300,
            "crawlers.pipelines.StorePipeline": 900,
        },
        "EXTENSIONS": {"crawlers.extensions.SourceHealth": 500},
        # Schedulers persist pending requests here; a re-run resumes them.
        "JOBDIR": str(jobdir) if jobdir else None,
        "DUPEFILTER_CLASS": "crawlers.dupefilters.RunDupeFilter",
    }
    settings.update(overrides or {})
    return settings
