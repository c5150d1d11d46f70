"""One spider per source shape; ``crawlers.settings.SPIDERS`` maps kinds to them."""
