"""A duplicate filter that lives for one run only.

With JOBDIR, Scrapy persists both the pending-request queue and the
duplicate filter's fingerprints.  A request in flight when a crawl is
interrupted is then "seen" but never done, and is lost on resume.  We keep
the queue (resume continues where it stopped) but not the fingerprints: the
resumed run re-polls its start URLs, and our seen-URL index and conditional
GETs keep already-stored pages from being fetched again.

It also lets redirect loops run into Scrapy's redirect limit, so they are
reported rather than silently filtered.
"""

from __future__ import annotations

from typing import Any

from scrapy.dupefilters import RFPDupeFilter


class RunDupeFilter(RFPDupeFilter):
    @classmethod
    def from_crawler(cls, crawler: Any) -> RunDupeFilter:
        return cls(None, debug=crawler.settings.getbool("DUPEFILTER_DEBUG"),
                   fingerprinter=crawler.request_fingerprinter)

    def request_seen(self, request: Any) -> bool:
        """A redirect back to a URL of its own chain is let through, so the
        loop reaches REDIRECT_MAX_TIMES and is reported (a dead letter) instead
        of vanishing as a duplicate."""
        if request.url in request.meta.get("redirect_urls", ()):
            return False
        return super().request_seen(request)
