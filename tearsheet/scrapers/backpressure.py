"""Fetch no faster than the worker processes extract.

While the processing pool has as many batches queued as it may, requests
wait here before they are downloaded, so captures never pile up in memory.
A timer sends part-filled batches on, so a slow, polite crawl still sees
its articles stored within a second or so.
"""

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet import reactor, task

from tearsheet.scrapers.middlewares import session_of
from tearsheet.scrapers.session import CrawlSession

TICK_SECONDS = 0.25


class PoolBackpressureMiddleware:
    """Holds requests back while the workers are busy; collects their results."""

    def __init__(self, session: CrawlSession) -> None:
        self.session = session
        self.timer = task.LoopingCall(session.tick)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "PoolBackpressureMiddleware":
        session = session_of(crawler)
        if session.pool is None:
            raise NotConfigured("extraction runs in the crawl process")
        middleware = cls(session)
        crawler.signals.connect(middleware.engine_started, signal=signals.engine_started)
        crawler.signals.connect(middleware.spider_closed, signal=signals.spider_closed)
        return middleware

    def engine_started(self) -> None:
        self.timer.start(TICK_SECONDS, now=False)

    def spider_closed(self) -> None:
        if self.timer.running:
            self.timer.stop()

    async def process_request(self, request: Request, spider: Spider | None = None) -> None:
        while self.session.must_wait:
            self.session.tick()
            if not self.session.must_wait:
                break
            await maybe_deferred_to_future(task.deferLater(reactor, TICK_SECONDS / 5, lambda: None))
