"""Everything that touches Scrapy: spiders, settings, middlewares, the runner."""
