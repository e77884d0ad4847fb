"""Running a crawl in this process: Scrapy starts here and nowhere else."""

import logging
from typing import Any

from tearsheet.plugins.manager import call_each, get_plugin_manager
from tearsheet.scrapers.options import CrawlOptions
from tearsheet.scrapers.settings import build_settings

log = logging.getLogger(__name__)


class UnknownSpiderError(ValueError):
    pass


class RedisUnavailableError(RuntimeError):
    """The job's Redis cannot be reached at start, or was lost mid-crawl.

    Defined here, not with the Redis code, so a local crawl imports no Redis client.
    """


def spider_classes() -> dict[str, type]:
    """Every spider the plugins register, by name."""
    found: dict[str, type] = {}

    def register(name: str, spider_class: type) -> None:
        found[name] = spider_class

    _call_guarded("register_spiders", {"register": register})
    return found


def _call_guarded(hook: str, arguments: dict[str, Any]) -> None:
    """Call a start-up hook plugin by plugin; one that raises is named and skipped."""
    for impl, call in call_each(getattr(get_plugin_manager().hook, hook), arguments):
        try:
            call()
        except Exception as exc:
            log.warning("plugin %r failed in %s and was skipped: %s", impl.plugin_name, hook, exc)


def run_crawl(options: CrawlOptions) -> dict[str, Any]:
    """Crawl into ``options.archive_dir`` and return the crawl's counts.

    Blocks until the crawl ends. Twisted's reactor cannot restart, so run
    one crawl per process. With ``options.redis``, raises RedisUnavailableError
    when Redis cannot be reached, or was lost and the worker stopped.
    """
    if options.extract and options.workers != 0:
        from tearsheet.pool import start_fork_server

        start_fork_server()  # the workers' imports, while Scrapy's are done here
    from scrapy.crawler import CrawlerProcess

    spiders = spider_classes()
    if options.spider not in spiders:
        names = ", ".join(sorted(spiders))
        raise UnknownSpiderError(f"unknown spider {options.spider!r} (known: {names})")
    if options.redis:
        from tearsheet.scrapers.distributed import check_redis

        check_redis(options.redis)
    settings = build_settings(options)
    _call_guarded("crawl_settings", {"settings": settings})
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(spiders[options.spider])
    process.crawl(crawler, options=options.to_dict())
    process.start()
    lost = getattr(crawler, "tearsheet_redis_lost", None)
    if lost:
        raise RedisUnavailableError(lost)
    session = getattr(crawler, "tearsheet_session", None)
    return session.stats if session is not None else {}
