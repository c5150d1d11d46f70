"""Crawlers: the Scrapy project that harvests news and social posts (sources).

Empty until the crawlers land (issue #5); see docs/architecture.md.
"""
