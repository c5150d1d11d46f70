"""Crawlers: the Scrapy project that harvests news and social posts into ``articles``.

Layout (one job per module, as in Scrapy's project template):

- ``settings``: the Scrapy settings built from the ``crawlers:`` config section
- ``spiders/``: one spider per source shape (feed, sitemap, site, social platforms)
- ``items``: the item shapes (``ArticleItem``, ``DeadLetterItem``)
- ``extract``: trafilatura article extraction, language, dates
- ``urls`` / ``textnorm``: canonical URLs, NFC text, content hashes
- ``middlewares``: scope (allowed domains/paths), conditional GET, seen URLs
- ``pipelines``: normalise → dedupe → NLP enrich → batched store writes
- ``state``: the per-crawl context shared by components (store, seen index)
- ``extensions``: per-source health in the ``sources`` collection
- ``dupefilters`` / ``logformatter``: a per-run duplicate filter (resumable
  JOBDIR without lost requests), short log lines
- ``runner`` / ``scheduler`` / ``cli``: run a source in a subprocess, poll on schedules
"""
