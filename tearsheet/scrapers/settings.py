"""Scrapy settings for a tearsheet crawl, built from CrawlOptions."""

import logging
from typing import Any

from tearsheet import __version__
from tearsheet.scrapers.options import CrawlOptions

log = logging.getLogger(__name__)

CAPTURE_MIDDLEWARE = "tearsheet.scrapers.middlewares.WarcCaptureMiddleware"
CAPTURE_ORDER = 950  # after compression (590) and redirects (600) in response order
RECORDING_HANDLER = "tearsheet.scrapers.wire.RecordingHTTP11DownloadHandler"
SCRAPY_RETRY = "scrapy.downloadermiddlewares.retry.RetryMiddleware"
POLITE_RETRY = "tearsheet.scrapers.politeness.PoliteRetryMiddleware"
CONDITIONAL = "tearsheet.scrapers.conditional.ConditionalRequestMiddleware"
PRIVATE_GUARD = "tearsheet.scrapers.addresses.PrivateAddressMiddleware"
PUBLIC_RESOLVER = "tearsheet.scrapers.addresses.PublicOnlyResolver"
BACKPRESSURE = "tearsheet.scrapers.backpressure.PoolBackpressureMiddleware"
REMOTE_CONTROL = "scrapy.extensions.remote_control.RemoteControl"
CONCURRENT_OUTPUT = 8  # handlers of a response's requests at once (Scrapy's CONCURRENT_ITEMS)


def user_agent(options: CrawlOptions) -> str:
    """Names tearsheet and, as crawler etiquette asks, how to reach the operator."""
    if options.user_agent:
        return options.user_agent
    contact = f"; +{options.contact}" if options.contact else ""
    return f"tearsheet/{__version__} (news archiver{contact})"


def build_settings(options: CrawlOptions) -> dict[str, Any]:
    if not options.contact and not options.user_agent:
        log.warning(
            "no --contact given: site owners cannot reach you about this crawl;"
            " set an email address or URL (it goes into the User-Agent)"
        )
    settings: dict[str, Any] = {
        "BOT_NAME": "tearsheet",
        "USER_AGENT": user_agent(options),
        "ROBOTSTXT_OBEY": options.obey_robots,
        "DEPTH_LIMIT": options.depth_limit,
        "CONCURRENT_REQUESTS_PER_DOMAIN": options.concurrency_per_site,
        # The spiders yield requests, never items, and a request is queued at once:
        # Scrapy's default of 100 handlers is 100 asyncio tasks a page, for nothing.
        "CONCURRENT_ITEMS": CONCURRENT_OUTPUT,
        "DOWNLOAD_DELAY": options.delay,
        "AUTOTHROTTLE_ENABLED": options.autothrottle,
        "AUTOTHROTTLE_START_DELAY": max(options.delay, 1.0),
        "AUTOTHROTTLE_TARGET_CONCURRENCY": float(options.concurrency_per_site),
        "RETRY_TIMES": options.retries,
        "DOWNLOADER_MIDDLEWARES": {
            BACKPRESSURE: 10,  # before anything else: a waiting request costs nothing yet
            CAPTURE_MIDDLEWARE: CAPTURE_ORDER,
            SCRAPY_RETRY: None,
            POLITE_RETRY: 550,
            CONDITIONAL: 560,
        },
        "DOWNLOAD_HANDLERS": {"http": RECORDING_HANDLER, "https": RECORDING_HANDLER},
        "DOWNLOAD_TIMEOUT": options.download_timeout,
        "DOWNLOAD_MAXSIZE": options.max_download_size,
        "DOWNLOAD_WARNSIZE": options.max_download_size // 2,
        # No console into the crawl: Scrapy's telnet console is off, and its
        # remote-control server (which runs Python code sent to it) not loaded.
        "TELNETCONSOLE_ENABLED": False,
        "LOG_LEVEL": options.log_level,
        "LOG_INSTALL_ROOT_HANDLER": False,  # tearsheet's own handler is in place
        "EXTENSIONS": {"tearsheet.scrapers.progress.Progress": 500, REMOTE_CONTROL: None},
        "LOGSTATS_INTERVAL": 0,  # tearsheet's own progress replaces Scrapy's
        "TEARSHEET_QUIET": options.log_level == "ERROR",
        "TEARSHEET_PROGRESS_INTERVAL": options.progress_interval,
        "TEARSHEET_ARCHIVE_DIR": str(options.archive_dir),
        "TEARSHEET_OPTIONS": options.to_dict(),
    }
    if not options.allow_private:
        settings["DOWNLOADER_MIDDLEWARES"][PRIVATE_GUARD] = 50
        settings["TWISTED_DNS_RESOLVER"] = PUBLIC_RESOLVER
    if options.redis:
        from tearsheet.scrapers.distributed import redis_settings

        settings.update(redis_settings(options))
    settings.update(options.extra_settings)
    return settings
