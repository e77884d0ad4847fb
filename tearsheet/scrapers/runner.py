"""Running a crawl in this process: Scrapy starts here and nowhere else."""

from typing import Any

from tearsheet.plugins.manager import get_plugin_manager
from tearsheet.scrapers.options import CrawlOptions
from tearsheet.scrapers.settings import build_settings


class UnknownSpiderError(ValueError):
    pass


def spider_classes() -> dict[str, type]:
    """Every spider the plugins register, by name."""
    found: dict[str, type] = {}

    def register(name: str, spider_class: type) -> None:
        found[name] = spider_class

    get_plugin_manager().hook.register_spiders(register=register)
    return found


def run_crawl(options: CrawlOptions) -> dict[str, Any]:
    """Crawl into ``options.archive_dir`` and return the crawl's counts.

    Blocks until the crawl ends. Twisted's reactor cannot restart, so run
    one crawl per process.
    """
    from scrapy.crawler import CrawlerProcess

    spiders = spider_classes()
    if options.spider not in spiders:
        names = ", ".join(sorted(spiders))
        raise UnknownSpiderError(f"unknown spider {options.spider!r} (known: {names})")
    settings = build_settings(options)
    get_plugin_manager().hook.crawl_settings(settings=settings)
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(spiders[options.spider])
    process.crawl(crawler, start_urls=options.start_urls, max_pages=options.max_pages)
    process.start()
    session = getattr(crawler, "tearsheet_session", None)
    return session.stats if session is not None else {}
